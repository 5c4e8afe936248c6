import { SpamAction } from './gen/torii/mail/v1/verdicts_pb';

/** A spam verdict's per-recipient action as the APIs and the delivery join name it (unset reads as deliver). */
export type SpamActionName = 'deliver' | 'tag' | 'quarantine' | 'delete' | 'bounce';

const SPAM_ACTION_NAMES: Record<SpamAction, SpamActionName> = {
  [SpamAction.UNSPECIFIED]: 'deliver',
  [SpamAction.DELIVER]: 'deliver',
  [SpamAction.TAG]: 'tag',
  [SpamAction.QUARANTINE]: 'quarantine',
  [SpamAction.DELETE]: 'delete',
  [SpamAction.BOUNCE]: 'bounce',
};

export function spamActionName(action: SpamAction): SpamActionName {
  return SPAM_ACTION_NAMES[action] ?? 'deliver';
}
