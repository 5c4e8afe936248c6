import { HttpStatus, Inject, Injectable, UseGuards, applyDecorators, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ProblemException } from '@torii/http';
import type { AuthenticatedRequest } from './decorators';
import { clientIp, ipInRanges } from './ip';
import { AUTH_OPTIONS, type ResolvedAuthOptions } from './tokens';

/** A tenant's allowed source ranges (ARC9); null or empty means "no restriction". */
export abstract class IpAllowListSource {
  abstract allowedRanges(tenantId: string): Promise<string[] | null>;
}

interface IpRequest extends AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  params?: Record<string, string | undefined>;
  socket?: { remoteAddress?: string };
}

/**
 * Refuses (403) callers outside their tenant's allowed source ranges. Runs after the AuthGuard, so it
 * knows the tenant (route `:tenantId`, else the caller's own). Operators are platform staff, not bound by
 * a tenant's list.
 */
@Injectable()
export class IpAllowListGuard implements CanActivate {
  constructor(
    private readonly source: IpAllowListSource,
    @Inject(AUTH_OPTIONS) private readonly options: ResolvedAuthOptions,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<IpRequest>();
    if (request.principal?.role === 'operator') return true;
    const tenantId = request.params?.tenantId ?? request.principal?.tenantId;
    if (tenantId === undefined) return true;
    const ranges = await this.source.allowedRanges(tenantId);
    if (!ranges?.length) return true;
    const forwarded = request.headers['x-forwarded-for'];
    const ip = clientIp(request.socket?.remoteAddress, Array.isArray(forwarded) ? forwarded.join(',') : forwarded, this.options.trustedProxies);
    if (ip !== undefined && ipInRanges(ip, ranges)) return true;
    throw new ProblemException({
      status: HttpStatus.FORBIDDEN,
      code: 'source-ip-not-allowed',
      detail: `Requests from ${ip ?? 'an unknown address'} are not allowed for this tenant.`,
    });
  }
}

/** Limits a route (or controller) to the tenant's allowed source IP ranges. Needs `ipAllowList` in AuthModule. */
export const IpAllowList = (): MethodDecorator & ClassDecorator => applyDecorators(UseGuards(IpAllowListGuard));
