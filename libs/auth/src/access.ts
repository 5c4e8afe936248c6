import type { Principal, Role } from './principal';

/** Operators reach every tenant; anyone else only their own. */
export function canAccessTenant(principal: Principal, tenantId: string): boolean {
  if (principal.role === 'operator') return true;
  return principal.tenantId !== undefined && principal.tenantId === tenantId;
}

/**
 * Operators reach every address, admins any address of their tenant (whether the address belongs to the
 * tenant is the service's check), users only their own, compared case-insensitively.
 */
export function canAccessAddress(principal: Principal, tenantId: string, address: string): boolean {
  if (!canAccessTenant(principal, tenantId)) return false;
  switch (principal.role) {
    case 'operator':
    case 'admin':
      return true;
    case 'user':
      return principal.address !== undefined && principal.address.toLowerCase() === address.toLowerCase();
  }
}

export type AccessDecision = 'allow' | 'forbidden' | 'not-found';

export interface AccessRequest {
  principal: Principal;
  /** The route's @Roles(); operators are always admitted, so a route without it is for operators only. */
  roles?: readonly Role[];
  /** Route parameters: `tenantId` and `address` scope the route. */
  params: Readonly<Record<string, string | undefined>>;
}

/**
 * The whole rule set for an authenticated call. Another tenant's route, or another user's address, is
 * 'not-found' (a 404 tells nothing about what exists); a role the route does not admit is 'forbidden'.
 * The tenant is checked before the role so that a foreign caller never learns more than "not found".
 */
export function decideAccess({ principal, roles, params }: AccessRequest): AccessDecision {
  if (principal.role === 'operator') return 'allow';
  const { tenantId, address } = params;
  if (tenantId !== undefined && !canAccessTenant(principal, tenantId)) return 'not-found';
  if (!roles?.includes(principal.role)) return 'forbidden';
  if (address !== undefined && !canAccessAddress(principal, tenantId ?? principal.tenantId ?? '', address)) return 'not-found';
  return 'allow';
}
