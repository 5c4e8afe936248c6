import { Inject, Injectable, Logger } from '@nestjs/common';
import { context, propagation } from '@opentelemetry/api';
import {
  Codecs,
  Direction,
  DsnReturn,
  NotifyCondition,
  timestampDate,
  type Envelope,
  type MailReceived,
  type MailSubmit,
} from '@torii/contracts';
import { PermanentError } from '@torii/errors';
import { sidecarKey } from '@torii/storage';
import type { Prisma } from '../../generated/prisma';
import { DELIVERY_CONFIG, type DeliveryConfig } from '../config/delivery.config';
import { DirectoryCache } from '../directory/directory.cache';
import { QUARANTINE_RESUBMISSIONS, ReleaseVerdictsRepository } from '../quarantine/release-verdicts.repository';
import { DeliveryRepository } from '../persistence/delivery.repository';
import { MessageObjects } from '../persistence/message-objects';
import { spamJoinPolicy } from '../spam/spam-headers.rules';
import {
  DEFAULT_JOIN_POLICY,
  joinPolicyFor,
  requiredVerdicts,
  type JoinPolicy,
  type VerdictFacts,
} from '../verdicts/verdict-join.rules';
import { DeliveryWorker } from './delivery.worker';

const NOTIFY: Record<NotifyCondition, string> = {
  [NotifyCondition.UNSPECIFIED]: '',
  [NotifyCondition.SUCCESS]: 'success',
  [NotifyCondition.FAILURE]: 'failure',
  [NotifyCondition.DELAY]: 'delay',
  [NotifyCondition.NEVER]: 'never',
};

const RET: Record<DsnReturn, string> = {
  [DsnReturn.UNSPECIFIED]: 'unspecified',
  [DsnReturn.FULL]: 'full',
  [DsnReturn.HDRS]: 'hdrs',
};

/** Turns events into rows: the message, its recipients and the verdicts it waits for. Idempotent. */
@Injectable()
export class IntakeService {
  private readonly logger = new Logger(IntakeService.name);
  private readonly basePolicy: JoinPolicy;

  constructor(
    private readonly repository: DeliveryRepository,
    private readonly directory: DirectoryCache,
    private readonly worker: DeliveryWorker,
    @Inject(DELIVERY_CONFIG) config: DeliveryConfig,
    private readonly releases: ReleaseVerdictsRepository,
    private readonly objects: MessageObjects,
  ) {
    this.basePolicy = {
      spam: { ...DEFAULT_JOIN_POLICY.spam, timeoutMs: config.VERDICT_TIMEOUT_SPAM },
      virus: { ...DEFAULT_JOIN_POLICY.virus, timeoutMs: config.VERDICT_TIMEOUT_VIRUS },
      audit: { ...DEFAULT_JOIN_POLICY.audit, timeoutMs: config.VERDICT_TIMEOUT_AUDIT },
    };
  }

  async acceptReceived(event: MailReceived): Promise<void> {
    // The edge writes the sidecar before it publishes, and deletes it first when its publish was not
    // acknowledged (it then answers 451 and the client sends again). An event whose sidecar is gone is
    // such a withdrawn copy: taking it in would deliver the message twice.
    if (event.objectKey && !(await this.objects.exists(sidecarKey(event.objectKey)))) {
      this.logger.warn(`message ${event.messageId}: withdrawn by the edge (no sidecar for ${event.objectKey}); ignored`);
      return;
    }
    const created = await this.accept({
      id: event.messageId,
      origin: 'received',
      tenantId: event.tenantId,
      domain: event.domain,
      direction: event.direction,
      envelope: event.envelope,
      bucket: event.bucket,
      objectKey: event.objectKey,
      sha256: event.sha256,
      size: event.size,
      receivedAt: event.receivedAt ? timestampDate(event.receivedAt) : new Date(),
      json: asJson(Codecs.mailReceived.encode(event)),
      bypass: [],
    });
    if (!created) this.logger.debug(`message ${event.messageId} already known`);
  }

