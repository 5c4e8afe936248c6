import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Principal, Role } from './principal';

/** Metadata keys; other libraries may set them without importing this one. */
export const PUBLIC_KEY = 'torii:auth:public';
export const ROLES_KEY = 'torii:auth:roles';
export const INTERNAL_KEY = 'torii:auth:internal';

/** No authentication at all (login, JWKS, health). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_KEY, true);

/**
 * For the other services only (the tenant service's API-key and session checks): no user credential, but the
 * shared INTERNAL_TOKEN in the X-Torii-Internal-Token header, else 403. Keep such routes off the ingress too.
 */
export const Internal = (): MethodDecorator & ClassDecorator => SetMetadata(INTERNAL_KEY, true);

/**
 * Which tenant roles may call, besides operators (always admitted); without it a route is for operators
 * only. On a class, a method's own @Roles wins.
 */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES_KEY, roles);

export interface AuthenticatedRequest {
  principal?: Principal;
}

/** The caller, as the AuthGuard established it (undefined only on @Public routes). */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal | undefined => context.switchToHttp().getRequest<AuthenticatedRequest>().principal,
);
