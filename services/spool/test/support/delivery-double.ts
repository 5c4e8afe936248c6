// Plays delivery for the spool's tests: hands deferred recipients over (DeliveryStatus with SpoolHandoff,
// as delivery's SpoolDeferralHandler does), and answers `delivery.retry` by really sending the stored
// message over SMTP to the domain's server from the directory, then reporting delivered or deferred.
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  Codecs,
  DeliveryState,
  DeliveryStatusSchema,
  Direction,
  RetryAction,
  SpoolHandoffSchema,
  Subjects,
  create,
  timestampFromDate,
  type MailSubmit,
  type NotifyCondition,
  type SpoolHandoff,
} from '@torii/contracts';
import { JetStreamPublisher, KvStore } from '@torii/messaging';
import { messageKey, type ObjectStore } from '@torii/storage';
import { sendMail } from '@torii/testing';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

interface Handed {
  id: string;
  tenantId: string;
  recipient: string;
  handoff: SpoolHandoff;
  attempt: number;
}

export class DeliveryDouble {
  readonly submissions: MailSubmit[] = [];
  readonly expired = new Set<string>();
  private readonly messages = new Map<string, Handed>();
  private readonly retryIds = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();
  private readonly maxInFlight = new Map<string, number>();
  private readonly subscriptions: Subscription[] = [];
  private readonly publisher: JetStreamPublisher;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly store: ObjectStore,
    private readonly directory: KvStore<ReturnType<typeof Codecs.domainDirectory.decode>>,
  ) {
    this.publisher = new JetStreamPublisher(nc);
  }

  static async start(nc: NatsConnection, store: ObjectStore): Promise<DeliveryDouble> {
    const directory = await KvStore.open(nc, 'directory', Codecs.domainDirectory, { create: true });
    const double = new DeliveryDouble(nc, store, directory);
    const retries = nc.subscribe(Subjects.deliveryRetry);
    const submits = nc.subscribe(Subjects.mailSubmit);
    double.subscriptions.push(retries, submits);
    void (async () => {
      for await (const m of retries) void double.onRetry(Codecs.deliveryRetry.decode(m.data));
    })();
    void (async () => {
      for await (const m of submits) double.submissions.push(Codecs.mailSubmit.decode(m.data));
    })();
    return double;
  }

  /** Stores a message and reports its first temporary failure with a hand-off; returns the message id. */
  async handOff(input: { domain: string; from: string; to: string; notify: NotifyCondition[]; declaredSize?: bigint }): Promise<string> {
    const id = `01${randomBytes(12).toString('hex').toUpperCase()}`.slice(0, 26);
    const now = new Date();
    const raw = Buffer.from(`From: <${input.from}>\r\nTo: <${input.to}>\r\nSubject: spooled ${id}\r\nMessage-ID: <${id}@sender.test>\r\n\r\nHello ${id}\r\n`);
    const key = messageKey({ tenantId: 'tenant1', messageId: id, receivedAt: now });
    await this.store.put(key, Readable.from([raw]));
    const handoff = create(SpoolHandoffSchema, {
        domain: input.domain,
        bucket: this.store.bucket,
        objectKey: key,
        size: input.declaredSize ?? BigInt(raw.length),
        envelope: { mailFrom: input.from, rcptTo: [{ address: input.to, notify: input.notify }] },
        receivedAt: timestampFromDate(now),
        firstFailedAt: timestampFromDate(now),
    });
    const handed: Handed = { id, tenantId: 'tenant1', recipient: input.to, handoff, attempt: 1 };
    this.messages.set(id, handed);
    const reply = await this.attempt(handed);
    if (reply !== 'delivered') await this.report(handed, DeliveryState.DEFERRED, reply);
    return id;
  }

  retries(messageId: string): number {
    return [...this.retryIds.keys()].filter((k) => k.startsWith(`${messageId}:retry:`)).length;
  }

  /** Retry commands seen more than once (a second replica sending the same attempt, or a new id for one in flight). */
  duplicateRetries(): string[] {
    return [...this.retryIds.entries()].filter(([, n]) => n > 1).map(([k]) => k);
  }

  maxConcurrent(domain: string): number {
    return this.maxInFlight.get(domain) ?? 0;
  }

  async read(key: string): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.store.get(key)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('latin1');
  }

  stop(): void {
    for (const s of this.subscriptions) s.unsubscribe();
  }

  private async onRetry(command: ReturnType<typeof Codecs.deliveryRetry.decode>): Promise<void> {
    this.retryIds.set(command.retryId, (this.retryIds.get(command.retryId) ?? 0) + 1);
    const handed = this.messages.get(command.messageId);
    if (!handed) return;
    if (command.action === RetryAction.EXPIRE) {
      this.expired.add(command.messageId);
      this.messages.delete(command.messageId);
      return;
    }
    if (this.retryIds.get(command.retryId)! > 1) return;
    handed.attempt++;
    const domain = handed.handoff.domain;
    const n = (this.inFlight.get(domain) ?? 0) + 1;
    this.inFlight.set(domain, n);
    this.maxInFlight.set(domain, Math.max(n, this.maxInFlight.get(domain) ?? 0));
    try {
      const reply = await this.attempt(handed);
      if (reply === 'delivered') {
        this.messages.delete(handed.id);
        await this.report(handed, DeliveryState.DELIVERED, undefined);
      } else {
        await this.report(handed, DeliveryState.DEFERRED, reply);
      }
    } finally {
      this.inFlight.set(domain, (this.inFlight.get(domain) ?? 1) - 1);
    }
  }

  private async attempt(handed: Handed): Promise<'delivered' | string> {
    const server = (await this.directory.get(handed.handoff.domain))?.value.server;
    try {
      const raw = Buffer.from(await this.read(handed.handoff.objectKey), 'latin1');
      await sendMail({ port: server?.port ?? 1, from: handed.handoff.envelope?.mailFrom ?? '', to: [handed.recipient], raw, timeoutMs: 2_000 });
      return 'delivered';
    } catch (error) {
      return `connect: ${(error as { code?: string }).code ?? (error as Error).message}`;
    }
  }

  private async report(handed: Handed, status: DeliveryState, failure: string | undefined): Promise<void> {
    const event = create(DeliveryStatusSchema, {
      messageId: handed.id,
      tenantId: handed.tenantId,
      recipient: handed.recipient,
      status,
      attempt: handed.attempt,
      reason: status === DeliveryState.DELIVERED ? 'remote-accepted' : 'remote-temporary',
      occurredAt: timestampFromDate(new Date()),
      direction: Direction.INBOUND,
      ...(failure ? { remote: { host: 'mail.tenant.test', ip: '127.0.0.1', code: 0, text: failure }, handoff: handed.handoff } : {}),
    });
    await this.publisher.publish(Subjects.delivery(status), Codecs.deliveryStatus, event, {
      msgId: `${handed.id}:${handed.recipient}:${status}:${handed.attempt}`,
    });
  }
}
