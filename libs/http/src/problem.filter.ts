import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { ToriiError, describeError } from '@torii/errors';
import {
  PROBLEM_CONTENT_TYPE,
  ProblemDetails,
  httpExceptionToProblem,
  problemType,
  statusTitle,
} from './problem';
import { currentTraceId } from './trace';

interface HttpRequest {
  method?: string;
  originalUrl?: string;
  url?: string;
  headers?: Record<string, string | string[] | undefined>;
}

interface HttpResponse {
  headersSent?: boolean;
  status(code: number): HttpResponse;
  setHeader(name: string, value: string): unknown;
  send(body: string): unknown;
}

/**
 * The one place errors become HTTP answers: every HttpException as RFC 9457 problem details, anything else
 * as a 500 (503 for a TemporaryError: a dependency is down, retrying may help) whose detail reveals
 * nothing; its stack is logged with the trace id the response carries.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const request = http.getRequest<HttpRequest>();
    const response = http.getResponse<HttpResponse>();
    const instance = (request.originalUrl ?? request.url ?? '').split('?')[0] || undefined;
    const traceId = currentTraceId(request);

    let problem: ProblemDetails;
    if (exception instanceof HttpException) {
      problem = httpExceptionToProblem(exception, instance);
      if (problem.status >= 500) this.logFailure(exception, request, traceId);
    } else {
      const temporary = exception instanceof ToriiError && !exception.permanent;
      const status = temporary ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.INTERNAL_SERVER_ERROR;
      problem = {
        type: problemType(),
        title: statusTitle(status),
        status,
        detail: temporary
          ? 'A service this request depends on is unavailable; try again later.'
          : `An unexpected error occurred; quote trace id ${traceId} when reporting it.`,
        ...(instance !== undefined && { instance }),
      };
      this.logFailure(exception, request, traceId);
    }
    problem.traceId = traceId;

    if (response.headersSent) return;
    response.status(problem.status);
    response.setHeader('content-type', `${PROBLEM_CONTENT_TYPE}; charset=utf-8`);
    response.send(JSON.stringify(problem));
  }

  private logFailure(exception: unknown, request: HttpRequest, traceId: string): void {
    const stack = exception instanceof Error ? (exception.stack ?? exception.message) : String(exception);
    this.logger.error(`${request.method ?? '?'} ${request.originalUrl ?? request.url ?? '?'} failed [traceId=${traceId}]: ${describeError(exception)}`, stack);
  }
}
