import { Inject, Injectable, Logger } from '@nestjs/common';
import { canAccessTenant, type Principal } from '@torii/auth';
import { ProblemException } from '@torii/http';
import { DeliveryRepository } from '../persistence/delivery.repository';
import { DeliveryWorker } from '../delivery/delivery.worker';
import { DEFERRAL_HANDLER, type DeferralHandler } from '../delivery/deferral.handler';
import { DirectoryCache } from '../directory/directory.cache';
import { recipientOutcomes } from '../delivery/delivery.metrics';
import { recipientStatusEvent } from '../delivery/status-events';
import { OutboxRelay } from '../messaging/outbox.relay';

type Found = NonNullable<Awaited<ReturnType<DeliveryRepository['findMessage']>>>;

/** Message status for the API; a message of another tenant is "not found" (nothing leaks). */
@Injectable()
export class MessagesService {
  private readonly logger = new Logger(MessagesService.name);
  /** Who tries a deferred recipient again: with DEFERRAL_MODE=spool, the spool does, on its own schedule. */
  private readonly retriedBy: RetriedBy;

  constructor(
    private readonly repository: DeliveryRepository,
    private readonly worker: DeliveryWorker,
    private readonly outbox: OutboxRelay,
    private readonly directory: DirectoryCache,
    @Inject(DEFERRAL_HANDLER) deferral: DeferralHandler,
  ) {
    this.retriedBy = deferral.handoff ? 'spool' : 'delivery';
  }

  async status(principal: Principal, tenantId: string, messageId: string) {
    const message = await this.repository.findMessage(messageId);
    if (!message || message.tenantId !== tenantId || !canAccessTenant(principal, tenantId)) throw notFound(messageId);
    return present(message, this.retriedBy);
  }

  async recent(principal: Principal, tenantId: string, domain: string, limit: number) {
    if (!canAccessTenant(principal, tenantId)) throw new ProblemException({ status: 404, title: 'Not Found', detail: 'no such tenant' });
    const rows = await this.repository.recentMessages({ tenantId, domain: domain.toLowerCase() }, Math.min(Math.max(limit, 1), 200));
    // No messages: say whether that is an empty domain of the tenant's or a domain that is not theirs.
    if (rows.length === 0 && (await this.directory.lookup(domain))?.tenantId !== tenantId) {
      throw new ProblemException({ status: 404, title: 'Not Found', detail: `no domain ${domain.slice(0, 253)}` });
    }
    return rows.map((m) => present({ ...m, attempts: [] }, this.retriedBy));
  }

  /** Who released, deleted or retried the domain's mail by hand, newest first (404 for a domain not the tenant's). */
  async audit(principal: Principal, tenantId: string, domain: string, page: { limit: number; before?: bigint }) {
    const name = domain.toLowerCase();
    if (!canAccessTenant(principal, tenantId) || (await this.directory.lookup(name))?.tenantId !== tenantId) {
      throw new ProblemException({ status: 404, title: 'Not Found', detail: `no domain ${domain.slice(0, 253)}` });
    }
    const rows = await this.repository.auditLog(tenantId, { ...page, domain: name });
    return rows.map((r) => ({ id: String(r.id), at: r.at.toISOString(), actor: r.actor, actorRole: r.actorRole, action: r.action, target: r.target, details: r.details }));
  }

  /** Held recipients go back to the verdict join, released: 409 when none is held. */
  async release(principal: Principal, tenantId: string, messageId: string) {
    await this.status(principal, tenantId, messageId);
    const count = await this.repository.releaseHeld(messageId, actorOf(principal));
    if (count === 0) throw nothingHeld(messageId);
    this.logger.log(`message ${messageId}: ${count} held recipient(s) released by ${principal.role} ${principal.subject}`);
    this.worker.nudge();
    return { messageId, recipientsReleased: count };
  }

  /** Held recipients are dropped (no delivery, no DSN): 409 when none is held. */
  async dropHeld(principal: Principal, tenantId: string, messageId: string) {
    const message = await this.status(principal, tenantId, messageId);
    const now = new Date();
    const count = await this.repository.dropHeld(messageId, DELETED_REASON, (held) =>
      held.flatMap((r) => {
        const event = recipientStatusEvent({ id: messageId, tenantId, direction: message.direction as 'inbound' | 'outbound' }, r, { state: 'dropped', reason: DELETED_REASON }, now);
        return event ? [event] : [];
      }),
      actorOf(principal),
    );
    if (count === 0) throw nothingHeld(messageId);
    recipientOutcomes.inc({ direction: message.direction, state: 'dropped' }, count);
    this.logger.log(`message ${messageId}: ${count} held recipient(s) deleted by ${principal.role} ${principal.subject}`);
    this.outbox.nudge();
    return { messageId, recipientsDropped: count };
  }

  /** Operator: deferred recipients are tried now instead of at their next scheduled time. */
  async retryNow(principal: Principal, messageId: string) {
    const message = await this.repository.findMessage(messageId);
    if (!message) throw notFound(messageId);
    const count = await this.repository.retryNow(messageId, actorOf(principal));
    this.worker.nudge();
    return { messageId, recipientsRescheduled: count };
  }
}

const DELETED_REASON = 'deleted-by-admin';

const actorOf = (principal: Principal) => ({ actor: principal.subject, actorRole: principal.role });

function nothingHeld(messageId: string): ProblemException {
  return new ProblemException({ status: 409, code: 'nothing-held', detail: `message ${messageId} has no held recipient` });
}

function notFound(messageId: string): ProblemException {
  return new ProblemException({ status: 404, title: 'Not Found', detail: `no message ${messageId}` });
}

type RetriedBy = 'delivery' | 'spool';

/**
 * A deferred recipient says who retries it. When the spool does, delivery's own `nextAttemptAt` is only the
 * safety-net park (SPOOL_PARK, days away), not the next try: it is shown as null, and the spool's status
 * (`GET …/domains/{domain}/spool`) has the real one.
 */
function present(m: Found, retriedBy: RetriedBy) {
  return {
    id: m.id,
    tenantId: m.tenantId,
    domain: m.domain,
    direction: m.direction,
    origin: m.origin,
    size: Number(m.size),
    receivedAt: m.receivedAt.toISOString(),
    requiredVerdicts: m.requiredVerdicts,
    recipients: m.recipients.map((r) => ({
      address: r.address,
      state: r.state,
      reason: r.reason,
      attempts: r.attempts,
      nextAttemptAt: r.state === 'deferred' && retriedBy === 'spool' ? null : (r.nextAttemptAt?.toISOString() ?? null),
      retriedBy: r.state === 'deferred' ? retriedBy : null,
      lastReply: r.lastCode === null ? null : { code: r.lastCode, enhanced: r.lastEnhanced, text: r.lastText, host: r.remoteHost },
    })),
    attempts: m.attempts.map((a) => ({
      host: a.host,
      ip: a.ip,
      recipients: a.recipients,
      startedAt: a.startedAt.toISOString(),
      endedAt: a.endedAt?.toISOString() ?? null,
      outcome: a.outcome,
    })),
  };
}
