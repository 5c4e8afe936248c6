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
 * - Allow entries on the From address or From domain count only when the message has one From address and
 *   its domain is authenticated (SPF or DKIM aligned with it, or DMARC pass): a forged partner address must
 *   not walk through. An allow entry that matched but did not count is named in the reason (`skipped`).
 *   Allow entries on the Subject count always; block entries always count, and match when ANY From matches.
 * - Matching (list-values.rules.ts gives the one form both sides are compared in): `exact` is equality.
 *   `contains` differs by list, because a loose allow entry lets spam in and a loose block entry only
 *   over-blocks: on the ALLOW list it is label-aligned (from-domain: the domain or a subdomain of it;
 *   from-address: the address ends with the value, so the part after its @ is the whole domain); on the
 *   BLOCK list it is a substring, as for the Subject.
 * - Threshold and action: with "address rules first" an address's own settings override the domain's, field
 *   by field; with "domain rules first" the domain's settings apply and address overrides are inactive.
 * - "100%" is reached when the two-decimal score is 100.00; "90% or more" when it is ≥ 90.00.
 */

import { canonicalAddress, canonicalDomain, domainOf, normalizeText } from './list-values.rules';

export { domainOf, normalizeText } from './list-values.rules';

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
  /** Every address of the header From field(s) (what the reader sees): RFC 5322 allows a list. None when absent or unparsable. */
  fromAddresses: readonly string[];
  /** The decoded Subject (any charset), as a string. */
  subject: string;
  /** There is one From address and its domain is authenticated: SPF or DKIM aligned with it, or DMARC pass. */
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

/** Why an allow entry that matched did not count. */
export type SkipCause = 'from-not-authenticated' | 'several-from-addresses' | 'domain-rules-first';

/** An allow entry that matched but did not count, seen before the entry or threshold that decided. */
export interface SkippedEntry {
  scope: Scope;
  entry: ListEntry;
  because: SkipCause;
}

export interface Resolution {
  action: FinalAction;
  /** Set when action is `tag`. */
  tag?: SubjectTag;
  /** The score reached the threshold that applies (counted as spam in reports, whatever the lists said). */
  spam: boolean;
  why: Why;
  /** Set when an allow entry on From matched but did not count. */
  skipped?: readonly SkippedEntry[];
}

// List forms are computed once per message and per entry (a message's recipients share the domain's lists):
// IDN mapping on every comparison costs milliseconds per recipient with full lists.
const messageForms = new WeakMap<MessageFacts, Record<ListField, string[]>>();
const entryForms = new WeakMap<object, string>();

/** The values of the message that an entry's field looks at, in their list form: any of them may match. */
function fieldValues(field: ListField, message: MessageFacts): string[] {
  let forms = messageForms.get(message);
  if (!forms) {
    forms = {
      'from-address': message.fromAddresses.map(canonicalAddress),
      'from-domain': message.fromAddresses.map((a) => canonicalDomain(domainOf(a))),
      subject: [normalizeText(message.subject)],
    };
    messageForms.set(message, forms);
  }
  return forms[field];
}

/** The entry's value in its list form. */
function entryValue(entry: Pick<ListEntry, 'field' | 'value'>): string {
  let form = entryForms.get(entry);
  if (form === undefined) {
    form = entry.field === 'from-address' ? canonicalAddress(entry.value) : entry.field === 'from-domain' ? canonicalDomain(entry.value) : normalizeText(entry.value);
    entryForms.set(entry, form);
  }
  return form;
}

function valueMatches(entry: Pick<ListEntry, 'list' | 'field' | 'match'>, wanted: string, actual: string): boolean {
  if (!actual) return false;
  // `@partner.example`: any local part at exactly that domain.
  const atDomain = entry.field === 'from-address' && wanted.startsWith('@');
  if (entry.match === 'exact') return atDomain ? actual.endsWith(wanted) : actual === wanted;
  if (entry.list === 'block' || entry.field === 'subject') return actual.includes(wanted);
  // An allow entry's `contains` is label-aligned. A leading dot (refused since entries are validated; one may
  // be stored from before) keeps its meaning: subdomains only.
  const subdomain = wanted.startsWith('.') ? wanted : `.${wanted}`;
  switch (entry.field) {
    case 'from-domain':
      return actual === wanted || actual.endsWith(subdomain);
    case 'from-address':
      // The address ends with the value, so the part after the address's @ is the whole domain named. A value
      // without @ (refused since entries are validated) is read as a domain: that domain or a subdomain.
      return wanted.includes('@') ? actual.endsWith(wanted) : actual.endsWith(`@${wanted}`) || actual.endsWith(subdomain);
  }
}