  async acceptSubmit(event: MailSubmit): Promise<void> {
    await this.accept({
      id: event.submitId,
      origin: 'submit',
      tenantId: event.tenantId,
      domain: event.domain,
      direction: event.direction,
      envelope: event.envelope,
      bucket: event.bucket,
      objectKey: event.objectKey,
      sha256: event.sha256,
      size: event.size,
      receivedAt: event.submittedAt ? timestampDate(event.submittedAt) : new Date(),
      json: asJson(Codecs.mailSubmit.encode(event)),
      bypass: event.bypass,
    });
    // A quarantine release or forward is judged by the original's virus verdict (see src/quarantine/).
    if (QUARANTINE_RESUBMISSIONS.has(event.purpose) && event.relatedMessageId && !event.bypass.includes('virus')) {
      if ((await this.releases.inherit(event.submitId, event.relatedMessageId, ['virus'])) > 0) this.worker.nudge();
    }
  }

  async recordVerdict(messageId: string, facts: VerdictFacts): Promise<void> {
    await this.repository.recordVerdict(messageId, facts.kind, facts as unknown as Prisma.InputJsonValue);
    this.worker.nudge();
  }

  private async accept(m: {
    id: string;
    origin: 'received' | 'submit';
    tenantId: string;
    domain: string;
    direction: Direction;
    envelope: Envelope | undefined;
    bucket: string;
    objectKey: string;
    sha256: string;
    size: bigint;
    receivedAt: Date;
    json: Prisma.InputJsonValue;
    bypass: string[];
  }): Promise<boolean> {
    if (!m.id || !m.objectKey || !m.envelope || m.envelope.rcptTo.length === 0) {
      throw new PermanentError(`event ${m.id || '(no id)'} lacks an id, object key or recipients`);
    }
    if (m.direction !== Direction.INBOUND && m.direction !== Direction.OUTBOUND) {
      throw new PermanentError(`event ${m.id} has no direction`);
    }
    const direction = m.direction === Direction.INBOUND ? 'inbound' : 'outbound';
    const entry = await this.directory.lookup(m.domain);
    const services = entry?.services;
    const required = requiredVerdicts(
      direction,
      { spam: services?.spam?.subscribed ?? false, virus: services?.virus?.subscribed ?? false, archive: services?.archive?.subscribed ?? false },
      m.bypass,
    );
    const policy = spamJoinPolicy(joinPolicyFor(this.basePolicy, entry?.virusPolicy?.settings), entry?.spamPolicy?.settings);
    const created = await this.repository.insertMessage({
      id: m.id,
      origin: m.origin,
      tenantId: m.tenantId,
      domain: m.domain.toLowerCase(),
      direction,
      bucket: m.bucket,
      objectKey: m.objectKey,
      sha256: m.sha256,
      size: m.size,
      receivedAt: m.receivedAt,
      envelope: { mailFrom: m.envelope.mailFrom, ret: RET[m.envelope.ret] ?? 'unspecified', envid: m.envelope.envid },
      event: m.json,
      requiredVerdicts: required,
      verdictPolicy: policy as unknown as Prisma.InputJsonValue,
      traceParent: currentTraceParent(),
      recipients: m.envelope.rcptTo.map((r) => ({
        address: r.address,
        notify: r.notify.map((n) => NOTIFY[n]).filter(Boolean),
        orcpt: r.orcpt,
      })),
    });
    if (created) this.worker.nudge();
    return created;
  }
}

/** The traceparent of the active span (the consumer's, continuing the edge's trace), if it is a real one. */
function currentTraceParent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier['traceparent'];
}

/** The canonical protobuf JSON of an event, as a JSON column value. */
function asJson(bytes: Uint8Array): Prisma.InputJsonValue {
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as Prisma.InputJsonValue;
}
