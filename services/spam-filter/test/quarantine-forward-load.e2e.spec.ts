/**
 * Forwards of one tenant at once with slow object reads (review, session 7): the S3 work of a forward (reading
 * the box's copy, storing the forwarded copy) ran inside the transaction holding the tenant's forward lock, so
 * one tenant's forwards ran one at a time, each waiting one holding a pool connection: with reads slowed by 2 s,
 * 12 parallel forwards of one user made a plain `SELECT 1` on the app's client take 5.5 s, the last forward
 * ending at ~26 s. Real Postgres and s3rver (testbed); the reads are the store's, each delayed by READ_DELAY.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Codecs, DeliveryState, DeliveryStatusSchema, Direction, create } from '@torii/contracts';
import type { Principal } from '@torii/auth';
import { ProblemException } from '@torii/http';
import { QuarantineObjects } from '../src/quarantine/quarantine.objects';
import { QuarantineService } from '../src/quarantine/quarantine.service';
import { startTestbed, until, type Testbed } from './support/testbed';

const FIXTURES = join(dirname(require.resolve('@torii/spam-engine/package.json')), 'fixtures');
const SPAM = readFileSync(join(FIXTURES, 'spam-en.eml'));
const DOMAIN = 'quarantine-load.test';
const TENANT = '7a1f0c2e-0000-4000-8000-0000000010ad';
const USER_LIMIT = 20;
const READ_DELAY = 1500;
const PARALLEL = 12;

jest.setTimeout(120_000);

describe('quarantine forwards under slow object reads', () => {
  let bed: Testbed;
  let service: QuarantineService;
  let reads: jest.SpyInstance;
  let reading = 0;
  let gate: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    bed = await startTestbed({
      name: 'quarantine-load',
      directory: {
        domain: DOMAIN,
        tenantId: TENANT,
        tenantName: 'Quarantine load',
        active: true,
        planAddresses: 10,
        services: { spam: { subscribed: true } },
        addresses: ['bob', 'carol', 'dave'].map((localPart) => ({ localPart, kind: 1 })),
        spamPolicy: { settings: { quarantineCapacityBytes: String(50 * 1024 * 1024) } },
      },
      config: {
        GATEWAY_HOSTNAME: 'gw.torii.test',
        QUARANTINE_PUBLIC_URL: 'http://quarantine.torii.test',
        QUARANTINE_LINK_SECRET: 'a-test-secret-of-enough-length-0123456789',
        QUARANTINE_JOB_INTERVAL: '0',
        QUARANTINE_FORWARD_USER_LIMIT: String(USER_LIMIT),
        QUARANTINE_FORWARD_TENANT_LIMIT: '200',
        QUARANTINE_FORWARD_WINDOW: '1h',
      },
    });
    service = bed.app.get(QuarantineService);
    // S3 slowed down (the store's own reads, each READ_DELAY late, and held while `gate` is closed).
    const objects = bed.app.get(QuarantineObjects);
    const read = objects.read.bind(objects);
    reads = jest.spyOn(objects, 'read').mockImplementation(async (key: string) => {
      reading++;
      try {
        await Promise.all([new Promise((r) => setTimeout(r, READ_DELAY)), gate]);
        return await read(key);
      } finally {
        reading--;
      }
    });
  });
  afterAll(async () => {
    reads?.mockRestore();
    await bed?.close();
  });

  async function file(who: string) {
    const event = await bed.receive({ raw: SPAM, to: [`${who}@${DOMAIN}`], tenantId: TENANT, domain: DOMAIN });
    await until('scored', async () => bed.db().scoredMessage.findUnique({ where: { messageId: event.messageId } }));
    await service.onQuarantined(create(DeliveryStatusSchema, { messageId: event.messageId, tenantId: TENANT, recipient: `${who}@${DOMAIN}`, status: DeliveryState.QUARANTINED, direction: Direction.INBOUND }));
    return until('filed', async () => bed.db().quarantineItem.findFirst({ where: { messageId: event.messageId } }));
  }

  const user = (who: string): Principal => ({ subject: `user-${who}`, role: 'user', tenantId: TENANT, address: `${who}@${DOMAIN}`, via: 'jwt' });
  const forward = (who: string, itemId: string, to: string) => service.forward(TENANT, DOMAIN, `${who}@${DOMAIN}`, itemId, to, user(who));
  const settle = <T>(p: Promise<T>) => p.then((ok) => ({ ok }), (error: unknown) => ({ error }));
  /** The forwarded copies stored in the bucket (submission objects of forwards). */
  async function forwardObjects(): Promise<string[]> {
    const keys: string[] = [];
    for await (const o of bed.store.list(`submit/${TENANT}/`)) if (/\/quarantine-forward-[0-9a-f-]{36}\.eml$/.test(o.key)) keys.push(o.key);
    return keys.sort();
  }
  const keyOf = async (submitId: string) => Codecs.mailSubmit.decode((await bed.db().quarantineOutbox.findUniqueOrThrow({ where: { submitId } })).payload).objectKey;

  it(`${PARALLEL} parallel forwards of one user: no transaction open during the reads, the app's pool stays free, they run side by side`, async () => {
    const item = await file('bob');
    const before = await forwardObjects();
    const started = Date.now();
    let open!: () => void;
    gate = new Promise((r) => (open = r));
    const forwards = Promise.all(Array.from({ length: PARALLEL }, (_, n) => forward('bob', item.id, `load${n}@outside.example`)));
    let probe: number;
    let locks: number;
    try {
      // All of them read S3 at once (the reads held until the test has looked). Before: one at a time, the
      // others queued on the tenant's lock, each in its own transaction holding a pool connection.
      await until(`${PARALLEL} forwards reading S3 at once`, async () => reading === PARALLEL, 10_000).catch(() => {
        throw new Error(`only ${reading} of ${PARALLEL} forwards were reading S3 at once`);
      });
      // Nobody holds or waits for the tenant's forward lock (or any advisory lock) while they read.
      [{ n: locks }] = await bed.db().$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;
      // And the app's client answers at once (before: about 2.8 reads, behind the forwards' transactions).
      const t0 = Date.now();
      await bed.db().$queryRaw`SELECT 1`;
      probe = Date.now() - t0;
    } finally {
      open();
    }
    expect(locks).toBe(0);
    expect(probe).toBeLessThan(READ_DELAY);

    const results = await forwards;
    const elapsed = Date.now() - started;
    // Run one after another they take at least PARALLEL reads; side by side about one (bound: half the serial total).
    expect(elapsed).toBeLessThan((PARALLEL * READ_DELAY) / 2);
    expect(new Set(results.map((r) => r.submitId)).size).toBe(PARALLEL);
    expect(results.every((r) => !r.repeated)).toBe(true);
    expect(await bed.db().quarantineForward.count({ where: { tenantId: TENANT, actor: 'user-bob' } })).toBe(PARALLEL);
    expect(await bed.db().auditLog.count({ where: { action: 'spam.quarantine.forward', target: item.id } })).toBe(PARALLEL);
    // One stored copy per forward, each the one its notice names.
    const added = (await forwardObjects()).filter((k) => !before.includes(k));
    expect(added).toEqual((await Promise.all(results.map((r) => keyOf(r.submitId)))).sort());
  });

  it('forwards let through by the lock-free pre-check and refused under the lock delete the copies they stored', async () => {
    const item = await file('carol');
    // carol is 2 forwards short of her limit: 5 at once all pass the pre-check (nothing counted yet), 2 are sent.
    const now = new Date();
    await bed.db().quarantineForward.createMany({
      data: Array.from({ length: USER_LIMIT - 2 }, (_, n) => ({ tenantId: TENANT, actor: 'user-carol', itemId: randomUUID(), to: `old${n}@outside.example`, submitId: `quarantine-forward-${randomUUID()}`, at: now })),
    });
    const before = await forwardObjects();
    reads.mockClear();
    const results = await Promise.all(Array.from({ length: 5 }, (_, n) => settle(forward('carol', item.id, `race${n}@outside.example`))));
    expect(reads).toHaveBeenCalledTimes(5); // all five did the S3 work ...
    const sent = results.flatMap((r) => ('ok' in r ? [r.ok.submitId] : []));
    const refused = results.flatMap((r) => ('error' in r ? [r.error] : []));
    expect(sent).toHaveLength(2);
    expect(refused).toHaveLength(3);
    for (const e of refused) expect(e).toBeInstanceOf(ProblemException);
    expect(refused.map((e) => (e as ProblemException).getStatus())).toEqual([429, 429, 429]);
    // ... and only the copies of the two sent are left.
    const added = (await forwardObjects()).filter((k) => !before.includes(k));
    expect(added).toEqual((await Promise.all(sent.map(keyOf))).sort());

    // Now at the limit: refused by the pre-check, no S3 read, nothing stored.
    reads.mockClear();
    await expect(forward('carol', item.id, 'late@outside.example')).rejects.toMatchObject({ code: 'forward-limit' });
    expect(reads).not.toHaveBeenCalled();
    expect((await forwardObjects()).filter((k) => !before.includes(k))).toEqual(added);
  });

  it('the same forward three times at once: sent once, the others answer its id, one copy stored', async () => {
    const item = await file('dave');
    const before = await forwardObjects();
    const results = await Promise.all([0, 1, 2].map(() => forward('dave', item.id, 'Friend@outside.example')));
    const sent = results.filter((r) => !r.repeated);
    expect(sent).toHaveLength(1);
    const [first] = sent;
    expect(results.filter((r) => r.repeated)).toHaveLength(2);
    expect(results.map((r) => r.submitId)).toEqual([first.submitId, first.submitId, first.submitId]);
    expect(await bed.db().quarantineOutbox.count({ where: { submitId: first.submitId } })).toBe(1);
    expect(await bed.db().auditLog.count({ where: { action: 'spam.quarantine.forward', target: item.id } })).toBe(1);
    const added = (await forwardObjects()).filter((k) => !before.includes(k));
    expect(added).toEqual([await keyOf(first.submitId)]);
    // A repeat later: answered by the pre-check, no read.
    reads.mockClear();
    await expect(forward('dave', item.id, 'friend@outside.example')).resolves.toEqual({ submitId: first.submitId, repeated: true });
    expect(reads).not.toHaveBeenCalled();
  });
});
