import { Direction, Subjects } from '@torii/contracts';
import { PermanentError } from '@torii/errors';
import { JetStreamPublisher, type Codec, type PublishOptions, type PublishResult } from '@torii/messaging';
import pg from 'pg';
import { OutboxRelay, orderingKey, publishRetryDelay, MAX_PERMANENT_REFUSALS } from '../src/messaging/outbox.relay';
import { DeliveryDb } from '../src/persistence/delivery-db';
import { DeliveryRepository } from '../src/persistence/delivery.repository';
import { newId, startHarness, type Harness } from './support/harness';

const REFUSED = 'refused.by.test';

/** The real publisher, except that the stream "refuses" one subject as bad (as it would a too-large message). */
class RefusingPublisher extends JetStreamPublisher {
  override async publish<T>(subject: string, codec: Codec<T>, message: T, options: PublishOptions): Promise<PublishResult> {
    if (subject === REFUSED) throw new PermanentError('refused by the test stream');
    return super.publish(subject, codec, message, options);
  }
}

describe('outbox relay: a row that cannot be published', () => {
  let h: Harness;
  let db: DeliveryDb;
  let client: pg.Client;
  let relay: OutboxRelay;
  const captured = Subjects.mailReceived(Direction.INBOUND);

  beforeAll(async () => {
    h = await startHarness();
    db = new DeliveryDb(h.config);
    relay = new OutboxRelay(new DeliveryRepository(db), new RefusingPublisher(h.nc), h.config);
    client = new pg.Client({ connectionString: h.db.url });
    await client.connect();
  }, 60_000);
  afterAll(async () => {
    await client?.end();
    await db?.$disconnect();
    await h?.close();
  });

  const insert = async (subject: string, msgId: string) => {
    await db.outbox.create({ data: { subject, msgId, typeName: 'torii.test.Bytes', payload: Buffer.from('x') } });
  };
  const row = async (msgId: string) => {
    const { rows } = await client.query<{ published: boolean; failed: boolean; attempts: number; backing_off: boolean }>(
      `SELECT published_at IS NOT NULL AS published, failed_at IS NOT NULL AS failed, attempts,
              coalesce(next_attempt_at > now(), false) AS backing_off
         FROM delivery.outbox WHERE msg_id = $1`,
      [msgId],
    );
    return rows[0];
  };

  it('does not stop later rows: a subject no stream captures backs off on its own', async () => {
    const stuck = newId();
    const other = newId();
    await insert('nowhere.captured.by.any.stream', `${stuck}:a@t.test:delivered:1`);
    await insert(captured, `${stuck}:a@t.test:bounced:2`); // same message: must wait for the stuck one
    await insert(captured, `${other}:b@t.test:delivered:1`);
    await insert(captured, `${newId()}`);

    await relay.publishBatch();
    expect(await row(`${stuck}:a@t.test:delivered:1`)).toEqual({ published: false, failed: false, attempts: 1, backing_off: true });
    expect(await row(`${stuck}:a@t.test:bounced:2`)).toMatchObject({ published: false, attempts: 0 });
    expect(await row(`${other}:b@t.test:delivered:1`)).toMatchObject({ published: true });

    // Next pass: the stuck row is backing off and its message's later event still waits behind it.
    await relay.publishBatch();
    expect(await row(`${stuck}:a@t.test:delivered:1`)).toMatchObject({ attempts: 1 });
    expect(await row(`${stuck}:a@t.test:bounced:2`)).toMatchObject({ published: false });
  });

  it('moves a row the stream keeps refusing aside, then publishes what waited behind it', async () => {
    const msg = newId();
    await insert(REFUSED, `${msg}:a@t.test:delivered:1`);
    await insert(captured, `${msg}:a@t.test:delivered:2`);
    for (let i = 1; i <= MAX_PERMANENT_REFUSALS; i++) {
      await relay.publishBatch();
      expect(await row(`${msg}:a@t.test:delivered:1`)).toMatchObject({ attempts: i, failed: i === MAX_PERMANENT_REFUSALS });
      await client.query(`UPDATE delivery.outbox SET next_attempt_at = now() - interval '1 second' WHERE msg_id = $1`, [`${msg}:a@t.test:delivered:1`]);
    }
    await relay.publishBatch();
    expect(await row(`${msg}:a@t.test:delivered:1`)).toMatchObject({ published: false, failed: true });
    expect(await row(`${msg}:a@t.test:delivered:2`)).toMatchObject({ published: true });
  });

  it.each([
    [1, 1_000],
    [2, 2_000],
    [5, 16_000],
    [9, 256_000],
    [10, 300_000],
    [1_000, 300_000],
  ])('publishRetryDelay(%i) = %i ms', (attempts, ms) => {
    expect(publishRetryDelay(attempts)).toBe(ms);
  });

  it.each([
    ['01ABC:bob@t.test:delivered:1', '01ABC'],
    ['dsn-123', 'dsn-123'],
  ])('orderingKey(%s) = %s', (msgId, key) => {
    expect(orderingKey(msgId)).toBe(key);
  });
});

