import { Controller, Get, Injectable, Module, Param } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createServiceApp } from '@torii/http';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import request from 'supertest';
import {
  ApiKeyVerifier,
  AuthModule,
  AuthUnavailableError,
  CurrentPrincipal,
  IpAllowList,
  INTERNAL_TOKEN_HEADER,
  Internal,
  IpAllowListSource,
  Public,
  Roles,
  type Principal,
} from '../src';

const ISSUER = 'torii-tenant';

@Controller()
class ProbeController {
  @Get('public')
  @Public()
  open() {
    return { ok: true };
  }

  @Get('internal/who')
  @Internal()
  internal() {
    return { ok: true };
  }

  @Get('platform')
  platform(@CurrentPrincipal() principal: Principal) {
    return principal;
  }

  @Get('tenants/:tenantId/settings')
  @Roles('admin')
  settings(@Param('tenantId') tenantId: string) {
    return { tenantId };
  }

  @Get('tenants/:tenantId/addresses/:address/quarantine')
  @Roles('admin', 'user')
  quarantine(@Param('address') address: string, @CurrentPrincipal() principal: Principal) {
    return { address, subject: principal.subject };
  }

  @Get('tenants/:tenantId/archive')
  @Roles('admin')
  @IpAllowList()
  archive() {
    return { ok: true };
  }
}

/** Our own interface, stubbed: key "torii_…a" is tenant A's admin, anything else is unknown. */
@Injectable()
class StubApiKeyVerifier extends ApiKeyVerifier {
  static readonly adminKey = `torii_${'0'.repeat(16)}_${'a'.repeat(48)}`;
  static readonly unreachableKey = `torii_${'9'.repeat(16)}_${'c'.repeat(48)}`;
  verify(key: string): Promise<Principal | null> {
    if (key === StubApiKeyVerifier.unreachableKey) return Promise.reject(new AuthUnavailableError('tenant service down'));
    return Promise.resolve(key === StubApiKeyVerifier.adminKey ? { subject: 'key-1', role: 'admin', tenantId: 'A', via: 'api-key' } : null);
  }
}

@Injectable()
class StubIpAllowList extends IpAllowListSource {
  allowedRanges(tenantId: string): Promise<string[] | null> {
    return Promise.resolve(tenantId === 'A' ? ['203.0.113.0/24', '2001:db8::/32'] : null);
  }
}

