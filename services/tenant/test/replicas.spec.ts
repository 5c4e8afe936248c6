/**
 * Two tenant replicas at once: two Prisma clients and two DirectoryServices (each with its own NATS connection)
 * on one real Postgres schema and one real NATS KV bucket. A "gate" on one replica's KV write holds it between
 * its read and its write (a GC pause, a reconnect) while the other replica commits and publishes.
 */
import { join } from 'node:path';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Codecs, DomainDirectorySchema, create, type DomainDirectory } from '@torii/contracts';
import { createTestSchema, type TestSchema } from '@torii/db';
import { TEST_NATS_URL, uniqueName } from '@torii/testing';
import { PrismaService } from '../src/db/prisma.service';
import { DirectoryRepository } from '../src/directory/directory.repository';
import { DirectoryStoreRepository } from '../src/directory/directory-store.repository';
import { DirectoryService } from '../src/directory/directory.service';
import { DomainsRepository, type DomainRecord } from '../src/domains/domains.repository';
import type { DomainsService } from '../src/domains/domains.service';
import { SubscriptionsRepository } from '../src/subscriptions/subscriptions.repository';
import { SubscriptionsService } from '../src/subscriptions/subscriptions.service';

jest.setTimeout(120_000);

const actor = { subject: 'op', role: 'operator' } as never;
const ROUNDS = 20;

