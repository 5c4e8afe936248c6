import { canAccessAddress, canAccessTenant, decideAccess } from './access';
import type { Principal, Role } from './principal';

const operator: Principal = { subject: 'op', role: 'operator', via: 'jwt' };
const adminA: Principal = { subject: 'ad', role: 'admin', tenantId: 'A', via: 'jwt' };
const userA: Principal = { subject: 'us', role: 'user', tenantId: 'A', address: 'Alice@Example.com', via: 'api-key' };
const tenantless: Principal = { subject: 'x', role: 'admin', via: 'jwt' };

describe('canAccessTenant', () => {
  it.each([
    [operator, 'A', true],
    [operator, 'B', true],
    [adminA, 'A', true],
    [adminA, 'B', false],
    [userA, 'A', true],
    [userA, 'B', false],
    [tenantless, 'A', false],
  ])('%o on %s → %s', (principal, tenantId, expected) => expect(canAccessTenant(principal, tenantId)).toBe(expected));
});

describe('canAccessAddress', () => {
  it.each([
    [operator, 'B', 'bob@b.example', true],
    [adminA, 'A', 'bob@example.com', true],
    [adminA, 'B', 'bob@b.example', false],
    [userA, 'A', 'alice@example.com', true],
    [userA, 'A', 'ALICE@EXAMPLE.COM', true],
    [userA, 'A', 'bob@example.com', false],
    [userA, 'B', 'alice@example.com', false],
    [{ ...userA, address: undefined }, 'A', 'alice@example.com', false],
  ])('%o on %s/%s → %s', (principal, tenantId, address, expected) => expect(canAccessAddress(principal, tenantId, address)).toBe(expected));
});

describe('decideAccess', () => {
  const cases: [string, Principal, Role[] | undefined, Record<string, string>, string][] = [
    ['operator-only by default', operator, undefined, {}, 'allow'],
    ['admin on a route without @Roles', adminA, undefined, {}, 'forbidden'],
    ['admin of another tenant, default route', adminA, undefined, { tenantId: 'B' }, 'not-found'],
    ['admin on own tenant', adminA, ['admin'], { tenantId: 'A' }, 'allow'],
    ['admin on another tenant', adminA, ['admin'], { tenantId: 'B' }, 'not-found'],
    ['admin on any address of own tenant', adminA, ['admin', 'user'], { tenantId: 'A', address: 'x@example.com' }, 'allow'],
    ['user on own address', userA, ['admin', 'user'], { tenantId: 'A', address: 'alice@example.com' }, 'allow'],
    ['user on another address', userA, ['admin', 'user'], { tenantId: 'A', address: 'bob@example.com' }, 'not-found'],
    ['user on an admin-only route', userA, ['admin'], { tenantId: 'A' }, 'forbidden'],
    ['user of another tenant on an admin-only route', userA, ['admin'], { tenantId: 'B' }, 'not-found'],
    ['user on an address route without :tenantId', userA, ['user'], { address: 'bob@example.com' }, 'not-found'],
    ['user on own address without :tenantId', userA, ['user'], { address: 'alice@example.com' }, 'allow'],
    ['operator on any tenant and address', operator, ['admin', 'user'], { tenantId: 'Z', address: 'z@z.example' }, 'allow'],
    ['operator on a route for admins only', operator, ['admin'], {}, 'allow'],
  ];
  it.each(cases)('%s', (_name, principal, roles, params, expected) => expect(decideAccess({ principal, roles, params })).toBe(expected));
});
