import { Injectable, SetMetadata, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { HealthController, MetricsController } from '@torii/telemetry';
import type { Observable } from 'rxjs';
import { ValidationProblemException, type ProblemFieldError } from './problem';

/** The query parameters a handler reads: their names, or `'whole'` when it takes the query as one DTO. */
type DeclaredQuery = ReadonlySet<string> | 'whole';

interface RouteArg {
  index: number;
  data?: unknown;
}

const ANY_QUERY = 'torii:any-query';

/**
 * Takes any query string without looking at it: for pages a person opens from a mail (a tracker or a mail
 * gateway may add `?utm_source=…`), not for API routes, whose parameters mean something.
 */
export const AnyQuery = () => SetMetadata(ANY_QUERY, true);

/** Probes and scrapers may add parameters (a cache-buster, Prometheus `params:`); these routes read none. */
const PROBES: readonly object[] = [HealthController, MetricsController];

/** What `@Query('name')` and `@Query()` args of a handler declare, read from Nest's route-args metadata. */
export function declaredQuery(controller: object, handler: string | symbol): DeclaredQuery {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handler) ?? {}) as Record<string, RouteArg>;
  const names = new Set<string>();
  for (const [key, arg] of Object.entries(args)) {
    // Keys are `<paramtype>:<index>`; custom decorators (`@CurrentPrincipal()`) have another prefix.
    if (key.split(':')[0] !== String(RouteParamtypes.QUERY)) continue;
    if (typeof arg.data !== 'string') return 'whole';
    names.add(arg.data);
  }
  return names;
}

const pointerOf = (name: string) => `/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;

/**
 * Refuses a query parameter the route does not read (400 `validation-failed`, one entry per name), so a
 * misspelt filter (`perod=current-month`, `?role=admin` on a list that has no filter) is an error, not an
 * answer for something else. A handler taking the whole query as a DTO (`@Query() q: XQueryDto`) is left
 * to the validation pipe, which compares against the schema. No Torii query takes a list, so a parameter
 * given twice is refused too, whatever the route: which of the two would count is a guess.
 * It runs after the guards (an unauthenticated caller learns nothing about the route) and only for
 * controller handlers: Swagger UI and other plain Express routes never reach it.
 */
@Injectable()
export class UnknownQueryInterceptor implements NestInterceptor {
  private readonly declared = new WeakMap<object, DeclaredQuery>();

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const query = context.switchToHttp().getRequest<{ query?: unknown }>().query;
    if (typeof query !== 'object' || query === null) return next.handle();
    const names = Object.keys(query);
    if (names.length === 0) return next.handle();

    if (this.takesAny(context)) return next.handle();
    const declared = this.declaredOf(context);
    const errors: ProblemFieldError[] = [];
    for (const name of names) {
      const value = (query as Record<string, unknown>)[name];
      if (declared !== 'whole' && !declared.has(name)) errors.push({ in: 'query', pointer: pointerOf(name), detail: 'unknown query parameter' });
      else if (Array.isArray(value)) errors.push({ in: 'query', pointer: pointerOf(name), detail: `given more than once (${value.length} times); give it once` });
    }
    // The parser takes up to 1,000 parameters; twenty named are enough to see the mistake.
    if (errors.length) throw new ValidationProblemException(errors.slice(0, 20));
    return next.handle();
  }

  private takesAny(context: ExecutionContext): boolean {
    const controller = context.getClass();
    return PROBES.includes(controller) || Reflect.getMetadata(ANY_QUERY, context.getHandler()) === true || Reflect.getMetadata(ANY_QUERY, controller) === true;
  }

  private declaredOf(context: ExecutionContext): DeclaredQuery {
    const handler = context.getHandler();
    let declared = this.declared.get(handler);
    if (declared === undefined) {
      declared = declaredQuery(context.getClass(), handler.name);
      this.declared.set(handler, declared);
    }
    return declared;
  }
}
