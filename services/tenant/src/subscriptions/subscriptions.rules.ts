import type { ServiceCode } from '../directory/directory.rules';

export type SubscriptionProblem = 'already-subscribed' | 'invalid-capacity-option' | 'invalid-end-date';
export type SubscriptionCheck = { ok: true } | { ok: false; code: SubscriptionProblem; detail: string };

interface Period {
  service: ServiceCode;
  startsOn: string;
  endsOn: string | null;
}

/** Extra capacity belongs to one service each (B3): quarantine to spam, archive to archive. */
export function checkCapacity(service: ServiceCode, quarantineExtraBlocks: number, archiveExtraBlocks: number): SubscriptionCheck {
  if (quarantineExtraBlocks > 0 && service !== 'spam') {
    return { ok: false, code: 'invalid-capacity-option', detail: 'quarantine capacity is an option of the spam service' };
  }
  if (archiveExtraBlocks > 0 && service !== 'archive') {
    return { ok: false, code: 'invalid-capacity-option', detail: 'archive capacity is an option of the archive service' };
  }
  return { ok: true };
}

/** A new subscription may not overlap one of the same service that is open or ends on/after its start. */
export function checkNewSubscription(existing: readonly Period[], wanted: Period): SubscriptionCheck {
  const clash = existing.find((s) => s.service === wanted.service && (s.endsOn === null || s.endsOn >= wanted.startsOn));
  if (clash) return { ok: false, code: 'already-subscribed', detail: `${wanted.service} is subscribed from ${clash.startsOn}${clash.endsOn ? ` to ${clash.endsOn}` : ''}` };
  return { ok: true };
}

/** Cancelling sets the last day; it cannot be before the first. */
export function checkEndDate(startsOn: string, endsOn: string | null): SubscriptionCheck {
  if (endsOn !== null && endsOn < startsOn) return { ok: false, code: 'invalid-end-date', detail: `the end ${endsOn} is before the start ${startsOn}` };
  return { ok: true };
}
