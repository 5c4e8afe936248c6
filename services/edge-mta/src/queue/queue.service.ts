import { Readable } from 'node:stream';
import {
  AuthResultsSchema,
  Codecs,
  Direction,
  EnvelopeSchema,
  FeedbackMailSchema,
  MailReceivedSchema,
  SmtpClientSchema,
  Subjects,
  create,
  timestampFromDate,
  type FeedbackKind,
  type FeedbackMail,
  type MailReceived,
  type MessageInitShape,
} from '@torii/contracts';
import { describeError } from '@torii/errors';
import type { Logger } from '@torii/telemetry';
import { messageKey, sidecarKey } from '@torii/storage';
import type { AbortJournal } from './abort-journal';

/** What the SMTP session learned; the queue adds ids, hashes and the object key. */
export interface MailReceivedFacts {
  tenantId: string;
  domain: string;
  direction: Direction;
  envelope: MessageInitShape<typeof EnvelopeSchema>;
  client: MessageInitShape<typeof SmtpClientSchema>;
  auth: MessageInitShape<typeof AuthResultsSchema>;
}

/** The object store as the queue needs it (the @torii/storage ObjectStore fits). */
export interface MessageStore {
  readonly bucket: string;
  put(key: string, stream: Readable): Promise<{ size: number; sha256: string }>;
  delete(key: string): Promise<void>;
}

/** What the SMTP session learned about a feedback report (SPAM14 by mail). */
export interface FeedbackFacts {
  tenantId: string;
  domain: string;
  reporter: string;
  kind: FeedbackKind;
}

/** JetStream as the queue needs it: resolves once the stream acknowledged (the JetStreamPublisher fits). */
export interface MailEventPublisher {
  publish(subject: string, event: MailReceived, msgId: string): Promise<void>;
  publishFeedback(subject: string, event: FeedbackMail, msgId: string): Promise<void>;
}

/**
 * Where a feedback report lives: `feedback/<tenantId>/<YYYY>/<MM>/<DD>/<reportId>.eml`, beside the tenant's
 * mail but outside `mail/`, which delivery's reconciliation walks (a report is never delivered).
 */
export function feedbackKey(tenantId: string, reportId: string, receivedAt: Date): string {
  return `feedback/${messageKey({ tenantId, messageId: reportId, receivedAt }).slice('mail/'.length)}`;
}

/** Thrown when the message could not be stored durably; the client gets 451 4.3.0 and retries. */
export class QueueFailedError extends Error {
  constructor(
    readonly step: 'store' | 'sidecar' | 'publish' | 'aborted',
    options?: { cause?: unknown },
  ) {
    super(`queueing failed at ${step}`, options);
    this.name = 'QueueFailedError';
  }
}

/** Lets the SMTP side abandon a queue attempt whose client already got an answer (a timeout). */
export class QueueAttempt {
  aborted = false;

  /**
   * @param publishBy latest time (ms since epoch) at which the publish may still start: a publish that
   *   began later could outlive the SMTP timeout, so the client would hear 451 for a message that is
   *   nevertheless published and delivered (and then sent again by the client).
   */
  constructor(readonly publishBy = Number.POSITIVE_INFINITY) {}

  get tooLateToPublish(): boolean {
    return this.aborted || Date.now() > this.publishBy;
  }
}

/**
 * The claim check (O4): raw message into the object store, the event beside it (sidecar), then MailReceived
 * on JetStream; only when all are acknowledged may the client hear 250. If anything fails, the sidecar and
 * then the object are deleted, so nothing is left that reconciliation could deliver after the client was
 * told to retry (an object without sidecar is ignored by reconciliation even if its delete failed).
 */
export class QueueService {
  constructor(
    private readonly store: MessageStore,
    private readonly publisher: MailEventPublisher,
    private readonly journal: AbortJournal,
    private readonly receivedBy: string,
    private readonly logger: Logger,
    /** Tests put their own stream in front of the subjects. */
    private readonly subjectPrefix = '',
  ) {}

