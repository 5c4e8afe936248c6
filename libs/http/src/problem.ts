import { HttpException, HttpStatus } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';

/** One entry of `errors` in a validation problem: which part of the input (a JSON pointer) and why. */
export interface ProblemFieldError {
  /** Which part of the request: `body`, `query` or `path` (route parameters). */
  in?: 'body' | 'query' | 'path';
  /** RFC 6901 pointer into that part, `''` for the whole of it. */
  pointer: string;
  detail: string;
}

/** RFC 9457 problem details. Extensions (`code`, `errors`, `traceId`, ...) sit beside the standard members. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code?: string;
  errors?: ProblemFieldError[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** A problem `type` URI for a stable code; plain HTTP errors keep RFC 9457's default `about:blank`. */
export const problemType = (code?: string): string => (code ? `urn:torii:problem:${code}` : 'about:blank');

export const statusTitle = (status: number): string => STATUS_CODES[status] ?? 'Error';

export interface ProblemInit {
  status: number;
  /** Stable, kebab-case, documented: clients switch on it (`address-limit-reached`). */
  code?: string;
  title?: string;
  detail?: string;
  extensions?: Record<string, unknown>;
}

/**
 * A domain error for the API: services throw it with a stable `code`, the global filter answers it as
 * problem details. `throw new ProblemException({ status: 409, code: 'address-limit-reached', detail })`.
 */
export class ProblemException extends HttpException {
  readonly code?: string;
  readonly title: string;
  readonly detail?: string;
  readonly extensions: Record<string, unknown>;

  constructor(init: ProblemInit, options?: { cause?: unknown }) {
    const title = init.title ?? statusTitle(init.status);
    super(init.detail ?? title, init.status, { cause: options?.cause });
    this.name = 'ProblemException';
    this.code = init.code;
    this.title = title;
    this.detail = init.detail;
    this.extensions = init.extensions ?? {};
  }

  toProblem(instance?: string): ProblemDetails {
    return {
      ...this.extensions,
      type: problemType(this.code),
      title: this.title,
      status: this.getStatus(),
      ...(this.detail !== undefined && { detail: this.detail }),
      ...(instance !== undefined && { instance }),
      // Like every other answer, one without a precise code still has one clients can switch on: the status's.
      code: this.code ?? statusCode(this.getStatus()),
    };
  }
}

/** 400 with one entry per invalid field; what the validation pipe throws. */
export class ValidationProblemException extends ProblemException {
  constructor(errors: ProblemFieldError[], detail = 'The request is not valid.') {
    super({ status: HttpStatus.BAD_REQUEST, code: 'validation-failed', detail, extensions: { errors } });
    this.name = 'ValidationProblemException';
  }
}

/**
 * Maps any Nest HttpException to problem details. Nest's own exceptions carry `{ message, error }` bodies;
 * their message becomes `detail` (an array, from Nest's built-in pipes, becomes `errors`).
 */
export function httpExceptionToProblem(exception: HttpException, instance?: string): ProblemDetails {
  if (exception instanceof ProblemException) return exception.toProblem(instance);
  const status = exception.getStatus();
  const body = exception.getResponse();
  const problem: ProblemDetails = { type: problemType(), title: statusTitle(status), status };
  if (typeof body === 'string') {
    problem.detail = body;
  } else if (body && typeof body === 'object') {
    const { message, statusCode: _statusCode, error: _error, ...rest } = body as Record<string, unknown>;
    if (typeof message === 'string') problem.detail = message;
    else if (Array.isArray(message)) {
      problem.detail = 'The request is not valid.';
      problem.errors = message.map((m) => ({ pointer: '', detail: String(m) }));
    }
    // Other fields (e.g. the failed checks of a readiness report) stay as extensions; standard members win.
    for (const [key, value] of Object.entries(rest)) if (!(key in problem) && key !== 'errors') problem[key] = value;
  }
  // Every answer has a code clients can switch on; without a more precise one it is the status's (`not-found`).
  if (typeof problem.code !== 'string') problem.code = statusCode(status);
  if (instance !== undefined) problem.instance = instance;
  return problem;
}

/** `Not Found` → `not-found`, `Payload Too Large` → `payload-too-large`: the generic code of a status. */
export function statusCode(status: number): string {
  return statusTitle(status)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