/** The real publisher, recording what it published; `stall()` holds its next publish until released. */
class RecordingPublisher extends JetStreamPublisher {
  readonly published: string[] = [];
  private gate: { reached: () => void; open: Promise<void> } | undefined;
  stall(): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const reachedP = new Promise<void>((resolve) => (reached = resolve));
    this.gate = { reached, open: new Promise<void>((resolve) => (release = resolve)) };
    return { reached: reachedP, release };
  }
  override async publish<T>(subject: string, codec: Codec<T>, message: T, options: PublishOptions): Promise<PublishResult> {
    const gate = this.gate;
    if (gate) {
      this.gate = undefined;
      gate.reached();
      await gate.open;
    }
    const result = await super.publish(subject, codec, message, options);
    this.published.push(options.msgId);
    return result;
  }
}

/** Low (b) of the session 7 review: every replica's relay used to publish every unpublished row. */
describe('outbox relay on two replicas', () => {
  let h: Harness;
  let dbs: DeliveryDb[];
  let publishers: RecordingPublisher[];
  let relays: OutboxRelay[];
  const subject = Subjects.mailReceived(Direction.INBOUND);

  beforeAll(async () => {
    h = await startHarness();
    dbs = [0, 1].map(() => new DeliveryDb(h.config));
    publishers = [0, 1].map(() => new RecordingPublisher(h.nc));
    relays = [0, 1].map((i) => new OutboxRelay(new DeliveryRepository(dbs[i]), publishers[i], h.config));
  }, 60_000);
  afterAll(async () => {
    for (const d of dbs ?? []) await d.$disconnect();
    await h?.close();
  });

  const insert = (msgIds: string[]) =>
    dbs[0].outbox.createMany({ data: msgIds.map((msgId) => ({ subject, msgId, typeName: 'torii.test.Bytes', payload: Buffer.from('x') })) });
  const unpublished = () => dbs[0].outbox.count({ where: { publishedAt: null } });

  it('a row is published by the replica that claimed it, not by every replica', async () => {
    const ids = Array.from({ length: 5 }, () => newId());
    await insert(ids);
    // Replica A claims the batch and is slow to publish its first row; replica B runs a pass meanwhile.
    const stalled = publishers[0].stall();
    const passA = relays[0].publishBatch();
    await stalled.reached;
    expect(await relays[1].publishBatch()).toBe(0);
    stalled.release();
    expect(await passA).toBe(5);
    expect(publishers[0].published).toEqual(ids);
    expect(publishers[1].published).toEqual([]);
    expect(await unpublished()).toBe(0);
  });

  it("keeps one message's events in order while another replica holds the earlier one", async () => {
    publishers.forEach((p) => p.published.splice(0));
    const [x, y] = [newId(), newId()];
    await insert([`${x}:a@t.test:delivering:1`, `${x}:a@t.test:delivered:2`, `${y}:b@t.test:delivered:1`]);
    // A claims only x's first event and stalls publishing it: B publishes y's, not x's second.
    const stalled = publishers[0].stall();
    const passA = relays[0].publishBatch(1);
    await stalled.reached;
    await relays[1].publishBatch();
    expect(publishers[1].published).toEqual([`${y}:b@t.test:delivered:1`]);
    stalled.release();
    await passA;
    await relays[1].publishBatch();
    expect(publishers[0].published).toEqual([`${x}:a@t.test:delivering:1`]);
    expect(publishers[1].published).toEqual([`${y}:b@t.test:delivered:1`, `${x}:a@t.test:delivered:2`]);
    expect(await unpublished()).toBe(0);
  });
});