  async enqueue(
    messageId: string,
    receivedAt: Date,
    message: Readable,
    facts: MailReceivedFacts,
    attempt: QueueAttempt = new QueueAttempt(),
  ): Promise<MailReceived> {
    return this.claimCheck(
      messageKey({ tenantId: facts.tenantId, messageId, receivedAt }),
      message,
      attempt,
      (stored) =>
        create(MailReceivedSchema, {
          ...facts,
          messageId,
          receivedAt: timestampFromDate(receivedAt),
          receivedBy: this.receivedBy,
          ...stored,
        }),
      (event) => Codecs.mailReceived.encode(event),
      (event) => this.publisher.publish(this.subjectPrefix + Subjects.mailReceived(facts.direction), event, messageId),
    );
  }

  /**
   * A feedback report (SPAM14), claim-checked like mail under `feedback/`, announced as FeedbackMail on
   * `mail.feedback`. The sidecar is what spam-filter's sweep learns from should the event be lost after the
   * 250 (NATS acknowledges before it syncs to disk).
   */
  async enqueueFeedback(
    reportId: string,
    receivedAt: Date,
    message: Readable,
    facts: FeedbackFacts,
    attempt: QueueAttempt = new QueueAttempt(),
  ): Promise<FeedbackMail> {
    return this.claimCheck(
      feedbackKey(facts.tenantId, reportId, receivedAt),
      message,
      attempt,
      (stored) => create(FeedbackMailSchema, { ...facts, reportId, receivedAt: timestampFromDate(receivedAt), ...stored }),
      (event) => Codecs.feedbackMail.encode(event),
      (event) => this.publisher.publishFeedback(this.subjectPrefix + Subjects.mailFeedback, event, reportId),
    );
  }

  /**
   * The raw message into the object store at `key`, the event `build` makes of it beside it (sidecar), then
   * `publish`; if any step fails, what was stored is deleted (the sidecar first) and QueueFailedError says where.
   */
  private async claimCheck<E>(
    key: string,
    message: Readable,
    attempt: QueueAttempt,
    build: (stored: { size: bigint; sha256: string; bucket: string; objectKey: string }) => E,
    encode: (event: E) => Uint8Array,
    publish: (event: E) => Promise<void>,
  ): Promise<E> {
    let stored: { size: number; sha256: string };
    try {
      stored = await this.store.put(key, message);
    } catch (cause) {
      // The store aborts a failed multipart upload itself; a single PUT that failed left nothing.
      throw new QueueFailedError('store', { cause });
    }
    const event = build({ size: BigInt(stored.size), sha256: stored.sha256, bucket: this.store.bucket, objectKey: key });
    try {
      await this.store.put(sidecarKey(key), Readable.from([Buffer.from(encode(event))]));
    } catch (cause) {
      await this.undo([key], cause);
      throw new QueueFailedError('sidecar', { cause });
    }
    await this.publishOrUndo([sidecarKey(key), key], attempt, () => publish(event));
    return event;
  }

  /** Publishes unless it is too late; if not published, deletes what was stored (`keys`, in that order). */
  private async publishOrUndo(keys: string[], attempt: QueueAttempt, publish: () => Promise<void>): Promise<void> {
    try {
      if (attempt.tooLateToPublish) throw new QueueFailedError('aborted');
      await publish();
    } catch (cause) {
      await this.undo(keys, cause);
      throw cause instanceof QueueFailedError ? cause : new QueueFailedError('publish', { cause });
    }
  }

  /** Deletes in order (the sidecar first: without it the object is inert); journals what could not be deleted. */
  private async undo(keys: string[], cause: unknown): Promise<void> {
    this.logger.warn({ keys, err: describeError(cause) }, 'queue: not queued, deleting what was stored');
    for (const key of keys) {
      try {
        await this.store.delete(key);
      } catch (error) {
        this.logger.warn({ key, err: describeError(error) }, 'queue: delete failed');
        await this.journal.record(key);
      }
    }
  }
}