export function entryMatches(entry: Pick<ListEntry, 'list' | 'field' | 'match' | 'value'>, message: MessageFacts): boolean {
  const wanted = entryValue(entry);
  if (!wanted) return false;
  return fieldValues(entry.field, message).some((actual) => valueMatches(entry, wanted, actual));
}

/** Why a matching entry may not decide: allow entries on From need one From address, authenticated. */
function skipCause(entry: ListEntry, message: MessageFacts): SkipCause | undefined {
  if (entry.list !== 'allow' || entry.field === 'subject') return undefined;
  if (message.fromAddresses.length > 1) return 'several-from-addresses';
  return message.fromAuthenticated ? undefined : 'from-not-authenticated';
}

export function scopesInOrder(priority: Priority): Scope[] {
  return priority === 'address-first' ? ['address', 'domain'] : ['domain', 'address'];
}

function listDecision(input: PolicyInput): { decided?: { list: ListKind; scope: Scope; entry: ListEntry }; skipped: SkippedEntry[] } {
  const priority = input.domain.settings.priority;
  const skipped: SkippedEntry[] = [];
  for (const scope of scopesInOrder(priority)) {
    const entries = scope === 'domain' ? input.domain.lists : input.address.lists;
    for (const list of ['block', 'allow'] as const) {
      // SPAM9: an address's allow list is inactive while the domain's rules come first; an entry that matched
      // is named as skipped, so nobody wonders why it did not deliver.
      const inactive = scope === 'address' && list === 'allow' && priority === 'domain-first';
      for (const entry of entries) {
        if (entry.list !== list || !entryMatches(entry, input.message)) continue;
        const because = inactive ? 'domain-rules-first' : skipCause(entry, input.message);
        if (!because) return { decided: { list, scope, entry }, skipped };
        skipped.push({ scope, entry, because });
      }
    }
  }
  return { skipped };
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
  const { decided, skipped } = listDecision(input);
  const noted = skipped.length > 0 ? { skipped } : {};
  if (decided) {
    return { action: decided.list === 'block' ? 'delete' : 'deliver', spam, why: { kind: 'list', ...decided }, ...noted };
  }
  const why: Why = { kind: 'threshold', scope: settings.scope, threshold: settings.threshold, reached: spam, action: settings.action };
  if (!spam) return { action: 'deliver', spam, why, ...noted };
  switch (settings.action) {
    case 'tag':
      return { action: 'tag', tag: settings.tag, spam, why, ...noted };
    case 'quarantine':
      return { action: 'quarantine', spam, why, ...noted };
    case 'deliver':
      return { action: 'deliver', spam, why, ...noted };
  }
}

const describeEntry = (list: ListKind, scope: Scope, entry: ListEntry): string => `${list}-list:${scope}:${entry.field} ${entry.match} "${entry.value}" (${entry.id})`;

/** `why` as one short line, for the verdict's reason, logs and headers. */
export function describeWhy(why: Why): string {
  switch (why.kind) {
    case 'list':
      return describeEntry(why.list, why.scope, why.entry);
    case 'threshold':
      return why.reached ? `threshold:${why.scope}:${why.threshold}%:${why.action}` : `below-threshold:${why.scope}:${why.threshold}%`;
  }
}

const SKIP_CAUSE: Record<SkipCause, string> = {
  'from-not-authenticated': 'From not authenticated',
  'several-from-addresses': 'several From addresses',
  'domain-rules-first': "inactive while the domain's rules come first",
};

/** How many skipped entries a reason names; the rest are counted. */
const SKIPPED_NAMED = 3;

/**
 * The verdict's reason: `why`, then the allow entries that matched but did not count, after `; ` (delivery
 * and readers key on the start: `threshold:…`, `block-list:…`), e.g. `threshold:domain:90%:quarantine;
 * allow-list:domain:from-domain contains "partner.example" (…) skipped: From not authenticated`.
 */
export function describeResolution(resolution: Pick<Resolution, 'why' | 'skipped'>): string {
  const skipped = resolution.skipped ?? [];
  const notes = skipped.slice(0, SKIPPED_NAMED).map((s) => `${describeEntry('allow', s.scope, s.entry)} skipped: ${SKIP_CAUSE[s.because]}`);
  if (skipped.length > SKIPPED_NAMED) notes.push(`${skipped.length - SKIPPED_NAMED} more allow entries skipped`);
  return [describeWhy(resolution.why), ...notes].join('; ');
}
