import { SpamVerdictSchema, create } from '@torii/contracts';
import { createTestSchema, type TestSchema } from '@torii/db';
import { join } from 'node:path';
import type { DeliveryConfig } from '../src/config/delivery.config';
import { statusEvent } from '../src/delivery/status-events';
import { DeliveryDb } from '../src/persistence/delivery-db';
import { DeliveryRepository, type NewMessage } from '../src/persistence/delivery.repository';
import { SpoolRetryRepository } from '../src/spool/spool-retry.repository';
import { JoinService } from '../src/verdicts/join.service';
import { spamFacts } from '../src/verdicts/verdict-facts';
import { DEFAULT_JOIN_POLICY } from '../src/verdicts/verdict-join.rules';

/**
 * Two delivery replicas are two Prisma clients on one real Postgres. A replica's transaction can be held
 * open after one of its statements (`pauseAfter`, a slow pod) while the other replica acts, which forces
 * the interleavings the concurrency review found (session 7, races 4, 7 and 8).
 */
jest.setTimeout(60_000);

let db: TestSchema;
let dbs: DeliveryDb[];
let repos: DeliveryRepository[];
const joins = new JoinService({ TORII_BRAND: 'Acme' } as DeliveryConfig);

beforeAll(async () => {
  db = await createTestSchema({ schema: 'delivery', prismaConfigPath: join(__dirname, '../prisma.config.ts') });
  dbs = [0, 1].map(() => new DeliveryDb({ DATABASE_URL: db.url } as DeliveryConfig));
  repos = dbs.map((d) => new DeliveryRepository(d));
});
afterAll(async () => {
  for (const d of dbs ?? []) await d.$disconnect();
  await db?.drop();
});

type Fn = (...args: unknown[]) => Promise<unknown>;

/**
 * The next transaction of replica `client` stops right after its first `model.method(...)` call returned,
 * still open (its locks held, nothing committed), until `release()`.
 */
function pauseAfter(client: DeliveryDb, model: string, method: string) {
  let reached!: () => void;
  let release!: () => void;
  const reachedP = new Promise<void>((resolve) => (reached = resolve));
  const gate = new Promise<void>((resolve) => (release = resolve));
  const target = client as unknown as { $transaction: (fn: (tx: object) => Promise<unknown>, options?: unknown) => Promise<unknown> };
  const original = target.$transaction.bind(client);
  let armed = true;
  const wrapModel = (delegate: object) =>
    new Proxy(delegate, {
      get(m, name) {
        const f = (m as Record<string | symbol, unknown>)[name];
        if (typeof f !== 'function') return f;
        if (name !== method) return (f as Fn).bind(m);
        return async (...args: unknown[]) => {
          const result = await (f as Fn).apply(m, args);
          if (armed) {
            armed = false;
            reached();
            await gate;
          }
          return result;
        };
      },
    });
  target.$transaction = (fn, options) =>
    original(
      (tx) =>
        fn(
          new Proxy(tx, {
            get(t, name) {
              const v = (t as Record<string | symbol, unknown>)[name];
              if (name === model && armed) return wrapModel(v as object);
              return typeof v === 'function' ? (v as Fn).bind(t) : v;
            },
          }),
        ),
      options,
    );
  return {
    reached: reachedP,
    release: () => {
      target.$transaction = original;
      release();
    },
  };
}

