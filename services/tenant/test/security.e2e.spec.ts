import type { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigError } from '@torii/config';
import { DEV_INTERNAL_TOKEN, INTERNAL_TOKEN_HEADER } from '@torii/auth';
import { uniqueName } from '@torii/testing';
import { parseTenantConfig } from '../src/config';
import { PrismaService } from '../src/db/prisma.service';
import { SeedService } from '../src/seed/seed.service';
import { startTenantBed, type TenantBed } from './support/tenant-bed';

jest.setTimeout(60_000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sleepUntil = (time: number) => sleep(Math.max(0, time - Date.now()));
// Locks long enough that a loaded machine reads them well within them; every bound below is from times measured.
const LOCK_BASE_MS = 5_000;
const BACKOFF_BASE_MS = 5_000;

/**
 * A lock of `lockMs` was set by a request sent and answered within `set`, its Retry-After read by one within
 * `read` (the database and the test share one clock): Retry-After is the lock's end minus the read, rounded up.
 */
function expectRetryAfter(response: { headers: Record<string, string> }, lockMs: number, set: [number, number], read: [number, number]): void {
  const seconds = Number(response.headers['retry-after']);
  expect(seconds).toBeGreaterThanOrEqual(Math.floor((set[0] + lockMs - read[1]) / 1000));
  expect(seconds).toBeLessThanOrEqual(Math.ceil((set[1] + lockMs - read[0]) / 1000));
}

/**
 * The security review's findings on the tenant service (F4 login throttling, F6 where a tenant's server may
 * be, F7 the internal endpoints), on the default settings, with two replicas on one database.
 */
describe('tenant service security', () => {
  let bed: TenantBed;
  let replicas: NestExpressApplication[];
  let operator: string;
  // Replica 0 by default; the client address is set with X-Forwarded-For (the test is the trusted proxy).
  const http = (replica = 0) => bed.http(replica);
  const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
  let nextIp = 1;
  /** A fresh client address, so that each rule is tested apart from the others. */
  const freshIp = () => {
    const n = nextIp++;
    return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  };
  const attempt = (email: string, password: string, options: { ip?: string; replica?: number } = {}) =>
    http(options.replica).post('/v1/auth/login').set('X-Forwarded-For', options.ip ?? freshIp()).send({ email, password });
  const login = async (email: string, password: string) => ((await attempt(email, password).expect(200)).body as { token: string }).token;

  beforeAll(async () => {
    bed = await startTenantBed({
      replicas: 2,
      env: {
        TRUSTED_PROXIES: '127.0.0.1,::1',
        // Short locks so that the doubling is seen in a test; counts and window are the defaults (5, 20, 50, 15 min).
        LOGIN_LOCK_BASE: `${LOCK_BASE_MS}ms`,
        LOGIN_ACCOUNT_BACKOFF_BASE: `${BACKOFF_BASE_MS}ms`,
      },
    });
    replicas = bed.apps;
    operator = bed.operator;
  });

  afterAll(async () => bed?.close());

  async function tenantWithAdmin(name: string): Promise<{ id: string; admin: string; email: string }> {
    const id = ((await http().post('/v1/tenants').set(auth(operator)).send({ name }).expect(201)).body as { id: string }).id;
    const email = `admin@${name.replaceAll('_', '-')}.example`;
    await http().post(`/v1/tenants/${id}/admins`).set(auth(operator)).send({ email, password: 'admin-password' }).expect(201);
    return { id, email, admin: await login(email, 'admin-password') };
  }

  describe('F7: /internal/* answers the other services only', () => {
    it('refuses the API-key and session checks without the internal token (403), answers with it', async () => {
      const { id, admin } = await tenantWithAdmin(uniqueName('int'));
      const me = (await http().get('/v1/me').set(auth(admin)).expect(200)).body as { subject: string };
      const key = ((await http().post(`/v1/tenants/${id}/api-keys`).set(auth(admin)).send({ label: 'k' }).expect(201)).body as { key: string }).key;
      const session = () => http().get(`/internal/v1/users/${me.subject}/session`);
      const verify = () => http().post('/internal/v1/api-keys/verify');

      for (const res of [await session(), await verify().send({ key }), await session().set(auth(admin)), await session().set(INTERNAL_TOKEN_HEADER, 'guess')]) {
        expect(res.status).toBe(403);
        expect(res.body).toMatchObject({ code: 'internal-only' });
        expect(JSON.stringify(res.body)).not.toContain(id);
      }
      expect((await session().set(INTERNAL_TOKEN_HEADER, DEV_INTERNAL_TOKEN).expect(200)).body).toEqual({ role: 'admin', tenantId: id, sessionVersion: 0 });
      expect((await verify().set(INTERNAL_TOKEN_HEADER, DEV_INTERNAL_TOKEN).send({ key }).expect(200)).body).toMatchObject({ role: 'admin', tenantId: id });
    });

    it('refuses to boot in production without a real INTERNAL_TOKEN', () => {
      const env = { NODE_ENV: 'production', DATABASE_URL: bed.db.url };
      for (const token of [undefined, DEV_INTERNAL_TOKEN, 'too-short']) {
        expect(() => parseTenantConfig({ ...env, INTERNAL_TOKEN: token })).toThrow(ConfigError);
        expect(() => parseTenantConfig({ ...env, INTERNAL_TOKEN: token })).toThrow(/INTERNAL_TOKEN: required in production/);
      }
      expect(parseTenantConfig({ ...env, INTERNAL_TOKEN: 'r'.repeat(32) }).INTERNAL_TOKEN).toBe('r'.repeat(32));
    });
  });

  describe('F6: a tenant’s mail server is a public address on a mail port (by default)', () => {
    it('refuses internal addresses and non-mail ports with 422, and keeps the server it had', async () => {
      const { id, admin } = await tenantWithAdmin(uniqueName('srv'));
      const name = `${uniqueName('d').replaceAll('_', '-')}.example`;
      await http().post(`/v1/tenants/${id}/domains`).set(auth(admin)).send({ name }).expect(201);
      const put = (server: { hostname: string; ips: string[]; port: number }, token = admin) => http().put(`/v1/tenants/${id}/domains/${name}/server`).set(auth(token)).send(server);
      const good = { hostname: 'mail.customer.example', ips: ['93.184.216.34'], port: 25 };
      await put(good).expect(200);
      for (const [server, code] of [
        [{ hostname: 'postgres', ips: ['127.0.0.1'], port: 25 }, 'mail-server-address-not-allowed'],
        [{ hostname: 'metadata', ips: ['169.254.169.254'], port: 25 }, 'mail-server-address-not-allowed'],
        [{ hostname: 'inside', ips: ['10.0.0.5'], port: 25 }, 'mail-server-address-not-allowed'],
        [{ hostname: 'mapped', ips: ['93.184.216.34', '::ffff:127.0.0.1'], port: 25 }, 'mail-server-address-not-allowed'],
        [{ hostname: 'v6', ips: ['::1'], port: 587 }, 'mail-server-address-not-allowed'],
        [{ hostname: 'postgres', ips: ['93.184.216.34'], port: 5432 }, 'mail-server-port-not-allowed'],
        [{ hostname: 'web', ips: [], port: 80 }, 'mail-server-port-not-allowed'],
      ] as const) {
        const res = await put({ ...server, ips: [...server.ips] }).expect(422);
        expect(res.body).toMatchObject({ code });
        // The operator is held to the same settings (MAIL_SERVER_ALLOWED_RANGES widens them for everyone).
        await put({ ...server, ips: [...server.ips] }, operator).expect(422);
      }
      expect((await http().get(`/v1/tenants/${id}/domains/${name}/server`).set(auth(admin)).expect(200)).body).toMatchObject(good);
      await put({ hostname: 'mail.customer.example', ips: ['2a00:1450:4001::1'], port: 587 }).expect(200);
    });

    it('refuses such a server in the seed too', async () => {
      const tenant = uniqueName('seedsrv');
      const domain = `${tenant.replaceAll('_', '-')}.example`;
      await expect(
        replicas[0].get(SeedService).apply({
          operators: [],
          tenants: [{ name: tenant, admins: [], domains: [{ name: domain, plan: 10, server: { hostname: 'localhost', ips: ['127.0.0.1'], port: 2526 }, services: [], addresses: [], users: [] }] }],
        }),
      ).rejects.toMatchObject({ status: 422 });
    });
  });

  describe('F5: an admin creates logins only in the tenant’s own domains', () => {
    it('refuses an admin login with another tenant’s (or any foreign) email; the operator may', async () => {
      const a = await tenantWithAdmin(uniqueName('sqa'));
      const b = await tenantWithAdmin(uniqueName('sqb'));
      const own = `${uniqueName('own').replaceAll('_', '-')}.example`;
      const victim = `${uniqueName('victim').replaceAll('_', '-')}.example`;
      await http().post(`/v1/tenants/${a.id}/domains`).set(auth(a.admin)).send({ name: own }).expect(201);
      await http().post(`/v1/tenants/${b.id}/domains`).set(auth(b.admin)).send({ name: victim }).expect(201);
      const squat = await http().post(`/v1/tenants/${a.id}/users`).set(auth(a.admin)).send({ email: `alice@${victim}`, password: 'squatter-pw', role: 'admin' }).expect(422);
      expect(squat.body).toMatchObject({ code: 'email-not-in-tenant-domains' });
      await http().post(`/v1/tenants/${a.id}/users`).set(auth(a.admin)).send({ email: 'boss@gmail.example', password: 'squatter-pw', role: 'admin' }).expect(422);
      // So tenant B can still give alice her login.
      await http().post(`/v1/tenants/${b.id}/domains/${victim}/addresses`).set(auth(b.admin)).send({ address: 'alice' }).expect(201);
      await http().post(`/v1/tenants/${b.id}/users`).set(auth(b.admin)).send({ email: `alice@${victim}`, password: 'real-alice-pw', role: 'user' }).expect(201);
      // An admin of the tenant's own domain, and any email by the operator.
      await http().post(`/v1/tenants/${a.id}/users`).set(auth(a.admin)).send({ email: `second@${own.toUpperCase()}`, password: 'second-admin-pw', role: 'admin' }).expect(201);
      await http().post(`/v1/tenants/${a.id}/admins`).set(auth(operator)).send({ email: 'contractor@elsewhere.example', password: 'contractor-pw' }).expect(201);
    });
  });

  describe('F4: login throttling, shared by the replicas', () => {
    it('locks an account for one address after 5 failures from it (even the right password, on either replica), doubling; other addresses still log in; a success clears it', async () => {
      const { email, id } = await tenantWithAdmin(uniqueName('lock'));
      const ip = freshIp();
      for (let i = 0; i < 4; i++) await attempt(email, `guess-${i}`, { ip, replica: i % 2 }).expect(401);
      let set: [number, number] = [Date.now(), 0];
      await attempt(email, 'guess-4', { ip, replica: 1 }).expect(401);
      set[1] = Date.now();
      for (const replica of [0, 1]) {
        const readFrom = Date.now();
        const locked = await attempt(email, 'admin-password', { ip, replica }).expect(429);
        expect(locked.body).toMatchObject({ code: 'login-throttled' });
        expectRetryAfter(locked, LOCK_BASE_MS, set, [readFrom, Date.now()]);
      }
      // Guessing cannot lock the owner out: from any other address the right password works, on either replica,
      // while the guessing address stays locked.
      await attempt(email, 'admin-password', { replica: 0 }).expect(200);
      await attempt(email, 'admin-password', { replica: 1 }).expect(200);
      await attempt(email, 'admin-password', { ip }).expect(429);

      await sleepUntil(set[1] + LOCK_BASE_MS + 100);
      // Guessing on after the lock: locked again at once, for twice as long.
      set = [Date.now(), 0];
      await attempt(email, 'guess-5', { ip }).expect(401);
      set[1] = Date.now();
      const readFrom = Date.now();
      const doubled = await attempt(email, 'admin-password', { ip, replica: 1 }).expect(429);
      expectRetryAfter(doubled, 2 * LOCK_BASE_MS, set, [readFrom, Date.now()]);
      await sleepUntil(set[1] + 2 * LOCK_BASE_MS + 100);
      await attempt(email, 'admin-password', { ip }).expect(200);
      // The success cleared the count of that address: 4 more failures do not lock.
      for (let i = 0; i < 4; i++) await attempt(email, `again-${i}`, { ip }).expect(401);
      await attempt(email, 'admin-password', { ip }).expect(200);

      const audit = await replicas[0].get(PrismaService).auditLog.findMany({ where: { tenantId: id, action: { in: ['user.login-locked', 'user.login-backoff'] } }, orderBy: { id: 'asc' } });
      expect(audit.map((a) => [a.action, a.target, (a.details as { failures: number }).failures, (a.details as { ip: string }).ip])).toEqual([
        ['user.login-locked', email, 5, ip],
        ['user.login-locked', email, 6, ip],
      ]);
    });

    it('backs off an account guessed at from many addresses (50 failures), doubling, except from an address it logged in from', async () => {
      const { email, id } = await tenantWithAdmin(uniqueName('spread'));
      const home = freshIp();
      await attempt(email, 'admin-password', { ip: home, replica: 1 }).expect(200);
      // One guess from each of 50 addresses: no address comes near its lock, and none is refused.
      for (let i = 0; i < 49; i++) await attempt(email, `guess-${i}`, { replica: i % 2 }).expect(401);
      let set: [number, number] = [Date.now(), 0];
      await attempt(email, 'guess-49').expect(401);
      set[1] = Date.now();
      // A new address waits out the back-off, even with the right password, on either replica...
      for (const replica of [0, 1]) {
        const readFrom = Date.now();
        const refused = await attempt(email, 'admin-password', { replica }).expect(429);
        expect(refused.body).toMatchObject({ code: 'login-throttled' });
        expectRetryAfter(refused, BACKOFF_BASE_MS, set, [readFrom, Date.now()]);
      }
      // ...but the owner at an address they logged in from does not (the other replica remembered it).
      await attempt(email, 'admin-password', { ip: home, replica: 0 }).expect(200);
      // The back-off is short: after it, a new address logs in.
      await sleepUntil(set[1] + BACKOFF_BASE_MS + 100);
      await attempt(email, 'admin-password').expect(200);

      // Guessing on doubles it (the owner's logins did not reset the count).
      set = [Date.now(), 0];
      await attempt(email, 'guess-50', { replica: 1 }).expect(401);
      set[1] = Date.now();
      const readFrom = Date.now();
      const doubled = await attempt(email, 'admin-password').expect(429);
      expectRetryAfter(doubled, 2 * BACKOFF_BASE_MS, set, [readFrom, Date.now()]);
      // From home, a typo is a plain 401 and the right password a login.
      await attempt(email, 'typo', { ip: home }).expect(401);
      await attempt(email, 'admin-password', { ip: home, replica: 1 }).expect(200);

      const audit = await replicas[0].get(PrismaService).auditLog.findMany({ where: { tenantId: id, action: { in: ['user.login-locked', 'user.login-backoff'] } }, orderBy: { id: 'asc' } });
      expect(audit.map((a) => [a.action, a.target, (a.details as { failures: number }).failures])).toEqual([
        ['user.login-backoff', email, 50],
        ['user.login-backoff', email, 51],
        ['user.login-backoff', email, 52],
      ]);
    });

    it('remembers the latest 10 addresses an account logged in from, shared by the replicas', async () => {
      const { email } = await tenantWithAdmin(uniqueName('known'));
      const addresses = Array.from({ length: 11 }, () => freshIp());
      for (const [i, ip] of addresses.entries()) await attempt(email, 'admin-password', { ip, replica: i % 2 }).expect(200);
      const user = await replicas[0].get(PrismaService).user.findUniqueOrThrow({ where: { email } });
      const known = await replicas[0].get(PrismaService).loginKnownAddress.findMany({ where: { userId: user.id } });
      expect(known.map((k) => k.ip).sort()).toEqual(addresses.slice(1).sort());
    });

    it('locks a client address after 20 failures, whatever the accounts; others are not affected', async () => {
      const { email } = await tenantWithAdmin(uniqueName('ip'));
      const ip = '203.0.113.77';
      for (let i = 0; i < 20; i++) await attempt(`nobody${i}@spray.example`, 'whatever-pw', { ip, replica: i % 2 }).expect(401);
      const refused = await attempt(email, 'admin-password', { ip }).expect(429);
      expect(refused.body).toMatchObject({ code: 'login-throttled' });
      await attempt(email, 'admin-password', { ip: '203.0.113.78' }).expect(200);
    });

    it('counts unknown emails like known ones (no difference to probe for)', async () => {
      const ip = freshIp();
      for (let i = 0; i < 5; i++) await attempt('ghost@unknown.example', `guess-${i}`, { ip }).expect(401);
      await attempt('ghost@unknown.example', 'guess', { ip }).expect(429);
      await attempt('ghost@unknown.example', 'guess').expect(401);
    });
  });
});
