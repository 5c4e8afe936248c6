/**
 * A box's address may hold items of a domain's earlier tenant (until the directory cleanup purges them): like
 * the item search, the box's usage, the domain's usage and the digest count and list the tenant's own items only.
 * QuarantineRepository on a real Postgres schema.
 */
import { createTestSchema, type TestSchema } from '@torii/db';
import { join } from 'node:path';
import { PrismaService } from '../src/db/prisma.service';
import { QuarantineRepository, type ItemRow } from '../src/quarantine/quarantine.repository';

jest.setTimeout(60_000);

describe('quarantine queries are scoped to the tenant (real Postgres)', () => {
  let db: TestSchema;
  let client: PrismaService;
  let repository: QuarantineRepository;
  const address = 'shared@moved.example';

  beforeAll(async () => {
    db = await createTestSchema({ schema: 'spam', prismaConfigPath: join(__dirname, '../prisma.config.ts') });
    client = new PrismaService(db.url);
    repository = new QuarantineRepository(client);
    const item = (tenantId: string, messageId: string, size: number) =>
      client.quarantineItem.create({
        data: { tenantId, domain: 'moved.example', address, messageId, sender: 's@x', subject: messageId, date: new Date(), scorePercent: 99, size, objectKey: `copy/${messageId}`, expiresAt: new Date(Date.now() + 86_400_000) },
      });
    await item('t-old', 'm-old-1', 1000);
    await item('t-old', 'm-old-2', 2000);
    await item('t-new', 'm-new-1', 30);
    await client.quarantineBox.create({ data: { address, domain: 'moved.example', tenantId: 't-new', digestHours: 1 } });
  });

  afterAll(async () => {
    await client?.$disconnect();
    await db?.drop();
  });

  it('the box usage and the domain usage count the tenant\'s items only', async () => {
    expect(await repository.boxUsage('t-new', address)).toEqual({ usedBytes: 30, items: 1 });
    expect(await repository.domainUsage('t-new', 'moved.example')).toEqual([{ address, usedBytes: 30, items: 1 }]);
    expect(await repository.boxUsage('t-old', address)).toEqual({ usedBytes: 3000, items: 2 });
  });

  it('the digest lists and counts the box tenant\'s items only', async () => {
    const seen: { listed: string[]; counted: number }[] = [];
    await repository.claimDueDigests(new Date(), 10, async (_box, reader) => {
      const listed: ItemRow[] = await reader.since(null, 50);
      seen.push({ listed: listed.map((i) => i.messageId), counted: await reader.countSince(null) });
      return undefined;
    });
    expect(seen).toEqual([{ listed: ['m-new-1'], counted: 1 }]);
  });
});
