import { Kvm } from '@nats-io/kv';
import { DEV_INTERNAL_TOKEN, INTERNAL_TOKEN_HEADER } from '@torii/auth';
import { uniqueName } from '@torii/testing';
import { createLocalJWKSet, jwtVerify } from 'jose';
import request from 'supertest';
import { SeedService } from '../src/seed/seed.service';
import { startTenantBed, type TenantBed } from './support/tenant-bed';

describe('tenant service', () => {
  let bed: TenantBed;
  let http: ReturnType<typeof request>;
  let operator: string;

  const login = async (email: string, password: string): Promise<string> => {
    const res = await http.post('/v1/auth/login').send({ email, password }).expect(200);
    return (res.body as { token: string }).token;
  };
  const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
  /** What the other services send to `/internal/*` (the development default of INTERNAL_TOKEN). */
  const internal = { [INTERNAL_TOKEN_HEADER]: DEV_INTERNAL_TOKEN };

  beforeAll(async () => {
    bed = await startTenantBed({
      env: {
        OPERATOR_DOMAINS: 'torii.example.net',
        // These tests register servers on loopback and documentation addresses, on port 2526 (the dev sink's).
        MAIL_SERVER_ALLOWED_RANGES: '127.0.0.0/8,192.0.2.0/24',
        MAIL_SERVER_PORTS: '25,2526',
      },
    });
    http = bed.http();
    operator = bed.operator;
  });

  afterAll(async () => bed?.close());

  async function tenantWithAdmin(name: string): Promise<{ id: string; admin: string }> {
    const tenant = await http.post('/v1/tenants').set(auth(operator)).send({ name }).expect(201);
    const id = (tenant.body as { id: string }).id;
    const email = `admin@${name.replaceAll('_', '-')}.example`;
    await http.post(`/v1/tenants/${id}/admins`).set(auth(operator)).send({ email, password: 'admin-password' }).expect(201);
    return { id, admin: await login(email, 'admin-password') };
  }

  it('answers 404, never a 500, for a tenant id that is not one (also to the operator, who passes the tenant check)', async () => {
    for (const id of ['0', 'x%20y', '..%2Fetc', 'a'.repeat(300)]) {
      const res = await http.get(`/v1/tenants/${id}/domains`).set(auth(operator)).expect(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    await http.get('/v1/tenants/0/domains').expect(401); // credentials still come first
    const unknown = '6f1c2b9e-1d2f-4c3a-9b8e-7a6d5c4b3a21';
    await http.post(`/v1/tenants/${unknown}/api-keys`).set(auth(operator)).send({ label: 'x' }).expect(404);
    await http.post('/v1/auth/login').send({ email: 'a\u0000b@x.example', password: 'whatever-password' }).expect(400);
  });

  it('is ready when its database and NATS answer (GET /readyz names each)', async () => {
    const res = await http.get('/readyz').expect(200);
    expect(res.body).toEqual({ status: 'ok', checks: { database: { status: 'ok' }, nats: { status: 'ok' } } });
  });

  it('issues JWTs verifiable with the JWKS, with the contract claims', async () => {
    const jwks = await http.get('/.well-known/jwks.json').expect(200);
    const { payload, protectedHeader } = await jwtVerify(operator, createLocalJWKSet(jwks.body), { issuer: 'torii-tenant', audience: 'torii' });
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA' });
    expect(protectedHeader.kid).toBeDefined();
    expect(payload).toMatchObject({ role: 'operator', email: 'op@torii.local' });
    await http.post('/v1/auth/login').send({ email: 'op@torii.local', password: 'wrong' }).expect(401);
  });

  it('P1: refuses IDNs, bad names and the operator’s domains; accepts a subdomain as its own contract', async () => {
    const { id, admin } = await tenantWithAdmin(uniqueName('p1'));
    const post = (name: string) => http.post(`/v1/tenants/${id}/domains`).set(auth(admin)).send({ name, planSize: 10 });
    expect((await post('bücher.example').expect(422)).body).toMatchObject({ code: 'idn-not-allowed' });
    expect((await post('xn--bcher-kva.example').expect(422)).body).toMatchObject({ code: 'idn-not-allowed' });
    expect((await post('not a domain').expect(422)).body).toMatchObject({ code: 'invalid-domain' });
    expect((await post('mx.torii.example.net').expect(422)).body).toMatchObject({ code: 'operator-domain' });
    const name = `${uniqueName('d').replaceAll('_', '-')}.example`;
    expect((await post(name.toUpperCase()).expect(201)).body).toMatchObject({ name, planSize: 10 });
    expect((await post(name).expect(409)).body).toMatchObject({ code: 'domain-exists' });
    await post(`sub.${name}`).expect(201);
  });

  it('P2/P3: plan rounding, address limit, forbidden characters, plan change for all services', async () => {
    const { id, admin } = await tenantWithAdmin(uniqueName('p3'));
    const name = `${uniqueName('d').replaceAll('_', '-')}.example`;
    const domain = await http.post(`/v1/tenants/${id}/domains`).set(auth(admin)).send({ name, planSize: 3 }).expect(201);
    expect(domain.body).toMatchObject({ planSize: 10 });
    const base = `/v1/tenants/${id}/domains/${name}`;
    expect((await http.post(`${base}/addresses`).set(auth(admin)).send({ address: 'a+b' }).expect(422)).body).toMatchObject({ code: 'invalid-local-part' });
    for (let i = 0; i < 10; i++) await http.post(`${base}/addresses`).set(auth(admin)).send({ address: `user${i}` }).expect(201);
    const over = await http.post(`${base}/addresses`).set(auth(admin)).send({ address: 'one-too-many' }).expect(409);
    expect(over.body).toMatchObject({ code: 'address-limit-reached', planSize: 10 });
    expect(over.headers['content-type']).toContain('application/problem+json');
    expect((await http.put(`${base}/plan`).set(auth(admin)).send({ planSize: 11 }).expect(200)).body).toMatchObject({ planSize: 20 });
    await http.post(`${base}/addresses`).set(auth(admin)).send({ address: 'one-too-many' }).expect(201);
    expect((await http.put(`${base}/plan`).set(auth(admin)).send({ planSize: 10 }).expect(409)).body).toMatchObject({ code: 'plan-too-small' });
    expect((await http.put(`${base}/plan`).set(auth(admin)).send({ planSize: 0 }).expect(422)).body).toMatchObject({ code: 'invalid-plan-size' });
  });

  it('imports CSV with a per-line report, and refuses a batch over the limit as a whole', async () => {
    const { id, admin } = await tenantWithAdmin(uniqueName('csv'));
    const name = `${uniqueName('d').replaceAll('_', '-')}.example`;
    await http.post(`/v1/tenants/${id}/domains`).set(auth(admin)).send({ name, planSize: 10 }).expect(201);
    const url = `/v1/tenants/${id}/domains/${name}/addresses/import`;
    const csv = ['address,kind', 'alice', `bob@${name},list`, 'carol,group', 'x#y', 'ALICE', ''].join('\n');
    const report = await http.post(url).set(auth(admin)).set('Content-Type', 'text/csv').send(csv).expect(200);
    expect(report.body).toMatchObject({ created: 2, duplicate: 1, invalid: 2 });
    const many = Array.from({ length: 9 }, (_, i) => `bulk${i}`).join('\n');
    const refused = await http.post(url).set(auth(admin)).set('Content-Type', 'text/csv').send(many).expect(409);
    expect(refused.body).toMatchObject({ code: 'address-limit-reached', report: { created: 0, refused: 9 } });
    expect(new Set((refused.body.report.lines as { outcome: string }[]).map((l) => l.outcome))).toEqual(new Set(['refused']));
    const list = await http.get(`/v1/tenants/${id}/domains/${name}/addresses`).set(auth(admin)).expect(200);
    expect((list.body as { localPart: string }[]).map((a) => a.localPart)).toEqual(['alice', 'bob']);
  });

  it('P6: an admin of tenant A gets 404 for tenant B; a user only reaches their own address', async () => {
    const a = await tenantWithAdmin(uniqueName('ta'));
    const b = await tenantWithAdmin(uniqueName('tb'));
    const name = `${uniqueName('d').replaceAll('_', '-')}.example`;
    await http.post(`/v1/tenants/${b.id}/domains`).set(auth(b.admin)).send({ name }).expect(201);
    await http.get(`/v1/tenants/${b.id}/domains/${name}`).set(auth(a.admin)).expect(404);
    await http.get(`/v1/tenants/${b.id}/domains`).set(auth(a.admin)).expect(404);
    await http.get(`/v1/tenants/${a.id}/domains/${name}`).set(auth(a.admin)).expect(404);
    await http.get('/v1/tenants').set(auth(a.admin)).expect(403);

    const base = `/v1/tenants/${b.id}/domains/${name}/addresses`;
    await http.post(base).set(auth(b.admin)).send({ address: 'alice' }).expect(201);
    await http.post(base).set(auth(b.admin)).send({ address: 'bob' }).expect(201);
    await http.post(`/v1/tenants/${b.id}/users`).set(auth(b.admin)).send({ email: `alice@${name}`, password: 'alice-password', role: 'user' }).expect(201);
    const alice = await login(`alice@${name}`, 'alice-password');
    await http.get(`${base}/alice@${name}`).set(auth(alice)).expect(200);
    await http.get(`${base}/bob@${name}`).set(auth(alice)).expect(404);
    await http.get(base).set(auth(alice)).expect(403);
    await http.put(`${base}/alice@${name}/password`).set(auth(alice)).send({ currentPassword: 'nope', newPassword: 'new-password' }).expect(403);
    await http.put(`${base}/alice@${name}/password`).set(auth(alice)).send({ currentPassword: 'alice-password', newPassword: 'new-password' }).expect(204);
    await login(`alice@${name}`, 'new-password');
  });

  it('a login token ends with its session: sign-out everywhere, a password change, the user’s deletion', async () => {
    const { id, admin } = await tenantWithAdmin(uniqueName('sess'));
    const name = `${uniqueName('d').replaceAll('_', '-')}.example`;
    await http.post(`/v1/tenants/${id}/domains`).set(auth(admin)).send({ name }).expect(201);
    const base = `/v1/tenants/${id}/domains/${name}/addresses`;
    await http.post(base).set(auth(admin)).send({ address: 'carol' }).expect(201);
    const created = await http.post(`/v1/tenants/${id}/users`).set(auth(admin)).send({ email: `carol@${name}`, password: 'carol-password', role: 'user' }).expect(201);
    const userId = (created.body as { id: string }).id;
    const me = `${base}/carol@${name}`;

    // Sign-out ends every token of the user, not only the one used; a new login works.
    const laptop = await login(`carol@${name}`, 'carol-password');
    const phone = await login(`carol@${name}`, 'carol-password');
    expect(JSON.parse(Buffer.from(laptop.split('.')[1], 'base64url').toString())).toMatchObject({ sv: 0 });
    await http.post('/v1/auth/logout').set(auth(laptop)).expect(204);
    await http.get(me).set(auth(laptop)).expect(401);
    await http.get(me).set(auth(phone)).expect(401);
    const after = await login(`carol@${name}`, 'carol-password');
    await http.get(me).set(auth(after)).expect(200);
    expect((await http.get(`/internal/v1/users/${userId}/session`).set(internal).expect(200)).body).toEqual({ role: 'user', tenantId: id, sessionVersion: 1 });

    // An admin resetting the password ends the user's sessions (a stolen token dies with the old password).
    await http.put(`${me}/password`).set(auth(admin)).send({ newPassword: 'carol-password-2' }).expect(204);
    await http.get(me).set(auth(after)).expect(401);
    await http.get(me).set(auth(admin)).expect(200); // the admin's own session is untouched
    const fresh = await login(`carol@${name}`, 'carol-password-2');
    await http.get(me).set(auth(fresh)).expect(200);

    // A deleted user's token is refused at once, and the internal endpoint says there is no such user.
    await http.delete(`/v1/tenants/${id}/users/${userId}`).set(auth(admin)).expect(204);
    await http.get(me).set(auth(fresh)).expect(401);
    await http.get(`/internal/v1/users/${userId}/session`).set(internal).expect(404);
    await http.get('/internal/v1/users/not-a-uuid/session').set(internal).expect(404);

    // An API key has no session to end.
    const key = (await http.post(`/v1/tenants/${id}/api-keys`).set(auth(admin)).send({ label: 'ci' }).expect(201)).body as { key: string };
    const refused = await http.post('/v1/auth/logout').set('X-API-Key', key.key).expect(400);
    expect(refused.body).toMatchObject({ code: 'not-a-login' });
  });

  it('API keys go with the admin who made them: deleting the admin revokes their keys and the keys those made', async () => {
    const { id, admin } = await tenantWithAdmin(uniqueName('keyowner'));
    const email = `admin2@${uniqueName('k').replaceAll('_', '-')}.example`;
    const created = await http.post(`/v1/tenants/${id}/admins`).set(auth(operator)).send({ email, password: 'admin2-password' }).expect(201);
    const leaving = await login(email, 'admin2-password');
    const k1 = (await http.post(`/v1/tenants/${id}/api-keys`).set(auth(leaving)).send({ label: 'made by admin2' }).expect(201)).body as { key: string; id: string };
    const k2 = (await http.post(`/v1/tenants/${id}/api-keys`).set('X-API-Key', k1.key).send({ label: 'made by its key' }).expect(201)).body as { key: string };
    const kept = (await http.post(`/v1/tenants/${id}/api-keys`).set(auth(admin)).send({ label: 'made by the admin who stays' }).expect(201)).body as { key: string };
    for (const key of [k1.key, k2.key, kept.key]) await http.get(`/v1/tenants/${id}/domains`).set('X-API-Key', key).expect(200);
    // A chain hidden behind a revoked key: k1 makes k3, which makes k4; k3 is revoked before admin2 leaves.
    const k3 = (await http.post(`/v1/tenants/${id}/api-keys`).set('X-API-Key', k1.key).send({ label: 'revoked early' }).expect(201)).body as { key: string; id: string };
    const k4 = (await http.post(`/v1/tenants/${id}/api-keys`).set('X-API-Key', k3.key).send({ label: 'made by a revoked key' }).expect(201)).body as { key: string };
    await http.delete(`/v1/tenants/${id}/api-keys/${k3.id}`).set(auth(leaving)).expect(200);

    await http.delete(`/v1/tenants/${id}/users/${(created.body as { id: string }).id}`).set(auth(admin)).expect(204);
    await http.get(`/v1/tenants/${id}/domains`).set('X-API-Key', k1.key).expect(401);
    await http.get(`/v1/tenants/${id}/domains`).set('X-API-Key', k2.key).expect(401);
    await http.get(`/v1/tenants/${id}/domains`).set('X-API-Key', k4.key).expect(401);
    await http.post('/internal/v1/api-keys/verify').set(internal).send({ key: k2.key }).expect(401);
    await http.get(`/v1/tenants/${id}/domains`).set('X-API-Key', kept.key).expect(200);
    const listed = (await http.get(`/v1/tenants/${id}/api-keys`).set(auth(admin)).expect(200)).body as { label: string; revokedAt: string | null }[];
    expect(listed.map((k) => [k.label, k.revokedAt !== null]).sort()).toEqual([
      ['made by a revoked key', true],
      ['made by admin2', true],
      ['made by its key', true],
      ['made by the admin who stays', false],
      ['revoked early', true],
    ]);
  });

  it('API keys: created once, verified by the internal endpoint, refused after revocation', async () => {
    const { id, admin } = await tenantWithAdmin(uniqueName('key'));
    const created = await http.post(`/v1/tenants/${id}/api-keys`).set(auth(admin)).send({ label: 'ci' }).expect(201);
    const { key, id: keyId } = created.body as { key: string; id: string };
    expect(key).toMatch(/^torii_/);
    const verified = await http.post('/internal/v1/api-keys/verify').set(internal).send({ key }).expect(200);
    expect(verified.body).toEqual({ subject: `api-key:${keyId}`, role: 'admin', tenantId: id });
    await http.get(`/v1/tenants/${id}/domains`).set('X-API-Key', key).expect(200);
    const listed = await http.get(`/v1/tenants/${id}/api-keys`).set(auth(admin)).expect(200);
    expect(JSON.stringify(listed.body)).not.toContain(key);
    await http.delete(`/v1/tenants/${id}/api-keys/${keyId}`).set(auth(admin)).expect(200);
    await http.post('/internal/v1/api-keys/verify').set(internal).send({ key }).expect(401);
    await http.get(`/v1/tenants/${id}/domains`).set('X-API-Key', key).expect(401);
  });

  it('takes only the policy settings its services know: 422 for an unknown key or value, never silently the default', async () => {
    const { id, admin } = await tenantWithAdmin(uniqueName('pol'));
    const name = `${uniqueName('p').replaceAll('_', '-')}.example`;
    await http.post(`/v1/tenants/${id}/domains`).set(auth(admin)).send({ name }).expect(201);
    const base = `/v1/tenants/${id}/domains/${name}/policies`;
    await http.put(`${base}/virus`).set(auth(admin)).send({ settings: { unscannable: 'hold', on_failure: 'deliver' } }).expect(204);
    const typo = await http.put(`${base}/virus`).set(auth(admin)).send({ settings: { unscanable: 'hold' } }).expect(422);
    expect(typo.body).toMatchObject({ code: 'invalid-policy-settings', errors: [{ in: 'body', pointer: '/settings/unscanable', detail: 'not a virus setting (known: unscannable, on_failure)' }] });
    const bogus = await http.put(`${base}/virus`).set(auth(admin)).send({ settings: { unscannable: 'bogus' } }).expect(422);
    expect(bogus.body.detail).toContain('unscannable: must be one of deliver, hold');
    await http.put(`${base}/spam`).set(auth(admin)).send({ settings: { on_failure: 'hold' } }).expect(204);
    // What was set reads back; a service with nothing set reads as {}; a refused PUT changed nothing.
    expect((await http.get(`${base}/virus`).set(auth(admin)).expect(200)).body).toEqual({ settings: { unscannable: 'hold', on_failure: 'deliver' } });
    expect((await http.get(`${base}/spam`).set(auth(admin)).expect(200)).body).toEqual({ settings: { on_failure: 'hold' } });
    expect((await http.get(`${base}/archive`).set(auth(admin)).expect(200)).body).toEqual({ settings: {} });
    await http.get(`${base}/secondary`).set(auth(admin)).expect(404);
    await http.put(`${base}/archive`).set(auth(admin)).send({ settings: { anything: 'x' } }).expect(422);
    await http.put(`${base}/secondary`).set(auth(admin)).send({ settings: {} }).expect(404);
  });

  it('writes the domain snapshot to the KV bucket within a second of a change; deletes it with the domain', async () => {
    const { id, admin } = await tenantWithAdmin(uniqueName('kv'));
    const name = `${uniqueName('d').replaceAll('_', '-')}.example`;
    const kv = await new Kvm(bed.nc).open(bed.bucket);
    await http.post(`/v1/tenants/${id}/domains`).set(auth(admin)).send({ name }).expect(201);
    const base = `/v1/tenants/${id}/domains/${name}`;
    await http.put(`${base}/server`).set(auth(admin)).send({ hostname: 'mx.example.org', ips: ['192.0.2.1'], port: 2526 }).expect(200);
    await http.post(`${base}/subscriptions`).set(auth(admin)).send({ service: 'spam', startsOn: '2025-01-01' }).expect(201);
    const started = Date.now();
    await http.post(`${base}/addresses`).set(auth(admin)).send({ address: 'carol' }).expect(201);
    let snapshot: Record<string, unknown> | undefined;
    while (Date.now() - started < 1000) {
      const entry = await kv.get(name);
      const value = entry?.operation === 'PUT' ? (entry.json() as Record<string, unknown>) : undefined;
      if (value && JSON.stringify(value.addresses ?? []).includes('carol')) {
        snapshot = value;
        break;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(snapshot).toMatchObject({
      domain: name,
      tenantId: id,
      active: true,
      planAddresses: 10,
      services: { spam: { subscribed: true, startsOn: '2025-01-01' } },
      addresses: [{ localPart: 'carol', kind: 'ADDRESS_KIND_MAILBOX' }],
      server: { hostname: 'mx.example.org', ips: ['192.0.2.1'], port: 2526 },
    });
    expect(snapshot?.adminEmails).toEqual([expect.stringMatching(/^admin@/)]);
    await http.delete(base).set(auth(admin)).expect(204);
    // Deleted as a tombstone (a DomainDirectory naming no domain, with the delete's revision), so that a replica's
    // late write of the old snapshot is refused; every reader takes it for "no such domain" (docs/architecture.md).
    const gone = await kv.get(name);
    expect(gone?.json()).toEqual({ revision: expect.any(String), updatedAt: expect.any(String) });
  });

  it('seeds idempotently', async () => {
    const seed = bed.apps[0].get(SeedService);
    const tenant = uniqueName('seed');
    const file = {
      operators: [{ email: `${tenant}-op@torii.local`, password: 'operator-pw' }],
      tenants: [
        {
          name: tenant,
          admins: [{ email: `admin@${tenant.replaceAll('_', '-')}.example`, password: 'admin-password' }],
          domains: [
            {
              name: `${tenant.replaceAll('_', '-')}.example`,
              plan: 10,
              server: { hostname: 'localhost', ips: ['127.0.0.1'], port: 2526 },
              services: ['spam' as const, 'virus' as const, 'archive' as const, 'secondary' as const],
              addresses: ['alice', 'bob', { address: 'postmaster', kind: 'mailbox' as const }],
              users: [{ address: 'alice', password: 'alice-password' }],
            },
          ],
        },
      ],
    };
    await seed.apply(file);
    const state = async () => {
      const tenants = (await http.get('/v1/tenants').set(auth(operator)).expect(200)).body as { id: string; name: string }[];
      const t = tenants.find((x) => x.name === tenant);
      if (!t) throw new Error('seeded tenant missing');
      const d = `${tenant.replaceAll('_', '-')}.example`;
      const base = `/v1/tenants/${t.id}/domains/${d}`;
      return {
        tenants: tenants.filter((x) => x.name === tenant).length,
        addresses: (await http.get(`${base}/addresses`).set(auth(operator))).body as unknown,
        subscriptions: ((await http.get(`${base}/subscriptions`).set(auth(operator))).body as { service: string }[]).map((s) => s.service),
        server: (await http.get(`${base}/server`).set(auth(operator))).body as unknown,
        users: ((await http.get(`/v1/tenants/${t.id}/users`).set(auth(operator))).body as { email: string }[]).map((u) => u.email),
      };
    };
    const first = await state();
    await seed.apply(file);
    expect(await state()).toEqual(first);
    expect(first.subscriptions.sort()).toEqual(['archive', 'secondary', 'spam', 'virus']);
    expect(first.users.length).toBe(2);
  });
});
