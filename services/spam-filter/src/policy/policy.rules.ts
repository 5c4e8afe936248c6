/**
 * Spam policy resolution (SPAM5–SPAM9), as pure functions: score + the recipient's domain and address
 * settings and lists → what happens to that recipient's copy, and why. No Nest, NATS or Prisma.
 *
 * The rules, in one place (README.md repeats them for administrators):
 * - Scopes are evaluated in priority order: "address rules first" (default) = address, then domain;
 *   "domain rules first" = domain, then address.
 * - Lists first, then the threshold. The first list entry that matches, scanning the scopes in priority
 *   order, decides. Within one scope the block list is checked before the allow list.
 * - SPAM9: per-address ALLOW lists apply only while the domain uses "address rules first". Per-address
 *   block lists always apply (after the domain's lists when the domain's rules come first).
 * - Allow entries on the From address or From domain count only when the From domain is authenticated
 *   (SPF or DKIM aligned with it, or DMARC pass): a forged partner address must not walk through.
 *   Allow entries on the Subject count always; block entries always count.
 * - Threshold and action: with "address rules first" an address's own settings override the domain's, field
 *   by field; with "domain rules first" the domain's settings apply and address overrides are inactive.
 * - "100%" is reached when the two-decimal score is 100.00; "90% or more" when it is ≥ 90.00.
 */

export type Threshold = '100' | '90';
export type SubjectTag = '[SPAM!!]' | '[MEIWAKU!!]';
export type ThresholdAction = 'tag' | 'quarantine' | 'deliver';
export type Priority = 'address-first' | 'domain-first';
export type ListKind = 'allow' | 'block';
export type ListField = 'from-address' | 'from-domain' | 'subject';
export type MatchMode = 'contains' | 'exact';
export type Scope = 'domain' | 'address';

export const THRESHOLDS: readonly Threshold[] = ['100', '90'];
export const SUBJECT_TAGS: readonly SubjectTag[] = ['[SPAM!!]', '[MEIWAKU!!]'];
export const THRESHOLD_ACTIONS: readonly ThresholdAction[] = ['tag', 'quarantine', 'deliver'];
export const PRIORITIES: readonly Priority[] = ['address-first', 'domain-first'];
export const LIST_KINDS: readonly ListKind[] = ['allow', 'block'];
export const LIST_FIELDS: readonly ListField[] = ['from-address', 'from-domain', 'subject'];
export const MATCH_MODES: readonly MatchMode[] = ['contains', 'exact'];

export interface DomainSettings {
  threshold: Threshold;
  action: ThresholdAction;
  tag: SubjectTag;
  priority: Priority;
}

/** An address's overrides; an unset field follows the domain. */
export interface AddressSettings {
  threshold?: Threshold;
  action?: ThresholdAction;
  tag?: SubjectTag;
}

export const DEFAULT_DOMAIN_SETTINGS: DomainSettings = { threshold: '90', action: 'tag', tag: '[SPAM!!]', priority: 'address-first' };

export interface ListEntry {
  id: string;
  list: ListKind;
  field: ListField;
  match: MatchMode;
  value: string;
}

/** What the message offers to the lists. */
export interface MessageFacts {
  /** The header From address (what the reader sees), lowercase; empty when absent or unparsable. */
  fromAddress: string;
  /** The decoded Subject (any charset), as a string. */
  subject: string;
  /** The From domain is authenticated: SPF or DKIM aligned with it, or DMARC pass. */
  fromAuthenticated: boolean;
}

export interface PolicyInput {
  /** Two-decimal score, 0..100. */
  scorePercent: number;
  message: MessageFacts;
  domain: { settings: DomainSettings; lists: readonly ListEntry[] };
  address: { settings: AddressSettings; lists: readonly ListEntry[] };
}

export type FinalAction = 'deliver' | 'tag' | 'quarantine' | 'delete';

export type Why =
  | { kind: 'list'; list: ListKind; scope: Scope; entry: ListEntry }
  | { kind: 'threshold'; scope: Scope; threshold: Threshold; reached: boolean; action: ThresholdAction };

export interface Resolution {
  action: FinalAction;
  /** Set when action is `tag`. */
  tag?: SubjectTag;
  /** The score reached the threshold that applies (counted as spam in reports, whatever the lists said). */
  spam: boolean;
  why: Why;
}

