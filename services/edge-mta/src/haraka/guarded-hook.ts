import { describeError } from '@torii/errors';
import { HookResult, type HarakaNext, type SmtpReply } from './haraka-types';
import { Replies } from './replies';

export type HookOutcome = { code: number; reply?: SmtpReply | string };

export const cont = (): HookOutcome => ({ code: HookResult.CONT });
export const ok = (reply?: SmtpReply): HookOutcome => ({ code: HookResult.OK, reply });
export const deny = (reply: SmtpReply): HookOutcome => ({ code: HookResult.DENY, reply });
export const denySoft = (reply: SmtpReply): HookOutcome => ({ code: HookResult.DENYSOFT, reply });

export interface GuardOptions {
  timeoutMs: number;
  log: (message: string) => void;
  /** Called when the timer answered first, so the work can be undone (e.g. a queued object deleted). */
  onTimeout?: () => void;
}

/**
 * Runs a hook body and calls Haraka's `next` exactly once: with its outcome, with 451 when it throws, or
 * with 451 when it takes longer than `timeoutMs` (before Haraka's own plugin timeout, which would answer
 * with a bare 4xx). An error never becomes a 5xx: not knowing is temporary.
 */
export function runGuarded(next: HarakaNext, body: () => Promise<HookOutcome>, options: GuardOptions): void {
  let answered = false;
  const answer = (outcome: HookOutcome) => {
    if (answered) return false;
    answered = true;
    clearTimeout(timer);
    next(outcome.code, outcome.reply);
    return true;
  };
  const timer = setTimeout(() => {
    if (answer(denySoft(Replies.hookTimeout()))) {
      options.log(`hook timed out after ${options.timeoutMs} ms`);
      options.onTimeout?.();
    }
  }, options.timeoutMs);
  body().then(
    (outcome) => answer(outcome),
    (error: unknown) => {
      options.log(`hook failed: ${describeError(error)}`);
      answer(denySoft(Replies.hookTimeout()));
    },
  );
}
