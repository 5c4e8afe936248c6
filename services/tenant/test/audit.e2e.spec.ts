import { uniqueName } from '@torii/testing';
import request from 'supertest';
import { startTenantBed, type TenantBed } from './support/tenant-bed';

/** The tenant service's audit log, read back: an admin their tenant's, an operator all of it. */
describe('tenant audit log API', () => {
  let bed: TenantBed;
  let http: ReturnType<typeof request>;
  let operator: string;

  const login = async (email: string, password: string): Promise<string> =>
    ((await http.post('/v1/auth/login').send({ email, password }).expect(200)).body as { token: string }).token;
  const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

  beforeAll(async () => {
    bed = await startTenantBed();
    http = bed.http();
    operator = bed.operator;
  });

  afterAll(async () => bed?.close());

  async function tenantWithDomain(label: string) {
    const tenant = await http.post('/v1/tenants').set(auth(operator)).send({ name: uniqueName(label) }).expect(201);
    const id = (tenant.body as { id: string }).id;
    const domain = `${uniqueName(label).replaceAll('_', '-')}.example`;
    await http.post(`/v1/tenants/${id}/admins`).set(auth(operator)).send({ email: `admin@${domain}`, password: 'admin-password' }).expect(201);
    const admin = await login(`admin@${domain}`, 'admin-password');
    await http.post(`/v1/tenants/${id}/domains`).set(auth(admin)).send({ name: domain }).expect(201);
    await http.post(`/v1/tenants/${id}/domains/${domain}/addresses`).set(auth(admin)).send({ address: 'carol' }).expect(201);
    return { id, domain, admin };
  }

  it('shows an admin who changed what in their tenant, newest first, a page at a time, and nothing of another tenant', async () => {
    const a = await tenantWithDomain('aud-a');
    const b = await tenantWithDomain('aud-b');

    const res = await http.get(`/v1/tenants/${a.id}/audit`).set(auth(a.admin)).expect(200);
    const entries = res.body as { id: string; actorRole: string; tenantId: string; domain: string | null; action: string; target: string }[];
    expect(entries.length).toBeGreaterThanOrEqual(2);
    expect(entries.every((e) => e.tenantId === a.id)).toBe(true);
    expect(entries[0]).toMatchObject({ actorRole: 'admin', domain: a.domain, action: 'address.create' });
    expect(entries.map((e) => e.action)).toContain('domain.create');
    // Newest first, and `before` reads on from an entry.
    expect(BigInt(entries[0].id) > BigInt(entries[1].id)).toBe(true);
    const next = await http.get(`/v1/tenants/${a.id}/audit?limit=1&before=${entries[0].id}`).set(auth(a.admin)).expect(200);
    expect((next.body as { id: string }[]).map((e) => e.id)).toEqual([entries[1].id]);
    // Filters.
    const onlyAddresses = await http.get(`/v1/tenants/${a.id}/audit?action=address.create`).set(auth(a.admin)).expect(200);
    expect((onlyAddresses.body as { action: string }[]).every((e) => e.action === 'address.create')).toBe(true);
    const byDomain = await http.get(`/v1/tenants/${a.id}/audit?domain=${a.domain.toUpperCase()}`).set(auth(a.admin)).expect(200);
    expect((byDomain.body as unknown[]).length).toBeGreaterThanOrEqual(2);

    // Not another tenant's log, not the operators' whole log; bad parameters are 400.
    const other = await http.get(`/v1/tenants/${b.id}/audit`).set(auth(a.admin));
    expect([403, 404]).toContain(other.status);
    await http.get('/v1/audit').set(auth(a.admin)).expect(403);
    await http.get(`/v1/tenants/${a.id}/audit`).expect(401);
    for (const query of ['limit=0', 'limit=5000', 'before=abc', 'action=DROP%20TABLE', 'unknown=1']) {
      await http.get(`/v1/tenants/${a.id}/audit?${query}`).set(auth(a.admin)).expect(400);
    }

    // The operator reads everything, or one tenant's; the tenant's creation by the operator is there.
    const all = await http.get('/v1/audit?limit=1000').set(auth(operator)).expect(200);
    const tenants = new Set((all.body as { tenantId: string | null }[]).map((e) => e.tenantId));
    expect(tenants.has(a.id) && tenants.has(b.id)).toBe(true);
    const onlyB = await http.get(`/v1/audit?tenantId=${b.id}`).set(auth(operator)).expect(200);
    expect((onlyB.body as { tenantId: string }[]).every((e) => e.tenantId === b.id)).toBe(true);
    await http.get('/v1/audit?tenantId=not-a-uuid').set(auth(operator)).expect(400);

    // A domain's deletion is found by its name too (the domain row is gone, the entry keeps the name).
    await http.delete(`/v1/tenants/${b.id}/domains/${b.domain}`).set(auth(b.admin)).expect(204);
    const deletion = await http.get(`/v1/tenants/${b.id}/audit?domain=${b.domain}&action=domain.delete`).set(auth(b.admin)).expect(200);
    expect(deletion.body).toEqual([expect.objectContaining({ action: 'domain.delete', domain: b.domain, target: b.domain })]);
  });
});
