/**
 * An address or domain removed from the directory takes its spam settings, lists and quarantine box with it,
 * so that whoever gets the name next starts clean. Real NATS (KV + JetStream), Postgres and s3rver; the tenant
 * service's part (write the snapshot, publish `directory.changed`) is played by the test.
 */
import { ChangeKind, Codecs, DirectoryChangedSchema, DomainDirectorySchema, Subjects, create, timestampNow } from '@torii/contracts';
import { uniqueName } from '@torii/testing';
import { Readable } from 'node:stream';
import request from 'supertest';
import { startTestbed, until, type Testbed } from './support/testbed';

const DOMAIN = 'cleanup.test';
const TENANT = '7a1f0c2e-0000-4000-8000-000000000002';

jest.setTimeout(120_000);

describe('directory cleanup: what a removed address or domain leaves behind', () => {
  let bed: Testbed;
  let admin: string;
  let revision = 0n;

  const snapshot = (localParts: string[], spam = true, onFailure?: string) =>
    create(DomainDirectorySchema, {
      domain: DOMAIN,
      tenantId: TENANT,
      tenantName: 'Cleanup',
      active: true,
      services: { spam: { subscribed: spam } },
      ...(onFailure && { spamPolicy: { settings: { on_failure: onFailure } } }),
      addresses: localParts.map((localPart) => ({ localPart, kind: 1 })),
      server: { hostname: 'mail.cleanup.test', ips: ['127.0.0.1'], port: 25 },
    });
  /** As the tenant service does it: the snapshot (for a removed domain its tombstone) first, then the notice. */
  async function publishDirectory(localParts: string[] | null): Promise<void> {
    revision += 1n;
    if (localParts) await bed.directory.put(DOMAIN, snapshot(localParts));
    else await bed.directory.put(DOMAIN, create(DomainDirectorySchema, { revision }));
    const kind = localParts ? ChangeKind.UPSERT : ChangeKind.DELETE;
    const event = create(DirectoryChangedSchema, { domain: DOMAIN, tenantId: TENANT, revision, kind, changedAt: timestampNow() });
    await bed.publisher.publish(Subjects.directoryChanged, Codecs.directoryChanged, event, { msgId: `directory:${DOMAIN}:${revision}:${kind}` });
  }

  const api = () => request(bed.app.getHttpServer());
  const base = `/v1/tenants/${TENANT}/domains/${DOMAIN}/spam`;
  const db = () => bed.db();

  /** A quarantined copy for `address`, as the quarantine consumer files it (row + stored object). */
  async function quarantined(address: string): Promise<string> {
    const objectKey = `quarantine/${uniqueName('q')}`;
    await bed.store.put(objectKey, Readable.from([Buffer.from(`Subject: held for ${address}\r\n\r\nbody\r\n`)]));
    await db().quarantineItem.create({
      data: { tenantId: TENANT, domain: DOMAIN, address, messageId: uniqueName('m'), sender: 'x@spam.example', subject: 'held', date: new Date(), scorePercent: 99, size: 40, objectKey, expiresAt: new Date(Date.now() + 86_400_000) },
    });
    return objectKey;
  }
  const stored = async (key: string) => (await bed.store.stat(key)) !== null;

  beforeAll(async () => {
    bed = await startTestbed({ name: 'cleanup-e2e', directory: snapshot(['alice', 'bob', 'carol']) });
    admin = await bed.sign({ sub: 'admin-1', role: 'admin', tid: TENANT, email: `admin@${DOMAIN}` });
  });

  afterAll(async () => {
    await bed?.close();
  });

  it('an address removed takes its overrides, lists and box; the others keep theirs; a stale notice removes nothing', async () => {
    const auth = { Authorization: `Bearer ${admin}` };
    await api().put(`${base}/policy`).set(auth).send({ threshold: '100', action: 'quarantine', tag: '[SPAM!!]', priority: 'address-first' }).expect(200);
    await api().post(`${base}/lists/block`).set(auth).send({ field: 'from-domain', match: 'exact', value: 'spam.example' }).expect(201);
    for (const who of ['alice', 'bob']) {
      await api().put(`${base}/addresses/${who}@${DOMAIN}/policy`).set(auth).send({ action: 'tag' }).expect(200);
      await api().post(`${base}/addresses/${who}@${DOMAIN}/lists/block`).set(auth).send({ field: 'subject', value: `not for ${who}` }).expect(201);
      await api().put(`${base}/quarantine/addresses/${who}@${DOMAIN}`).set(auth).send({ retentionDays: 3 }).expect(200);
    }
    const aliceCopy = await quarantined(`alice@${DOMAIN}`);
    const bobCopy = await quarantined(`bob@${DOMAIN}`);

    // A notice while every address is still there (a redelivery, a late event) removes nothing.
    await publishDirectory(['alice', 'bob', 'carol']);
    // bob is deleted.
    await publishDirectory(['alice', 'carol']);
    // The boxes go last (after the settings, the lists and the items): wait for them.
    await until('bob cleaned up', async () => (await db().quarantineBox.count({ where: { address: `bob@${DOMAIN}` } })) === 0);
    expect(await db().quarantineItem.count({ where: { address: `bob@${DOMAIN}` } })).toBe(0);
    expect(await db().addressPolicy.findMany({ where: { domain: DOMAIN }, select: { address: true } })).toEqual([{ address: `alice@${DOMAIN}` }]);
    expect((await db().listEntry.findMany({ where: { domain: DOMAIN }, select: { address: true } })).map((e) => e.address).sort()).toEqual(['', `alice@${DOMAIN}`]);
    expect(await db().quarantineBox.findMany({ where: { domain: DOMAIN }, select: { address: true } })).toEqual([{ address: `alice@${DOMAIN}` }]);
    expect(await stored(bobCopy)).toBe(false);
    expect(await stored(aliceCopy)).toBe(true);
    const audit = (await api().get(`${base}/audit?action=spam.address.purge`).set(auth).expect(200)).body as { actor: string; actorRole: string; details: unknown }[];
    expect(audit).toEqual([expect.objectContaining({ actor: 'directory', actorRole: 'system', details: { addresses: [`bob@${DOMAIN}`] } })]);

    // bob comes back (a new person with the old name): a clean slate.
    await publishDirectory(['alice', 'bob', 'carol']);
    const bob = (await api().get(`${base}/addresses/bob@${DOMAIN}/policy`).set(auth).expect(200)).body as { overrides: Record<string, unknown> };
    expect(bob.overrides).toEqual({ threshold: null, action: null, tag: null });
    expect((await api().get(`${base}/addresses/bob@${DOMAIN}/lists/block`).set(auth).expect(200)).body).toEqual([]);
    expect((await api().get(`${base}/quarantine/addresses/bob@${DOMAIN}/items`).set(auth).expect(200)).body).toMatchObject({ total: 0 });

    // The domain policy says whether the domain subscribes to the spam service, i.e. whether it acts at all.
    expect((await api().get(`${base}/policy`).set(auth).expect(200)).body).toMatchObject({ threshold: '100', subscribed: true, onFailure: 'deliver' });
    await bed.directory.put(DOMAIN, snapshot(['alice', 'bob', 'carol'], false));
    await until('the unsubscribed snapshot seen', async () => (await api().get(`${base}/policy`).set(auth)).body.subscribed === false);
    // …and what delivery does without a verdict, which the tenant service sets: shown with the rest.
    await bed.directory.put(DOMAIN, snapshot(['alice', 'bob', 'carol'], true, 'hold'));
    await until('the hold setting seen', async () => (await api().get(`${base}/policy`).set(auth)).body.onFailure === 'hold');
    await bed.directory.put(DOMAIN, snapshot(['alice', 'bob', 'carol']));
  });

  it('describes every route in its OpenAPI document (built on the first request)', async () => {
    const doc = (await api().get('/docs-json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/tenants/{tenantId}/domains/{domain}/spam/audit',
        '/v1/tenants/{tenantId}/domains/{domain}/spam/messages/{messageId}',
        '/v1/tenants/{tenantId}/domains/{domain}/spam/quarantine/addresses/{address}/items/{id}/release',
      ]),
    );
    const audit = doc.paths['/v1/tenants/{tenantId}/domains/{domain}/spam/audit'].get as { parameters: { name: string }[] };
    expect(audit.parameters.map((p) => p.name)).toEqual(expect.arrayContaining(['limit', 'before', 'action']));
  });

  it('a domain removed takes everything of it: policy, lists, every box', async () => {
    // What the test before left: the domain's policy and block entry, alice's override, entry, box and item.
    expect(await db().domainPolicy.count({ where: { domain: DOMAIN } })).toBe(1);
    expect(await db().listEntry.count({ where: { domain: DOMAIN } })).toBe(2);
    expect(await db().quarantineItem.count({ where: { domain: DOMAIN } })).toBe(1);
    await publishDirectory(null);
    await until('the domain cleaned up', async () => (await db().domainPolicy.count({ where: { domain: DOMAIN } })) === 0);
    await until('its boxes cleaned up', async () => (await db().quarantineBox.count({ where: { domain: DOMAIN } })) === 0);
    expect(await db().quarantineItem.count({ where: { domain: DOMAIN } })).toBe(0);
    expect(await db().listEntry.count({ where: { domain: DOMAIN } })).toBe(0);
    expect(await db().addressPolicy.count({ where: { domain: DOMAIN } })).toBe(0);
    expect(await db().quarantineBox.count({ where: { domain: DOMAIN } })).toBe(0);
    const purge = await db().auditLog.findMany({ where: { domain: DOMAIN, action: 'spam.domain.purge' } });
    expect(purge).toHaveLength(1);
  });
});
