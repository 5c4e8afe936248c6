import { Injectable } from '@nestjs/common';
import { Codecs, type MailReceived, type MailSubmit } from '@torii/contracts';
import { DeliveryDb } from '../persistence/delivery-db';

/**
 * MailSubmit purposes of a quarantined message sent on by spam-filter (SPAM10): released to its
 * mailbox, or forwarded to another address. Both carry the original's bytes.
 */
export const QUARANTINE_RESUBMISSIONS: ReadonlySet<string> = new Set(['quarantine-release', 'quarantine-forward']);

/**
 * A quarantine release or forward is the original message's bytes submitted again with `bypass: ['spam', 'audit']`.
 * Virus checking is not bypassed, but virus-scan reads `mail.received.*` only: the original's virus
 * verdict (judged on the same bytes, so its part findings still apply) becomes the release's verdict.
 * Without one (never scanned, or timed out) the join waits and then applies the domain's virus policy.
 */
@Injectable()
export class ReleaseVerdictsRepository {
  constructor(private readonly db: DeliveryDb) {}

  /** Copies the related message's verdicts of `kinds`; returns how many were copied. */
  async inherit(submitId: string, relatedMessageId: string, kinds: readonly string[]): Promise<number> {
    if (kinds.length === 0) return 0;
    return this.db.$transaction(async (tx) => {
      const verdicts = await tx.verdict.findMany({ where: { messageId: relatedMessageId, kind: { in: [...kinds] } } });
      if (verdicts.length === 0) return 0;
      const created = await tx.verdict.createMany({
        data: verdicts.map((v) => ({ messageId: submitId, kind: v.kind, payload: v.payload as object })),
        skipDuplicates: true,
      });
      await tx.message.updateMany({ where: { id: submitId, evaluateAt: { not: null } }, data: { evaluateAt: new Date() } });
      return created.count;
    });
  }

  /**
   * The original's arrival as the edge reported it (its MailReceived, kept whole on its delivery row), for a
   * quarantine release: delivery stamps the release with the first pass's Authentication-Results from it
   * (MessageContent). Only a message of the same tenant that delivery received itself counts. Undefined when
   * there is no such row (delivery keeps its rows; a restored or foreign database may lack it).
   */
  async originalArrival(submit: Pick<MailSubmit, 'purpose' | 'relatedMessageId' | 'tenantId'>): Promise<MailReceived | undefined> {
    if (submit.purpose !== 'quarantine-release' || !submit.relatedMessageId) return undefined;
    const row = await this.db.message.findFirst({
      where: { id: submit.relatedMessageId, tenantId: submit.tenantId, origin: 'received' },
      select: { event: true },
    });
    return row ? Codecs.mailReceived.decode(Buffer.from(JSON.stringify(row.event))) : undefined;
  }
}
