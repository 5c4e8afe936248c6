/**
 * Two spool replicas handling the same message at the same moment (real Postgres, two Prisma clients with their
 * own pools, as two pods have). Without the per-message lock both races below lose or resurrect mail state:
 * - the last two recipients of one message resolved at once each saw the other still there, and the message row
 *   stayed with no recipient (retried, noticed and expired for nothing);
 * - a stale `deferred` and the recipient's final outcome at once: the deferral read "not resolved" before the
 *   outcome committed, and re-spooled a recipient that was already delivered.
 */
import { createTestSchema, type TestSchema } from '@torii/db';
import { join } from 'node:path';
import type { SpoolConfig } from '../src/config/spool.config';
import { SpoolDb } from '../src/spool/spool-db';
import { SpoolRepository, type DeferredFacts } from '../src/spool/spool.repository';

jest.setTimeout(120_000);

const ROUNDS = 40;

let db: TestSchema;
let replicas: { client: SpoolDb; repository: SpoolRepository }[];

beforeAll(async () => {
  db = await createTestSchema({ schema: 'spool', prismaConfigPath: join(__dirname, '../prisma.config.ts') });
  replicas = [0, 1].map(() => {
    const client = new SpoolDb({ DATABASE_URL: db.url } as SpoolConfig);
    return { client, repository: new SpoolRepository(client) };
  });
});

afterAll(async () => {
  for (const { client } of replicas ?? []) await client.$disconnect();
  await db?.drop();
});

function facts(messageId: string, address: string): DeferredFacts {
  const now = new Date();
  return {
    messageId,
    tenantId: 't1',
    domain: 'race.example',
    direction: 'inbound',
    bucket: 'b',
    objectKey: `k/${messageId}`,
    size: 100n,
    mailFrom: 'sender@elsewhere.example',
    ret: '',
    envid: '',
    receivedAt: now,
    firstFailedAt: now,
    recipient: { address, notify: [], orcpt: '' },
    reply: { status: '4.4.1', diagnostic: '421 try later', host: 'mx.race.example' },
  };
}

const times = () => {
  const now = Date.now();
  return {
    nextAttemptAt: new Date(now + 60_000),
    delayNoticeAt: new Date(now + 3_600_000),
    giveUpAt: new Date(now + 86_400_000),
    retryIntervalMs: 60_000,
  };
};

it('resolving the last two recipients on two replicas at once removes the message', async () => {
  const [a, b] = replicas.map((r) => r.repository);
  for (let i = 0; i < ROUNDS; i++) {
    const id = `two-${i}`;
    await a.acceptDeferred(facts(id, 'x@race.example'), times(), new Date());
    await a.acceptDeferred(facts(id, 'y@race.example'), times(), new Date());
    const removed = await Promise.all([a.resolveRecipient(id, 'x@race.example', 2), b.resolveRecipient(id, 'y@race.example', 2)]);
    expect(removed).toEqual([true, true]);
  }
  const left = await replicas[0].client.spooledMessage.findMany({ where: { id: { startsWith: 'two-' } }, select: { id: true } });
  expect(left).toEqual([]);
});

it('a stale deferral racing the outcome after a retry never re-spools the recipient', async () => {
  const [a, b] = replicas.map((r) => r.repository);
  for (let i = 0; i < ROUNDS; i++) {
    const id = `stale-${i}`;
    // Attempt 1 deferred (spooled); the retry (attempt 2) delivered; the deferral of attempt 1 is redelivered by
    // the bus at the same moment as the outcome.
    await a.acceptDeferred(facts(id, 'x@race.example'), times(), new Date());
    await Promise.all([a.resolveRecipient(id, 'x@race.example', 2), b.acceptDeferred(facts(id, 'x@race.example'), times(), new Date())]);
  }
  const left = await replicas[0].client.spooledRecipient.findMany({ where: { messageId: { startsWith: 'stale-' } }, select: { messageId: true } });
  expect(left).toEqual([]);
});