/** Case-insensitive for ASCII, NFKC-normalised (full-width letters, half-width kana), whitespace collapsed. */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[A-Z]/g, (c) => c.toLowerCase())
    .replace(/\s+/g, ' ')
    .trim();
}

export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1);
}

/** The value of the message that an entry's field looks at, normalised. */
function fieldValue(field: ListField, message: MessageFacts): string {
  switch (field) {
    case 'from-address':
      return normalizeText(message.fromAddress);
    case 'from-domain':
      return normalizeText(domainOf(message.fromAddress));
    case 'subject':
      return normalizeText(message.subject);
  }
}

export function entryMatches(entry: Pick<ListEntry, 'field' | 'match' | 'value'>, message: MessageFacts): boolean {
  const wanted = normalizeText(entry.value);
  const actual = fieldValue(entry.field, message);
  if (!wanted || !actual) return false;
  return entry.match === 'exact' ? actual === wanted : actual.includes(wanted);
}

/** Whether an entry may decide: allow entries on From need an authenticated From. */
function entryCounts(entry: ListEntry, message: MessageFacts): boolean {
  if (entry.list === 'allow' && entry.field !== 'subject') return message.fromAuthenticated;
  return true;
}

export function scopesInOrder(priority: Priority): Scope[] {
  return priority === 'address-first' ? ['address', 'domain'] : ['domain', 'address'];
}

function listDecision(input: PolicyInput): { list: ListKind; scope: Scope; entry: ListEntry } | undefined {
  const priority = input.domain.settings.priority;
  for (const scope of scopesInOrder(priority)) {
    const entries = scope === 'domain' ? input.domain.lists : input.address.lists;
    for (const list of ['block', 'allow'] as const) {
      // SPAM9: an address's allow list is inactive while the domain's rules come first.
      if (scope === 'address' && list === 'allow' && priority === 'domain-first') continue;
      const entry = entries.find((e) => e.list === list && entryCounts(e, input.message) && entryMatches(e, input.message));
      if (entry) return { list, scope, entry };
    }
  }
  return undefined;
}

/** The threshold, action and tag that apply, and which scope each comes from. */
export function effectiveSettings(domain: DomainSettings, address: AddressSettings): {
  threshold: Threshold;
  action: ThresholdAction;
  tag: SubjectTag;
  scope: Scope;
} {
  if (domain.priority === 'domain-first') return { threshold: domain.threshold, action: domain.action, tag: domain.tag, scope: 'domain' };
  const overridden = address.threshold !== undefined || address.action !== undefined || address.tag !== undefined;
  return {
    threshold: address.threshold ?? domain.threshold,
    action: address.action ?? domain.action,
    tag: address.tag ?? domain.tag,
    scope: overridden ? 'address' : 'domain',
  };
}

export function thresholdReached(scorePercent: number, threshold: Threshold): boolean {
  return threshold === '100' ? scorePercent >= 100 : scorePercent >= 90;
}

export function resolvePolicy(input: PolicyInput): Resolution {
  const settings = effectiveSettings(input.domain.settings, input.address.settings);
  const spam = thresholdReached(input.scorePercent, settings.threshold);
  const listed = listDecision(input);
  if (listed) {
    return { action: listed.list === 'block' ? 'delete' : 'deliver', spam, why: { kind: 'list', ...listed } };
  }
  const why: Why = { kind: 'threshold', scope: settings.scope, threshold: settings.threshold, reached: spam, action: settings.action };
  if (!spam) return { action: 'deliver', spam, why };
  switch (settings.action) {
    case 'tag':
      return { action: 'tag', tag: settings.tag, spam, why };
    case 'quarantine':
      return { action: 'quarantine', spam, why };
    case 'deliver':
      return { action: 'deliver', spam, why };
  }
}

/** `why` as one short line, for the verdict's reason, logs and headers. */
export function describeWhy(why: Why): string {
  switch (why.kind) {
    case 'list':
      return `${why.list}-list:${why.scope}:${why.entry.field} ${why.entry.match} "${why.entry.value}" (${why.entry.id})`;
    case 'threshold':
      return why.reached ? `threshold:${why.scope}:${why.threshold}%:${why.action}` : `below-threshold:${why.scope}:${why.threshold}%`;
  }
}