describe('two tenant replicas at once (real Postgres and NATS KV)', () => {
  let db: TestSchema;
  let clients: PrismaService[];
  let nc: NatsConnection;
  let kv: KV;
  const bucket = uniqueName('dir');
  const stores: DirectoryStoreRepository[] = [];

  beforeAll(async () => {
    db = await createTestSchema({ schema: 'tenant', prismaConfigPath: join(__dirname, '..', 'prisma.config.ts') });
    clients = [0, 1].map(() => new PrismaService(db.url));
    nc = await connect({ servers: TEST_NATS_URL });
  });

  afterAll(async () => {
    for (const store of stores) await store.onModuleDestroy();
    await new Kvm(nc)
      .open(bucket)
      .then(async (bucketKv) => bucketKv.destroy())
      .catch(() => undefined);
    await nc?.close();
    for (const client of clients ?? []) await client.$disconnect();
    await db?.drop();
  });

  async function newDomain(name: string): Promise<DomainRecord> {
    const tenant = await clients[0].tenant.create({ data: { name: uniqueName('tenant') } });
    return clients[0].domain.create({
      data: { name, tenantId: tenant.id, planSize: 10, revision: 1000n },
      select: { id: true, name: true, tenantId: true, planSize: true, status: true, createdAt: true },
    });
  }

  /** A committed change as the repositories make it: the rows, and the domain's revision one up. */
  async function addAddress(client: PrismaService, domain: DomainRecord, localPart: string): Promise<void> {
    await client.$transaction(async (tx) => {
      await tx.address.create({ data: { domainId: domain.id, localPart, kind: 'mailbox' } });
      await tx.domain.update({ where: { id: domain.id }, data: { revision: { increment: 1 } } });
    });
  }

  /** Both replicas' directory, opened on the shared bucket. */
  async function replicas() {
    const pair = [0, 1].map((i) => {
      const store = new DirectoryStoreRepository({ natsUrl: TEST_NATS_URL, bucket });
      stores.push(store);
      return { store, service: new DirectoryService(new DirectoryRepository(clients[i]), store) };
    });
    for (const r of pair) await r.store.open();
    kv ??= await new Kvm(nc).open(bucket);
    return pair;
  }

  /** Holds every KV write of `store` (after its read) until `release()`; `reached` resolves at the first. */
  function gate(store: DirectoryStoreRepository) {
    let reached!: () => void;
    let release!: () => void;
    const atWrite = new Promise<void>((resolve) => (reached = resolve));
    const open = new Promise<void>((resolve) => (release = resolve));
    const put = store.put.bind(store);
    const tombstone = store.tombstone.bind(store);
    store.put = async (...args) => {
      reached();
      await open;
      return put(...args);
    };
    store.tombstone = async (...args) => {
      reached();
      await open;
      return tombstone(...args);
    };
    return { atWrite, release };
  }

  const stored = async (domain: string): Promise<{ entry: number; value: DomainDirectory } | undefined> => {
    const entry = await kv.get(domain);
    return entry?.operation === 'PUT' ? { entry: entry.revision, value: Codecs.domainDirectory.decode(entry.value) } : undefined;
  };

  it('two replicas setting the spam and the virus policy of one domain at once keep both', async () => {
    const [a, b] = clients.map((client) => new DomainsRepository(client));
    let lost = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const domain = await newDomain(`policy-${i}.example`);
      await Promise.all([a.setPolicy(domain, 'spam', { threshold: '90' }, actor), b.setPolicy(domain, 'virus', { on_failure: 'deliver' }, actor)]);
      const policies = await a.getPolicies(domain.id);
      if (!policies['spam'] || !policies['virus']) lost++;
    }
    expect(lost).toBe(0);
  });

  it('two replicas subscribing a domain to the same service at once make one subscription; the other gets 409', async () => {
    const services = clients.map((client) => {
      const domains = { get: (tenantId: string, name: string) => new DomainsRepository(client).findForTenant(tenantId, name) } as unknown as DomainsService;
      return new SubscriptionsService(domains, new SubscriptionsRepository(client), { publish: async () => undefined } as unknown as DirectoryService);
    });
    let doubled = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const domain = await newDomain(`sub-${i}.example`);
      const input = { service: 'spam' as const, quarantineExtraBlocks: 0, archiveExtraBlocks: 0 };
      const results = await Promise.allSettled(services.map((s) => s.add(domain.tenantId, domain.name, input, actor)));
      if ((await clients[0].subscription.count({ where: { domainId: domain.id, service: 'spam' } })) > 1) doubled++;
      const refused = results.filter((r) => r.status === 'rejected').map((r) => (r.reason as { getStatus(): number }).getStatus());
      expect(refused).toEqual([409]);
    }
    expect(doubled).toBe(0);
  });

  it('a slow replica never writes an older directory snapshot over a newer one', async () => {
    const [a, b] = await replicas();
    const domain = await newDomain('dir-race.example');
    await addAddress(clients[0], domain, 'old');
    // Replica A publishes after that change: it reads, then is slow to write the KV.
    const { atWrite, release } = gate(a.store);
    const slow = a.service.publish([domain.name]);
    await atWrite;
    // Meanwhile replica B commits the next change (a new address) and publishes it.
    await addAddress(clients[1], domain, 'new');
    await b.service.publish([domain.name]);
    const newer = await stored(domain.name);
    release();
    await slow;
    const after = await stored(domain.name);
    expect(after?.value.addresses.map((x) => x.localPart).sort()).toEqual(['new', 'old']);
    expect(after?.value.revision).toBe(1002n);
    // A read the newer entry again and found nothing to change: no second write either.
    expect(after?.entry).toBe(newer?.entry);
  });

  it('a slow replica never brings a deleted domain back into the directory; consumers see a tombstone', async () => {
    const [a, b] = await replicas();
    const domain = await newDomain('dir-gone.example');
    await b.service.publish([domain.name]);
    await addAddress(clients[0], domain, 'last'); // A publishes this change, slowly
    const { atWrite, release } = gate(a.store);
    const slow = a.service.publish([domain.name]);
    await atWrite;
    await clients[1].domain.delete({ where: { id: domain.id } });
    await b.service.publish([domain.name], { tenantId: domain.tenantId, revision: 2_000_000 });
    release();
    await slow;
    const entry = await stored(domain.name);
    expect(entry?.value.domain).toBe(''); // the tombstone: no domain, the delete's revision
    expect(entry?.value.revision).toBe(2_000_000n);
    // Boot rewrites only the database's domains, and a late publish of the deleted name changes nothing.
    await a.service.republishAll(await new DomainsRepository(clients[0]).allNames());
    await a.service.publish([domain.name]);
    expect((await stored(domain.name))?.entry).toBe(entry?.entry);
  });

  it('a domain created again after its delete is published over the tombstone', async () => {
    const [a] = await replicas();
    const first = await newDomain('again.example');
    await a.service.publish([first.name]);
    await clients[0].domain.delete({ where: { id: first.id } });
    await a.service.publish([first.name], { tenantId: first.tenantId, revision: 5000 });
    expect((await stored(first.name))?.value.domain).toBe('');
    const second = await newDomain('again.example'); // revision 1000, below the tombstone's
    await addAddress(clients[0], second, 'back');
    await a.service.publish([second.name]);
    const entry = await stored(second.name);
    expect(entry?.value.domain).toBe('again.example');
    expect(entry?.value.addresses.map((x) => x.localPart)).toEqual(['back']);
  });

  it('works on a bucket written before tombstones: a deleted key is created again, a delete leaves a tombstone', async () => {
    const [a] = await replicas();
    const domain = await newDomain('upgraded.example');
    // What the previous release left: a plain snapshot, then a KV delete (and the domain back in the DB).
    await kv.put(domain.name, Codecs.domainDirectory.encode(create(DomainDirectorySchema, { domain: domain.name, tenantId: domain.tenantId, revision: 900n })));
    await kv.delete(domain.name);
    await a.service.republishAll([domain.name]);
    expect((await stored(domain.name))?.value.revision).toBe(1000n);
    // An old-format snapshot without the delete: the delete replaces it with a tombstone.
    await clients[0].domain.delete({ where: { id: domain.id } });
    await a.service.publish([domain.name], { tenantId: domain.tenantId, revision: 7000 });
    expect((await stored(domain.name))?.value).toMatchObject({ domain: '', revision: 7000n });
  });

  it('at boot reports, and keeps, snapshots of domains the database does not have (an empty database wipes nothing)', async () => {
    const [a] = await replicas();
    const orphan = 'resurrected.example'; // what a replica of an earlier release wrote after the delete
    await kv.put(orphan, Codecs.domainDirectory.encode(create(DomainDirectorySchema, { domain: orphan, tenantId: 't-gone', revision: 1n })));
    const before = await stored(orphan);
    await a.service.republishAll([]);
    expect(await a.service.reportUnknown(new Set())).toContain(orphan);
    expect((await stored(orphan))?.entry).toBe(before?.entry);
    // Tombstones are not reported.
    expect(await a.service.reportUnknown(new Set())).not.toContain('dir-gone.example');
  });

  it('keeps a KV entry newer than the database (restored from a backup) and rewrites an equal one only when the day changed it', async () => {
    const [a] = await replicas();
    const domain = await newDomain('restored.example');
    await kv.put(domain.name, Codecs.domainDirectory.encode(create(DomainDirectorySchema, { domain: domain.name, tenantId: domain.tenantId, revision: 1005n })));
    const ahead = await stored(domain.name);
    await a.service.publish([domain.name]);
    expect((await stored(domain.name))?.entry).toBe(ahead?.entry);

    const today = new Date().toISOString().slice(0, 10);
    const other = await newDomain('by-the-day.example');
    await a.service.publish([other.name]);
    const first = await stored(other.name);
    await a.service.publish([other.name]); // same rows, same day: nothing to write
    expect((await stored(other.name))?.entry).toBe(first?.entry);
    // A subscription starting today was written into the DB without a revision step (as if the snapshot had
    // been written yesterday, when it had not started): same revision, other content, so it is written.
    await clients[0].subscription.create({ data: { domainId: other.id, service: 'spam', startsOn: new Date(`${today}T00:00:00Z`) } });
    await a.service.publish([other.name]);
    const rewritten = await stored(other.name);
    expect(rewritten?.entry).not.toBe(first?.entry);
    expect(rewritten?.value.services?.spam?.subscribed).toBe(true);
  });
});
