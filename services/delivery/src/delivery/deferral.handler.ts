import type { SpoolHandoff } from '@torii/contracts';
import { nextRetry, type RetrySchedule } from '../retry/retry-schedule.rules';

export type DeferralDecision = { action: 'retry'; at: Date } | { action: 'give-up' };

/**
 * The hand-off point for temporary failures. Today delivery retries locally on its own schedule; when the
 * secondary spool service (SEC) takes deferred mail over, an implementation that publishes
 * `delivery.deferred` and lets spool send `delivery.retry` replaces this one, without touching the rest.
 */
export interface DeferralHandler {
  onTemporaryFailure(input: { attempt: number; firstFailedAt: Date; now: Date }): DeferralDecision;
  /** When set, the deferred event carries what the spool needs to own the recipient (src/spool/). */
  handoff?(facts: HandoffFacts): SpoolHandoff;
}

/** The message and recipient facts a hand-off to the spool is made of. */
export interface HandoffFacts {
  domain: string;
  bucket: string;
  objectKey: string;
  size: bigint;
  envelope: { mailFrom?: string; ret?: string; envid?: string };
  receivedAt: Date;
  firstFailedAt: Date;
  recipient: { address: string; notify: string[]; orcpt: string };
}

export const DEFERRAL_HANDLER = Symbol('DEFERRAL_HANDLER');

export class LocalRetryDeferralHandler implements DeferralHandler {
  constructor(
    private readonly schedule: RetrySchedule,
    private readonly random: () => number = Math.random,
  ) {}

  onTemporaryFailure(input: { attempt: number; firstFailedAt: Date; now: Date }): DeferralDecision {
    const decision = nextRetry(this.schedule, input.attempt, input.firstFailedAt.getTime(), input.now.getTime(), this.random());
    return decision.action === 'retry' ? { action: 'retry', at: new Date(decision.at) } : decision;
  }
}