/** Resolves with the promise's value, or with `undefined` when it is still pending after `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function message(id: string, recipients: string[], required: string[] = ['spam']): NewMessage {
  return {
    id,
    origin: 'received',
    tenantId: 't1',
    domain: 'race.test',
    direction: 'inbound',
    bucket: 'b',
    objectKey: `k/${id}`,
    sha256: '',
    size: 100n,
    receivedAt: new Date(),
    envelope: { mailFrom: 'sender@elsewhere.test', ret: 'unspecified', envid: '' },
    event: {},
    requiredVerdicts: required,
    verdictPolicy: DEFAULT_JOIN_POLICY as never,
    recipients: recipients.map((address) => ({ address, notify: [], orcpt: '' })),
  };
}

describe('race 7: a verdict committed while its message is being inserted', () => {
  it('is joined at once, not after the verdict timeout', async () => {
    const [a, b] = repos;
    const id = 'verdict-during-insert';
    const verdict = spamFacts(create(SpamVerdictSchema, { messageId: id, tenantId: 't1', outcome: { kind: 1 }, headerValue: '1.00%', recipients: [] }));
    // Replica B records the spam verdict; its transaction is slow to commit (after its last statement).
    const paused = pauseAfter(dbs[1], 'message', 'updateMany');
    const recording = b.recordVerdict(id, 'spam', verdict as never);
    await paused.reached;
    // Meanwhile replica A takes the MailReceived in, and its worker evaluates the join at once.
    const inserting = a.insertMessage(message(id, ['x@race.test']));
    await within(inserting, 1_000);
    await a.evaluateDue(10, (m, v) => joins.decide(m, v));
    paused.release();
    expect(await recording).toBe(true);
    expect(await inserting).toBe(true);
    // Every verdict the message needs is stored: the next round of any worker decides it (no 60 s wait).
    await a.evaluateDue(10, (m, v) => joins.decide(m, v));
    const row = await dbs[0].message.findUnique({ where: { id }, include: { recipients: true } });
    expect(row?.evaluateAt).toBeNull();
    expect(row?.recipients.map((r) => r.state)).toEqual(['pending']);
  });
});

describe('race 4: two replicas sending DSNs while a second recipient bounces', () => {
  /** The DSN owed for message `id`, as replica `repo`'s DSN pass reads it. */
  const owedBy = async (repo: DeliveryRepository, id: string) => {
    const message = (await repo.pendingDsns(20)).find((m) => m.id === id);
    if (!message) throw new Error(`no DSN owed for ${id}`);
    return message;
  };
  it('every bounced recipient gets its DSN (a stale pending set is refused, not half-applied)', async () => {
    const [a, b] = repos;
    const id = 'dsn-stale-set';
    await a.insertMessage(message(id, ['r1@race.test', 'r2@race.test'], []));
    const [r1, r2] = await dbs[0].recipient.findMany({ where: { messageId: id }, orderBy: { id: 'asc' } });
    await dbs[0].recipient.update({ where: { id: r1.id }, data: { state: 'bounced', dsnPending: true } });
    // What DsnService does on two replicas: A reads [r1]; r2 bounces; B reads [r1, r2]; A completes; B completes.
    const seenA = await owedBy(a, id);
    await dbs[0].recipient.update({ where: { id: r2.id }, data: { state: 'bounced', dsnPending: true } });
    const seenB = await owedBy(b, id);
    expect(seenA.recipients.map((r) => r.address)).toEqual(['r1@race.test']);
    expect(seenB.recipients.map((r) => r.address)).toEqual(['r1@race.test', 'r2@race.test']);
    const complete = (repo: DeliveryRepository, seen: typeof seenA) => {
      const ids = seen.recipients.map((r) => r.id);
      return repo.completeDsn(seen.id, ids, {
        subject: 'mail.submit',
        msgId: `dsn-${seen.id}-${ids[0]}`,
        typeName: 'torii.test.Addresses',
        payload: Buffer.from(JSON.stringify(seen.recipients.map((r) => r.address))),
      });
    };
    const doneA = await complete(a, seenA);
    const doneB = await complete(b, seenB);

    const outbox = await dbs[0].outbox.findMany({ where: { msgId: { startsWith: `dsn-${id}-` } } });
    const covered = outbox.flatMap((o) => JSON.parse(Buffer.from(o.payload).toString()) as string[]);
    const owed = await dbs[0].recipient.findMany({ where: { messageId: id, dsnPending: true } });
    // Each bounced recipient is either in a DSN on its way or still owed one; A's DSN covers r1 only.
    expect([...covered, ...owed.map((r) => r.address)].sort()).toEqual(['r1@race.test', 'r2@race.test']);
    expect(covered).toEqual(['r1@race.test']);
    expect([doneA, doneB]).toEqual([true, false]);
    // r2 is still owed: the next pass sends its own DSN.
    const next = await owedBy(b, id);
    expect(next.recipients.map((r) => r.address)).toEqual(['r2@race.test']);
    expect(await complete(b, next)).toBe(true);
    expect(await dbs[0].recipient.count({ where: { messageId: id, dsnPending: true } })).toBe(0);
  });
});

describe('race 8: a spool EXPIRE racing a claim of the same recipient', () => {
  it('announces no bounce for a recipient it did not bounce', async () => {
    const [a, b] = repos;
    const id = 'expire-vs-claim';
    await a.insertMessage(message(id, ['x@race.test'], []));
    await dbs[0].message.update({ where: { id }, data: { evaluateAt: null } });
    await dbs[0].recipient.updateMany({ where: { messageId: id }, data: { state: 'deferred', attempts: 1, nextAttemptAt: new Date(Date.now() - 1000) } });
    const spool = new SpoolRetryRepository(dbs[0]);
    // Replica A carries out EXPIRE and stalls after reading the deferred recipients; replica B claims.
    const paused = pauseAfter(dbs[0], 'recipient', 'findMany');
    const expiring = spool.expire(id, ['x@race.test'], (m, rs) =>
      rs.flatMap(
        (r) =>
          statusEvent({ messageId: id, tenantId: m.tenantId, direction: m.direction, recipient: r.address, state: 'bounced', attempt: r.attempts, reason: 'expired', now: new Date() }) ?? [],
      ),
    );
    await paused.reached;
    const claiming = b.claimDue(10, 60_000);
    await within(claiming, 1_000);
    paused.release();
    const expired = await expiring;
    const claimed = (await claiming).filter((m) => m.id === id).flatMap((m) => m.recipients);

    const row = await dbs[0].recipient.findFirstOrThrow({ where: { messageId: id } });
    const bounced = await dbs[0].outbox.count({ where: { msgId: { startsWith: `${id}:` }, AND: { msgId: { contains: ':bounced:' } } } });
    // Exactly one of them won, and what was announced is what the row says.
    expect(expired + claimed.length).toBe(1);
    expect(row.state).toBe(expired === 1 ? 'bounced' : 'delivering');
    expect(bounced).toBe(row.state === 'bounced' ? 1 : 0);
    expect(row.dsnPending).toBe(row.state === 'bounced');
  });
});
