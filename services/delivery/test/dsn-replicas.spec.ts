import { Codecs } from '@torii/contracts';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { DsnService } from '../src/dsn/dsn.service';
import { DeliveryDb } from '../src/persistence/delivery-db';
import { DeliveryRepository } from '../src/persistence/delivery.repository';
import { MessageObjects } from '../src/persistence/message-objects';
import { DEFAULT_JOIN_POLICY } from '../src/verdicts/verdict-join.rules';
import { rawMessage, startHarness, type Harness } from './support/harness';

/** The object store of a slow pod: its first DSN upload waits until released. */
class StallingObjects extends MessageObjects {
  reached!: Promise<void>;
  private arrive!: () => void;
  private gate: Promise<void>;
  release!: () => void;
  private armed = true;
  constructor(...args: ConstructorParameters<typeof MessageObjects>) {
    super(...args);
    this.reached = new Promise((resolve) => (this.arrive = resolve));
    this.gate = new Promise((resolve) => (this.release = resolve));
  }
  override async put(key: string, content: Buffer, contentType?: string) {
    if (this.armed) {
      this.armed = false;
      this.arrive();
      await this.gate;
    }
    return super.put(key, content, contentType);
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Race 4 of session 7 at the level of DsnService, on two replicas (two Prisma clients, one Postgres, one
 * object store): one DSN pass at a time, and a pass that stalls past its lease neither loses a recipient's
 * DSN nor replaces the bytes of the DSN the next holder submitted.
 */
describe('DSN passes on two replicas', () => {
  let h: Harness;
  let dbs: DeliveryDb[];
  let repos: DeliveryRepository[];
  beforeAll(async () => {
    h = await startHarness();
    dbs = [0, 1].map(() => new DeliveryDb(h.config));
    repos = dbs.map((d) => new DeliveryRepository(d));
  }, 60_000);
  afterAll(async () => {
    for (const d of dbs ?? []) await d.$disconnect();
    await h?.close();
  });

  it('a stalled pass does not overwrite or lose the DSN the next lease holder sent', async () => {
    const event = await h.storeMessage({ domain: 'tenant.test', from: 'alice@sender.test', to: ['r1@tenant.test', 'r2@tenant.test'], raw: rawMessage('dsn-race@sender.test') });
    const id = event.messageId;
    await repos[0].insertMessage({
      id,
      origin: 'received',
      tenantId: event.tenantId,
      domain: event.domain,
      direction: 'inbound',
      bucket: event.bucket,
      objectKey: event.objectKey,
      sha256: event.sha256,
      size: event.size,
      receivedAt: new Date(),
      envelope: { mailFrom: 'alice@sender.test', ret: 'unspecified', envid: '' },
      event: {},
      requiredVerdicts: [],
      verdictPolicy: DEFAULT_JOIN_POLICY as never,
      recipients: ['r1@tenant.test', 'r2@tenant.test'].map((address) => ({ address, notify: [], orcpt: '' })),
    });
    const bounce = (address: string) =>
      dbs[0].recipient.updateMany({ where: { messageId: id, address }, data: { state: 'bounced', reason: 'remote-permanent', lastCode: 550, lastText: 'no such user', dsnPending: true } });
    await bounce('r1@tenant.test');

    const stalled = new StallingObjects(h.store);
    const a = new DsnService(repos[0], stalled, h.config);
    const b = new DsnService(repos[1], new MessageObjects(h.store), h.config);
    // Replica A composes the DSN for r1 and stalls storing it.
    const passA = a.sendPending();
    await stalled.reached;
    await bounce('r2@tenant.test');
    // While A's pass holds the lease, B's pass does nothing.
    expect(await b.sendPending()).toBe(0);
    expect(await dbs[0].outbox.count()).toBe(0);
    // A stalls longer than its lease: B's next pass takes over and sends one DSN for r1 and r2.
    await dbs[0].jobLease.updateMany({ where: { name: 'dsn' }, data: { until: new Date(Date.now() - 1_000) } });
    expect(await b.sendPending()).toBe(1);
    stalled.release();
    await passA;

    const rows = await dbs[0].outbox.findMany();
    expect(rows).toHaveLength(1);
    const submit = Codecs.mailSubmit.decode(new Uint8Array(rows[0].payload));
    const stored = await readAll(await h.store.get(submit.objectKey));
    // The submission describes exactly the bytes stored under its key, which report both recipients.
    expect(createHash('sha256').update(stored).digest('hex')).toBe(submit.sha256);
    expect(BigInt(stored.length)).toBe(submit.size);
    expect(stored.toString()).toContain('Final-Recipient: rfc822;r1@tenant.test');
    expect(stored.toString()).toContain('Final-Recipient: rfc822;r2@tenant.test');
    expect(await dbs[0].recipient.count({ where: { messageId: id, dsnPending: true } })).toBe(0);
    // A's refused composition left no object behind.
    const submitted: string[] = [];
    for await (const object of h.store.list(`submit/${event.tenantId}/`)) submitted.push(object.key);
    expect(submitted).toEqual([submit.objectKey]);
  }, 60_000);
});
