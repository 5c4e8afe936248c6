import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { notFound } from './problems';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Tenant ids are UUIDs. Anything else in `:tenantId` names no tenant: 404, as for an unknown one. (An operator
 * passes the tenant check of the guard for any id; without this the value reached PostgreSQL and came back as a
 * 500.) Runs after the guard, so a request without credentials is still 401.
 */
@Injectable()
export class TenantIdInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const params = context.switchToHttp().getRequest<{ params?: Record<string, string> }>().params ?? {};
    const id = params['tenantId'];
    if (id !== undefined && !UUID.test(id)) throw notFound(`tenant ${id.slice(0, 64)}`);
    return next.handle();
  }
}
