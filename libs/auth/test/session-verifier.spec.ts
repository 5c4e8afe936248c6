import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEV_INTERNAL_TOKEN, HttpSessionVerifier, INTERNAL_TOKEN_HEADER, InvalidCredentialsError, endedBecause, type Principal, type SessionState } from '../src';

/** A stand-in for the tenant service's session endpoint: users by id, and a switch to make it fail. */
async function startSessionStub() {
  const users = new Map<string, SessionState>();
  const calls: string[] = [];
  let failing = false;
  const server: Server = createServer((req, res) => {
    calls.push(req.url ?? '');
    const match = /^\/internal\/v1\/users\/([^/]+)\/session$/.exec(req.url ?? '');
    // Like the tenant service: /internal/ answers only with the shared internal token.
    if (req.headers[INTERNAL_TOKEN_HEADER] !== DEV_INTERNAL_TOKEN) {
      res.writeHead(403, { 'content-type': 'application/problem+json' });
      res.end('{"status":403,"code":"internal-only"}');
      return;
    }
    if (failing || req.method !== 'GET' || !match) {
      res.writeHead(failing ? 503 : 404);
      res.end();
      return;
    }
    const state = users.get(decodeURIComponent(match[1]));
    if (!state) {
      res.writeHead(404, { 'content-type': 'application/problem+json' });
      res.end('{"status":404}');
      return;
    }
    // Slow enough that concurrent checks overlap.
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(state));
    }, 20);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    users,
    calls,
    fail: (value: boolean) => {
      failing = value;
    },
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

const alice: Principal = { subject: 'u-alice', role: 'user', tenantId: 'T1', address: 'alice@a.example', via: 'jwt' };

describe('endedBecause', () => {
  const state: SessionState = { role: 'user', tenantId: 'T1', sessionVersion: 2 };
  it('lets a token stand only for the same user, role, tenant and session version', () => {
    expect(endedBecause(state, alice, 2)).toBeUndefined();
    expect(endedBecause(null, alice, 2)).toMatch(/no longer exists/);
    expect(endedBecause({ ...state, role: 'admin' }, alice, 2)).toMatch(/role changed/);
    expect(endedBecause({ ...state, tenantId: 'T2' }, alice, 2)).toMatch(/tenant changed/);
    expect(endedBecause(state, alice, 1)).toMatch(/sessions were ended/);
    const operator: Principal = { subject: 'op', role: 'operator', via: 'jwt' };
    expect(endedBecause({ role: 'operator', tenantId: null, sessionVersion: 0 }, operator, 0)).toBeUndefined();
  });
});

