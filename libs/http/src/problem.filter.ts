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
  /** The matched route's path parameters (Express), decoded. */
  params?: Record<string, unknown>;
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
    this.logger.error(`${request.method ?? '?'} ${loggedUrl(request)} failed [traceId=${traceId}]: ${describeError(exception)}`, stack);
  }
}

/** A path parameter whose value is a credential (a digest link's `:token`): never written to a log. */
const SECRET_PARAM = /token|secret/i;

/**
 * The request's URL as a log line shows it: each path segment holding a secret parameter's value becomes
 * `{name}` (`/v1/quarantine/links/<token>` → `/v1/quarantine/links/{token}`); the query is kept.
 */
export function loggedUrl(request: Pick<HttpRequest, 'originalUrl' | 'url' | 'params'>): string {
  const url = request.originalUrl ?? request.url ?? '?';
  const secrets = Object.entries(request.params ?? {}).filter(([name, value]) => SECRET_PARAM.test(name) && typeof value === 'string' && value !== '');
  if (secrets.length === 0) return url;
  const cut = url.search(/[?#]/);
  const [path, rest] = cut < 0 ? [url, ''] : [url.slice(0, cut), url.slice(cut)];
  const decoded = (segment: string) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      return segment;
    }
  };
  const redacted = path.split('/').map((segment) => {
    const secret = secrets.find(([, value]) => value === segment || value === decoded(segment));
    return secret ? `{${secret[0]}}` : segment;
  });
  return redacted.join('/') + rest;
}