describe('AuthModule in a service', () => {
  let app: NestExpressApplication;
  let sign: (claims: Record<string, unknown>, options?: { issuer?: string; expiresIn?: string | number; kid?: string }) => Promise<string>;

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const { privateKey: otherKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
    sign = (claims, options = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'EdDSA', kid: options.kid ?? 'k1' })
        .setIssuer(options.issuer ?? ISSUER)
        .setAudience('torii')
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '5m')
        .sign(options.kid === 'other' ? otherKey : privateKey);

    @Module({
      imports: [
        AuthModule.forRoot({
          jwks: { keys: () => Promise.resolve({ keys: [jwk] }) },
          apiKeyVerifier: StubApiKeyVerifier,
          ipAllowList: StubIpAllowList,
          trustedProxies: ['127.0.0.0/8', '::1/128'],
          internalToken: 'the-shared-internal-token',
        }),
      ],
      controllers: [ProbeController],
    })
    class ProbeModule {}

    app = await createServiceApp({ name: 'auth-test', module: ProbeModule, openapi: { title: 'Auth test', version: '1' }, logger: false });
    await app.init();
  });
  afterAll(() => app.close());

  const operator = () => sign({ sub: 'op-1', role: 'operator' });
  const adminA = () => sign({ sub: 'admin-1', role: 'admin', tid: 'A', email: 'boss@a.example' });
  const userA = () => sign({ sub: 'user-1', role: 'user', tid: 'A', email: 'Alice@a.example' });
  const get = (path: string, token?: string) => {
    const req = request(app.getHttpServer()).get(path);
    return token ? req.set('authorization', `Bearer ${token}`) : req;
  };

  it('lets anyone reach @Public routes and health', async () => {
    await get('/public').expect(200);
    await get('/healthz').expect(200);
  });

  it('lets @Internal routes answer only with the internal token: no credential, a user’s, or a wrong token is 403', async () => {
    await get('/internal/who').set(INTERNAL_TOKEN_HEADER, 'the-shared-internal-token').expect(200, { ok: true });
    for (const res of [
      await get('/internal/who'),
      await get('/internal/who', await operator()),
      await get('/internal/who').set(INTERNAL_TOKEN_HEADER, 'the-shared-internal-toke'),
    ]) {
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ status: 403, code: 'internal-only' });
    }
  });

  it('answers 401 problem details without a credential', async () => {
    const res = await get('/tenants/A/settings').expect(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 401, code: 'unauthenticated' });
  });

  it('scopes a tenant admin to their tenant', async () => {
    await get('/tenants/A/settings', await adminA()).expect(200, { tenantId: 'A' });
    const other = await get('/tenants/B/settings', await adminA()).expect(404);
    expect(other.body).toMatchObject({ status: 404, title: 'Not Found' });
    await get('/tenants/A/addresses/anyone@a.example/quarantine', await adminA()).expect(200);
    const admin = await get('/platform', await adminA()).expect(403);
    expect(admin.body.detail).toBe('An admin may not do this.');
  });

  it('scopes a user to their own address and user routes', async () => {
    await get('/tenants/A/addresses/alice@A.EXAMPLE/quarantine', await userA()).expect(200, { address: 'alice@A.EXAMPLE', subject: 'user-1' });
    await get('/tenants/A/addresses/bob@a.example/quarantine', await userA()).expect(404);
    await get('/tenants/B/addresses/alice@a.example/quarantine', await userA()).expect(404);
    const forbidden = await get('/tenants/A/settings', await userA()).expect(403);
    expect(forbidden.body).toMatchObject({ status: 403, code: 'forbidden', detail: 'A user may not do this.' });
  });

  it('lets an operator in everywhere', async () => {
    const token = await operator();
    const me = await get('/platform', token).expect(200);
    expect(me.body).toEqual({ subject: 'op-1', role: 'operator', via: 'jwt' });
    await get('/tenants/B/settings', token).expect(200);
    await get('/tenants/B/addresses/x@b.example/quarantine', token).expect(200);
  });

  it.each([
    ['expired', () => sign({ sub: 'op-1', role: 'operator' }, { expiresIn: Math.floor(Date.now() / 1000) - 60 })],
    ['of another issuer', () => sign({ sub: 'op-1', role: 'operator' }, { issuer: 'someone-else' })],
    ['signed with an unknown key', () => sign({ sub: 'op-1', role: 'operator' }, { kid: 'other' })],
    ['without a known role', () => sign({ sub: 'op-1', role: 'root' })],
    ['of an admin without tid', () => sign({ sub: 'a', role: 'admin' })],
    ['that is not a JWT at all', () => Promise.resolve('garbage')],
  ])('refuses a token %s with 401', async (_name, token) => {
    await get('/platform', await token()).expect(401);
  });

  it('accepts API keys via X-API-Key and Bearer, refuses unknown ones', async () => {
    await get('/tenants/A/settings').set('x-api-key', StubApiKeyVerifier.adminKey).expect(200);
    await get('/tenants/A/settings', StubApiKeyVerifier.adminKey).expect(200);
    await get('/tenants/B/settings', StubApiKeyVerifier.adminKey).expect(404);
    await get('/tenants/A/settings').set('x-api-key', `torii_${'1'.repeat(16)}_${'b'.repeat(48)}`).expect(401);
    const unavailable = await get('/tenants/A/settings').set('x-api-key', StubApiKeyVerifier.unreachableKey).expect(503);
    expect(unavailable.body).toMatchObject({ status: 503, code: 'auth-unavailable' });
  });

  it('limits @IpAllowList routes to the tenant source ranges, through a trusted proxy', async () => {
    const token = await adminA();
    await get('/tenants/A/archive', token).set('x-forwarded-for', '203.0.113.50').expect(200);
    await get('/tenants/A/archive', token).set('x-forwarded-for', '2001:db8::7').expect(200);
    const refused = await get('/tenants/A/archive', token).set('x-forwarded-for', '198.51.100.1').expect(403);
    expect(refused.body).toMatchObject({ status: 403, code: 'source-ip-not-allowed' });
    // The client cannot smuggle an allowed address in front of the one the proxy saw.
    await get('/tenants/A/archive', token).set('x-forwarded-for', '203.0.113.50, 198.51.100.1').expect(403);
    // Directly from loopback, which is not in tenant A's list.
    await get('/tenants/A/archive', token).expect(403);
    // Operators are not bound by a tenant's list.
    await get('/tenants/A/archive', await operator()).set('x-forwarded-for', '198.51.100.1').expect(200);
  });
});
