import { aligned, fromAuthenticated } from './authentication.rules';
import {
  DEFAULT_DOMAIN_SETTINGS,
  LIST_FIELDS,
  MATCH_MODES,
  PRIORITIES,
  THRESHOLD_ACTIONS,
  describeWhy,
  effectiveSettings,
  entryMatches,
  normalizeText,
  resolvePolicy,
  type ListEntry,
  type ListField,
  type ListKind,
  type MatchMode,
  type MessageFacts,
  type PolicyInput,
  type Priority,
  type Scope,
  type ThresholdAction,
} from './policy.rules';

const message: MessageFacts = { fromAddress: 'alice@partner.example.jp', subject: '【重要】 Quarterly ＲＥＰＯＲＴ のご案内', fromAuthenticated: true };

/** An entry value that matches `message` on `field` with `match`. */
const MATCHING: Record<ListField, Record<MatchMode, string>> = {
  'from-address': { exact: 'Alice@Partner.example.jp', contains: 'alice@' },
  'from-domain': { exact: 'partner.example.jp', contains: 'example.jp' },
  subject: { exact: '【重要】 quarterly report のご案内', contains: 'report' },
};

const input = (over: {
  score?: number;
  priority?: Priority;
  domainLists?: ListEntry[];
  addressLists?: ListEntry[];
  action?: ThresholdAction;
  addressAction?: ThresholdAction;
  message?: Partial<MessageFacts>;
}): PolicyInput => ({
  scorePercent: over.score ?? 99,
  message: { ...message, ...over.message },
  domain: { settings: { ...DEFAULT_DOMAIN_SETTINGS, priority: over.priority ?? 'address-first', action: over.action ?? 'tag' }, lists: over.domainLists ?? [] },
  address: { settings: over.addressAction ? { action: over.addressAction } : {}, lists: over.addressLists ?? [] },
});

const entry = (list: ListKind, field: ListField, match: MatchMode, value = MATCHING[field][match]): ListEntry => ({
  id: `${list}-${field}-${match}`,
  list,
  field,
  match,
  value,
});

describe('resolvePolicy: one list entry, every priority × scope × list × field × match × authentication × action', () => {
  const cases: [Priority, Scope, ListKind, ListField, MatchMode, boolean, ThresholdAction][] = [];
  for (const priority of PRIORITIES)
    for (const scope of ['domain', 'address'] as Scope[])
      for (const list of ['allow', 'block'] as ListKind[])
        for (const field of LIST_FIELDS)
          for (const match of MATCH_MODES)
            for (const authenticated of [true, false]) for (const action of THRESHOLD_ACTIONS) cases.push([priority, scope, list, field, match, authenticated, action]);

  /** What the threshold alone gives at score 99 with a 90% threshold. */
  const byThreshold: Record<ThresholdAction, string> = { tag: 'tag', quarantine: 'quarantine', deliver: 'deliver' };

  it.each(cases)('%s, %s %s list on %s (%s), authenticated=%s, action %s', (priority, scope, list, field, match, authenticated, action) => {
    const e = entry(list, field, match);
    const result = resolvePolicy(
      input({ priority, action, message: { fromAuthenticated: authenticated }, ...(scope === 'domain' ? { domainLists: [e] } : { addressLists: [e] }) }),
    );
    let listDecides: boolean;
    if (list === 'block') listDecides = true;
    else {
      const allowActive = scope === 'domain' || priority === 'address-first'; // SPAM9
      const authOk = field === 'subject' || authenticated;
      listDecides = allowActive && authOk;
    }
    if (listDecides) {
      expect(result.action).toBe(list === 'block' ? 'delete' : 'deliver');
      expect(result.why).toMatchObject({ kind: 'list', list, scope, entry: { id: e.id } });
    } else {
      expect(result.action).toBe(byThreshold[action]);
      expect(result.why).toMatchObject({ kind: 'threshold', reached: true, action });
    }
    expect(result.spam).toBe(true);
  });
});

describe('resolvePolicy: non-matching entries never decide', () => {
  it.each(LIST_FIELDS.flatMap((field) => MATCH_MODES.map((match) => [field, match] as const)))('%s %s', (field, match) => {
    const result = resolvePolicy(input({ score: 10, domainLists: [entry('block', field, match, 'nothing-like-this')] }));
    expect(result).toMatchObject({ action: 'deliver', spam: false, why: { kind: 'threshold', reached: false } });
  });
});

describe('resolvePolicy: conflicts between scopes follow the priority', () => {
  const allowAddr = entry('allow', 'from-address', 'exact');
  const blockDomain = entry('block', 'from-domain', 'contains');
  const blockAddr = entry('block', 'subject', 'contains');
  const allowDomain = entry('allow', 'from-domain', 'exact');
  it.each([
    ['address-first: address allow beats domain block', 'address-first', [blockDomain], [allowAddr], 'deliver', 'address'],
    ['domain-first: domain block beats address allow', 'domain-first', [blockDomain], [allowAddr], 'delete', 'domain'],
    ['address-first: address block beats domain allow', 'address-first', [allowDomain], [blockAddr], 'delete', 'address'],
    ['domain-first: domain allow beats address block', 'domain-first', [allowDomain], [blockAddr], 'deliver', 'domain'],
    ['domain-first: address block still applies', 'domain-first', [], [blockAddr], 'delete', 'address'],
    ['same scope: block before allow', 'address-first', [allowDomain, blockDomain], [], 'delete', 'domain'],
  ] as const)('%s', (_name, priority, domainLists, addressLists, action, scope) => {
    const result = resolvePolicy(input({ priority, domainLists: [...domainLists], addressLists: [...addressLists] }));
    expect(result.action).toBe(action);
    expect(result.why).toMatchObject({ kind: 'list', scope });
  });
});

