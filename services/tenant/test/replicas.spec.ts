/** Two tenant replicas at once: two Prisma clients on one real Postgres schema. */
import { join } from 'node:path';
import { createTestSchema, type TestSchema } from '@torii/db';
import { uniqueName } from '@torii/testing';
import { PrismaService } from '../src/db/prisma.service';
import { DomainsRepository, type DomainRecord } from '../src/domains/domains.repository';
import type { DirectoryService } from '../src/directory/directory.service';
import type { DomainsService } from '../src/domains/domains.service';
import { SubscriptionsRepository } from '../src/subscriptions/subscriptions.repository';
import { SubscriptionsService } from '../src/subscriptions/subscriptions.service';

jest.setTimeout(120_000);

const actor = { subject: 'op', role: 'operator' } as never;
const ROUNDS = 20;

describe('two tenant replicas at once (real Postgres)', () => {
  let db: TestSchema;
  let clients: PrismaService[];

  beforeAll(async () => {
    db = await createTestSchema({ schema: 'tenant', prismaConfigPath: join(__dirname, '..', 'prisma.config.ts') });
    clients = [0, 1].map(() => new PrismaService(db.url));
  });

  afterAll(async () => {
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
});
