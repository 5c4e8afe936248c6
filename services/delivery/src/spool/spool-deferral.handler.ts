import { DsnReturn, NotifyCondition, SpoolHandoffSchema, create, timestampFromDate, type SpoolHandoff } from '@torii/contracts';
import type { DeferralDecision, DeferralHandler, HandoffFacts } from '../delivery/deferral.handler';

const NOTIFY: Record<string, NotifyCondition> = {
  success: NotifyCondition.SUCCESS,
  failure: NotifyCondition.FAILURE,
  delay: NotifyCondition.DELAY,
  never: NotifyCondition.NEVER,
};
const RET: Record<string, DsnReturn> = { full: DsnReturn.FULL, hdrs: DsnReturn.HDRS };

/**
 * SEC: the spool owns deferred mail. The recipient is parked (due again only after `parkMs`, a safety net
 * should the spool be lost) and the deferred event carries a SpoolHandoff; the spool sends `delivery.retry`
 * when the recipient is due, or EXPIRE when it gives up.
 */
export class SpoolDeferralHandler implements DeferralHandler {
  constructor(private readonly parkMs: number) {}

  onTemporaryFailure(input: { attempt: number; firstFailedAt: Date; now: Date }): DeferralDecision {
    return { action: 'retry', at: new Date(input.now.getTime() + this.parkMs) };
  }

  handoff(facts: HandoffFacts): SpoolHandoff {
    const envelope = facts.envelope;
    return create(SpoolHandoffSchema, {
      domain: facts.domain,
      bucket: facts.bucket,
      objectKey: facts.objectKey,
      size: facts.size,
      envelope: {
        mailFrom: envelope.mailFrom ?? '',
        ret: RET[envelope.ret ?? ''] ?? DsnReturn.UNSPECIFIED,
        envid: envelope.envid ?? '',
        rcptTo: [{ address: facts.recipient.address, notify: facts.recipient.notify.flatMap((n) => NOTIFY[n] ?? []), orcpt: facts.recipient.orcpt }],
      },
      receivedAt: timestampFromDate(facts.receivedAt),
      firstFailedAt: timestampFromDate(facts.firstFailedAt),
    });
  }
}
