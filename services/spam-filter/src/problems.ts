import { HttpStatus } from '@nestjs/common';
import { ProblemException } from '@torii/http';

/** The API's problem codes in one place (documented in README.md and the OpenAPI descriptions). */
export const notFound = (what: string): ProblemException =>
  new ProblemException({ status: HttpStatus.NOT_FOUND, code: 'not-found', detail: `${what} was not found` });

export const conflict = (code: string, detail: string, extensions?: Record<string, unknown>): ProblemException =>
  new ProblemException({ status: HttpStatus.CONFLICT, code, detail, extensions });

export const unprocessable = (code: string, detail: string, extensions?: Record<string, unknown>): ProblemException =>
  new ProblemException({ status: HttpStatus.UNPROCESSABLE_ENTITY, code, detail, extensions });

export const forbiddenProblem = (detail: string): ProblemException => new ProblemException({ status: HttpStatus.FORBIDDEN, code: 'forbidden', detail });

/** A forward limit reached (security review F1); the controller sends `retryAfterSeconds` as Retry-After. */
export const forwardLimited = (scope: 'user' | 'tenant', limit: number, windowMs: number, retryAfterSeconds: number): ProblemException =>
  new ProblemException({
    status: HttpStatus.TOO_MANY_REQUESTS,
    code: 'forward-limit',
    detail: `${scope === 'user' ? 'you have' : 'your organisation has'} forwarded ${limit} quarantined messages in the last ${Math.round(windowMs / 60_000)} minutes, the most allowed; try again in ${retryAfterSeconds} s`,
    extensions: { scope, limit, windowSeconds: Math.round(windowMs / 1000), retryAfterSeconds },
  });