describe('thresholds and which settings apply', () => {
  it.each([
    // score, domain threshold, address threshold, priority, reached, scope
    [100, '100', undefined, 'address-first', true, 'domain'],
    [99.99, '100', undefined, 'address-first', false, 'domain'],
    [90, '90', undefined, 'address-first', true, 'domain'],
    [89.99, '90', undefined, 'address-first', false, 'domain'],
    [95, '90', '100', 'address-first', false, 'address'],
    [95, '100', '90', 'address-first', true, 'address'],
    [95, '100', '90', 'domain-first', false, 'domain'],
    [95, '90', '100', 'domain-first', true, 'domain'],
  ] as const)('score %s, domain %s%%, address %s%%, %s → reached %s (%s)', (score, domainThreshold, addressThreshold, priority, reached, scope) => {
    const result = resolvePolicy({
      scorePercent: score,
      message,
      domain: { settings: { ...DEFAULT_DOMAIN_SETTINGS, threshold: domainThreshold, priority }, lists: [] },
      address: { settings: addressThreshold ? { threshold: addressThreshold } : {}, lists: [] },
    });
    expect(result.spam).toBe(reached);
    expect(result.action).toBe(reached ? 'tag' : 'deliver');
    expect(result.why).toMatchObject({ kind: 'threshold', scope });
  });

  it('address action and tag override the domain only with address rules first', () => {
    expect(effectiveSettings(DEFAULT_DOMAIN_SETTINGS, { action: 'quarantine', tag: '[MEIWAKU!!]' })).toMatchObject({ action: 'quarantine', tag: '[MEIWAKU!!]', scope: 'address' });
    expect(effectiveSettings({ ...DEFAULT_DOMAIN_SETTINGS, priority: 'domain-first' }, { action: 'quarantine' })).toMatchObject({ action: 'tag', scope: 'domain' });
    const tagged = resolvePolicy(input({ addressAction: 'tag', action: 'quarantine' }));
    expect(tagged).toMatchObject({ action: 'tag', tag: '[SPAM!!]' });
  });

  it('describes why in one line', () => {
    expect(describeWhy(resolvePolicy(input({})).why)).toBe('threshold:domain:90%:tag');
    expect(describeWhy(resolvePolicy(input({ score: 1 })).why)).toBe('below-threshold:domain:90%');
    expect(describeWhy(resolvePolicy(input({ domainLists: [entry('block', 'from-domain', 'exact')] })).why)).toBe(
      'block-list:domain:from-domain exact "partner.example.jp" (block-from-domain-exact)',
    );
  });
});

describe('matching text in any language', () => {
  it.each([
    ['full-width Latin folds to ASCII', 'subject', 'contains', 'QUARTERLY', true],
    ['Japanese contains', 'subject', 'contains', 'ご案内', true],
    ['Japanese exact needs the whole subject', 'subject', 'exact', 'ご案内', false],
    ['katakana (after NFKC) does not match hiragana', 'subject', 'contains', 'ｺﾞ案内', false],
    ['half-width katakana matches its full-width form', 'subject', 'contains', 'ｾｰﾙ', true],
    ['exact from address is case-insensitive', 'from-address', 'exact', 'ALICE@PARTNER.EXAMPLE.JP', true],
    ['exact from domain does not match a parent', 'from-domain', 'exact', 'example.jp', false],
    ['empty value never matches', 'subject', 'contains', '  ', false],
  ] as const)('%s', (_name, field, match, value, expected) => {
    const facts = { ...message, subject: message.subject + ' セール' };
    expect(entryMatches({ field, match, value }, facts)).toBe(expected);
  });

  it('normalises', () => {
    expect(normalizeText('  ＡＢＣ\tdef  ')).toBe('abc def');
  });
});

describe('From authentication', () => {
  it.each([
    ['dmarc pass', { dmarc: { result: 'pass' } }, 'partner.test', true],
    ['spf pass aligned (subdomain)', { spf: { result: 'pass', domain: 'bounce.partner.test' } }, 'partner.test', true],
    ['spf pass, other domain', { spf: { result: 'pass', domain: 'mailer.test' } }, 'partner.test', false],
    ['spf softfail', { spf: { result: 'softfail', domain: 'partner.test' } }, 'partner.test', false],
    ['dkim pass aligned', { dkim: [{ result: 'fail', domain: 'partner.test' }, { result: 'pass', domain: 'mail.partner.test' }] }, 'partner.test', true],
    ['dkim pass, other domain', { dkim: [{ result: 'pass', domain: 'esp.test' }] }, 'partner.test', false],
    ['co.jp organisational domain', { spf: { result: 'pass', domain: 'a.example.co.jp' } }, 'b.example.co.jp', true],
    ['no From', { dmarc: { result: 'pass' } }, '', false],
  ] as const)('%s', (_name, auth, fromDomain, expected) => {
    expect(fromAuthenticated(auth, fromDomain)).toBe(expected);
  });

  it('does not align different co.jp organisations', () => {
    expect(aligned('x.co.jp', 'y.co.jp')).toBe(false);
  });
});