describe('HttpSessionVerifier against a real HTTP server', () => {
  let stub: Awaited<ReturnType<typeof startSessionStub>>;
  let clock: number;
  const warnings: string[] = [];
  const verifier = () => new HttpSessionVerifier({ tenantUrl: stub.url, ttlMs: 30_000, now: () => clock, logger: { warn: (m: string) => warnings.push(m) } });

  beforeAll(async () => {
    stub = await startSessionStub();
  });
  afterAll(() => stub.close());
  beforeEach(() => {
    clock = 1_000_000;
    stub.calls.length = 0;
    warnings.length = 0;
    stub.fail(false);
    stub.users.clear();
    stub.users.set('u-alice', { role: 'user', tenantId: 'T1', sessionVersion: 0 });
  });

  it('passes a standing token and asks once per user within the cache time, concurrent checks sharing a request', async () => {
    const sessions = verifier();
    await Promise.all([sessions.check(alice, 0), sessions.check(alice, 0), sessions.check(alice, 0)]);
    clock += 29_000;
    await sessions.check(alice, 0);
    expect(stub.calls).toEqual(['/internal/v1/users/u-alice/session']);
  });

  it('refuses the token once the user is deleted or signed out, after the cache time', async () => {
    const sessions = verifier();
    await sessions.check(alice, 0);
    stub.users.set('u-alice', { role: 'user', tenantId: 'T1', sessionVersion: 1 });
    await sessions.check(alice, 0); // still cached
    clock += 30_000;
    await expect(sessions.check(alice, 0)).rejects.toThrow(InvalidCredentialsError);
    await sessions.check(alice, 1); // the token issued after the sign-out stands
    stub.users.delete('u-alice');
    clock += 30_000;
    await expect(sessions.check(alice, 1)).rejects.toThrow(/no longer exists/);
  });

  it('takes the login after a sign-out at once: a newer session version than the cached answer is asked again', async () => {
    const sessions = verifier();
    await sessions.check(alice, 0);
    stub.users.set('u-alice', { role: 'user', tenantId: 'T1', sessionVersion: 1 }); // signed out, logged in again
    clock += 5_000;
    await sessions.check(alice, 1);
    await expect(sessions.check(alice, 0)).rejects.toThrow(/sessions were ended/); // the old token, from the fresh answer
    expect(stub.calls).toHaveLength(2);
  });

  it('asks again about a refused token at most once a second (replayed dead tokens do not flood the tenant service)', async () => {
    const sessions = verifier();
    stub.users.delete('u-alice');
    await expect(sessions.check(alice, 0)).rejects.toThrow(/no longer exists/);
    for (let i = 0; i < 5; i++) await expect(sessions.check(alice, 0)).rejects.toThrow(/no longer exists/);
    expect(stub.calls).toHaveLength(1);
    clock += 1_000;
    stub.users.set('u-alice', { role: 'user', tenantId: 'T1', sessionVersion: 0 }); // re-created (a new id in real life)
    await sessions.check(alice, 0);
    expect(stub.calls).toHaveLength(2);
  });

  it('refuses a token whose user now has another role', async () => {
    stub.users.set('u-alice', { role: 'admin', tenantId: 'T1', sessionVersion: 0 });
    await expect(verifier().check(alice, 0)).rejects.toThrow(/role changed/);
  });

  it('keeps the APIs up when the tenant service cannot answer: the last answer, or the signature alone, decides', async () => {
    const sessions = verifier();
    stub.fail(true);
    await sessions.check(alice, 0); // never asked before: the signature decides
    expect(warnings).toEqual([expect.stringMatching(/the token’s signature decides/)]);
    stub.fail(false);
    stub.users.delete('u-alice');
    await expect(sessions.check(alice, 0)).rejects.toThrow(/no longer exists/); // the failure was not cached
    stub.fail(true);
    clock += 60_000;
    await expect(sessions.check(alice, 0)).rejects.toThrow(/no longer exists/); // the last answer, however old
    expect(warnings[1]).toMatch(/using the last answer/);
  });

  it('lets a token newer than the last answer pass while the tenant service cannot answer (an older one stays refused)', async () => {
    const sessions = verifier();
    await sessions.check(alice, 0); // cached: version 0
    stub.fail(true);
    clock += 5_000;
    await sessions.check(alice, 1); // issued after a sign-out the cache has not seen: the signature decides
    stub.users.set('u-alice', { role: 'user', tenantId: 'T1', sessionVersion: 2 });
    stub.fail(false);
    clock += 30_000;
    await expect(sessions.check(alice, 1)).rejects.toThrow(/sessions were ended/);
    stub.fail(true);
    clock += 30_000;
    await expect(sessions.check(alice, 1)).rejects.toThrow(/sessions were ended/); // older than the last answer
  });

  it('sends the internal token; a refused one is reported by name in the warning, never read as "no such user"', async () => {
    stub.users.set('u-bob', { role: 'user', tenantId: 'T1', sessionVersion: 0 });
    const bob: Principal = { ...alice, subject: 'u-bob' };
    await new HttpSessionVerifier({ tenantUrl: stub.url, logger: { warn: (m: string) => warnings.push(m) } }).check(bob, 0);
    const before = warnings.length;
    const wrong = new HttpSessionVerifier({ tenantUrl: stub.url, internalToken: 'not-the-shared-one', logger: { warn: (m: string) => warnings.push(m) } });
    await wrong.check(bob, 0); // never asked successfully: the signature decides, as in an outage, and it is logged
    expect(warnings.slice(before)).toEqual([expect.stringContaining('refused our INTERNAL_TOKEN')]);
  });

  it('lets the signature decide when the tenant service is not there at all', async () => {
    const sessions = new HttpSessionVerifier({ tenantUrl: 'http://127.0.0.1:9', logger: { warn: (m: string) => warnings.push(m) } });
    await sessions.check(alice, 0);
    expect(warnings).toHaveLength(1);
  });
});
