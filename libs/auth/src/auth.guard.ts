import { HttpStatus, Inject, Injectable, Logger, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ProblemException } from '@torii/http';
import { decideAccess } from './access';
import { ApiKeyVerifier } from './api-key.verifier';
import { INTERNAL_KEY, PUBLIC_KEY, ROLES_KEY, type AuthenticatedRequest } from './decorators';
import { AuthUnavailableError, InvalidCredentialsError } from './errors';
import { INTERNAL_TOKEN_HEADER, internalTokenMatches } from './internal';
import type { JwtVerifier } from './jwt';
import type { Principal, Role } from './principal';
import { looksLikeApiKey } from './secrets';
import { SessionVerifier } from './session.verifier';
import { AUTH_OPTIONS, JWT_VERIFIER, type ResolvedAuthOptions } from './tokens';

interface GuardedRequest extends AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  params?: Record<string, string | undefined>;
  path?: string;
}

const header = (request: GuardedRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** The credential a request carries: `X-API-Key`, or `Authorization: Bearer` holding a JWT or an API key. */
export function extractCredential(headers: { authorization?: string; apiKey?: string }): { kind: 'jwt' | 'api-key'; value: string } | undefined {
  if (headers.apiKey) return { kind: 'api-key', value: headers.apiKey.trim() };
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  if (!match) return undefined;
  return { kind: looksLikeApiKey(match[1]) ? 'api-key' : 'jwt', value: match[1] };
}

const unauthenticated = (detail: string) =>
  new ProblemException({ status: HttpStatus.UNAUTHORIZED, code: 'unauthenticated', detail });

/**
 * Global guard: lets @Internal routes through with the shared internal token only (403 without it),
 * authenticates every other HTTP route that is not @Public (401), then applies the role and tenant
 * rules of `decideAccess` (403 for a role the route does not admit, 404 for someone else's tenant or
 * address). Non-HTTP handlers (bus consumers in a hybrid app) are not its business.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger('AuthGuard');

  constructor(
    private readonly reflector: Reflector,
    @Inject(AUTH_OPTIONS) private readonly options: ResolvedAuthOptions,
    @Inject(JWT_VERIFIER) private readonly jwt: JwtVerifier,
    @Optional() private readonly apiKeys?: ApiKeyVerifier,
    @Optional() private readonly sessions?: SessionVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<GuardedRequest>();
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(INTERNAL_KEY, targets)) {
      if (internalTokenMatches(header(request, INTERNAL_TOKEN_HEADER), this.options.internalToken)) return true;
      throw new ProblemException({ status: HttpStatus.FORBIDDEN, code: 'internal-only', detail: 'For the gateway’s own services only.' });
    }
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    if (request.path !== undefined && this.options.publicPaths.includes(request.path)) return true;

    const principal = await this.authenticate(request);
    request.principal = principal;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    const decision = decideAccess({ principal, roles, params: request.params ?? {} });
    switch (decision) {
      case 'allow':
        return true;
      case 'forbidden':
        throw new ProblemException({ status: HttpStatus.FORBIDDEN, code: 'forbidden', detail: `${principal.role === 'user' ? 'A' : 'An'} ${principal.role} may not do this.` });
      case 'not-found':
        // As for a resource that does not exist: nothing says that it does, for someone else.
        throw new ProblemException({ status: HttpStatus.NOT_FOUND, code: 'not-found' });
    }
  }

  private async authenticate(request: GuardedRequest): Promise<Principal> {
    const credential = extractCredential({ authorization: header(request, 'authorization'), apiKey: header(request, 'x-api-key') });
    if (!credential) throw unauthenticated('Send a token or API key as `Authorization: Bearer …` or `X-API-Key`.');
    try {
      if (credential.kind === 'jwt') {
        const { principal, sessionVersion } = await this.jwt.verifyToken(credential.value);
        await this.sessions?.check(principal, sessionVersion);
        return principal;
      }
      const principal = await this.apiKeys?.verify(credential.value);
      if (!principal) throw new InvalidCredentialsError('unknown API key');
      return principal;
    } catch (error) {
      if (error instanceof InvalidCredentialsError) {
        this.logger.debug?.(`rejected ${credential.kind}: ${error.cause instanceof Error ? error.cause.message : error.message}`);
        throw unauthenticated('The token or API key is not valid.');
      }
      if (error instanceof AuthUnavailableError) {
        throw new ProblemException(
          { status: HttpStatus.SERVICE_UNAVAILABLE, code: 'auth-unavailable', detail: 'Credentials cannot be checked right now; try again.' },
          { cause: error },
        );
      }
      throw error;
    }
  }
}
