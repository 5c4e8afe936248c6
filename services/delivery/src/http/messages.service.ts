import { Injectable } from '@nestjs/common';
import { canAccessTenant, type Principal } from '@torii/auth';
import { ProblemException } from '@torii/http';
import { DeliveryRepository } from '../persistence/delivery.repository';
import { DeliveryWorker } from '../delivery/delivery.worker';

type Found = NonNullable<Awaited<ReturnType<DeliveryRepository['findMessage']>>>;

/** Message status for the API; a message of another tenant is "not found" (nothing leaks). */
@Injectable()
export class MessagesService {
  constructor(
    private readonly repository: DeliveryRepository,
    private readonly worker: DeliveryWorker,
  ) {}

  async status(principal: Principal, tenantId: string, messageId: string) {
    const message = await this.repository.findMessage(messageId);
    if (!message || message.tenantId !== tenantId || !canAccessTenant(principal, tenantId)) throw notFound(messageId);
    return present(message);
  }

  async recent(principal: Principal, tenantId: string, domain: string, limit: number) {
    if (!canAccessTenant(principal, tenantId)) throw new ProblemException({ status: 404, title: 'Not Found', detail: 'no such tenant' });
    const rows = await this.repository.recentMessages({ tenantId, domain: domain.toLowerCase() }, Math.min(Math.max(limit, 1), 200));
    return rows.map((m) => present({ ...m, attempts: [] }));
  }

  /** Operator: deferred recipients are tried now instead of at their next scheduled time. */
  async retryNow(messageId: string) {
    const message = await this.repository.findMessage(messageId);
    if (!message) throw notFound(messageId);
    const count = await this.repository.retryNow(messageId);
    this.worker.nudge();
    return { messageId, recipientsRescheduled: count };
  }
}

function notFound(messageId: string): ProblemException {
  return new ProblemException({ status: 404, title: 'Not Found', detail: `no message ${messageId}` });
}

function present(m: Found) {
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
      nextAttemptAt: r.nextAttemptAt?.toISOString() ?? null,
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
