import { aligned, fromAuthenticated } from './authentication.rules';
import { canonicalAddress, canonicalDomain, entryValueProblem } from './list-values.rules';
import { ListEntryCreateSchema } from './policy.dto';
import {
  DEFAULT_DOMAIN_SETTINGS,
  LIST_FIELDS,
  MATCH_MODES,
  PRIORITIES,
  THRESHOLD_ACTIONS,
  describeResolution,
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

const message: MessageFacts = { fromAddresses: ['alice@partner.example.jp'], subject: '【重要】 Quarterly ＲＥＰＯＲＴ のご案内', fromAuthenticated: true };

/** An entry value that matches `message` on `field` with `match`. */
const MATCHING: Record<ListField, Record<MatchMode, string>> = {
  'from-address': { exact: 'Alice@Partner.example.jp', contains: '@partner.example.jp' },
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
    expect(entryMatches({ list: 'block', field, match, value }, facts)).toBe(expected);
  });

  it('normalises', () => {
    expect(normalizeText('  ＡＢＣ\tdef  ')).toBe('abc def');
  });

  it.each([
    ['Cyrillic', 'ВЫИГРЫШ', 'выигрыш'],
    ['Greek', 'ΔΩΡΕΑΝ', 'δωρεαν'],
    ['accented Latin', 'ÉTÉ', 'été'],
    ['German', 'GRÖSSE ÄNDERN', 'grösse ändern'],
    ['a zero-width space inside a word', 'v\u200biagra', 'viagra'],
    ['a soft hyphen inside a word', 'via\u00adgra', 'viagra'],
  ])('folds case in every script, and drops invisible format characters: %s', (_name, entry, subject) => {
    expect(entryMatches({ list: 'block', field: 'subject', match: 'contains', value: entry }, { ...message, subject: `Re: ${subject}!` })).toBe(true);
    expect(entryMatches({ list: 'block', field: 'subject', match: 'contains', value: subject }, { ...message, subject: `Re: ${entry}!` })).toBe(true);
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
    ['dmarc pass for the From domain the edge read', { dmarc: { result: 'pass', domain: 'partner.test' } }, 'partner.test', true],
    ['dmarc pass for another From domain than ours', { dmarc: { result: 'pass', domain: 'evil.test' } }, 'partner.test', false],
    ['IDN: SPF names the A-label, From the U-label', { spf: { result: 'pass', domain: 'xn--r8jz45g.jp' } }, '例え.jp', true],
    // The Public Suffix List decides the organisation: tokyo.jp and github.io are suffixes anyone registers under.
    ['spf pass for another tokyo.jp organisation', { spf: { result: 'pass', domain: 'attacker.tokyo.jp' } }, 'partner.tokyo.jp', false],
    ['dkim pass for another github.io organisation', { dkim: [{ result: 'pass', domain: 'evil.github.io' }] }, 'partner.github.io', false],
    ['spf pass for a subdomain of a co.jp organisation', { spf: { result: 'pass', domain: 'mail.partner.co.jp' } }, 'partner.co.jp', true],
    ['spf pass for an IP literal never aligns with another name', { spf: { result: 'pass', domain: '192.0.2.1' } }, '192.0.2.2', false],
    // DMARC fail for our From is final; for another From domain it says nothing about ours.
    ['spf pass aligned, but DMARC fail for our From', { spf: { result: 'pass', domain: 'partner.test' }, dmarc: { result: 'fail', domain: 'partner.test' } }, 'partner.test', false],
    ['dkim pass aligned, but DMARC fail (record without its domain)', { dkim: [{ result: 'pass', domain: 'partner.test' }], dmarc: { result: 'fail' } }, 'partner.test', false],
    ['spf pass aligned, DMARC fail for another From domain', { spf: { result: 'pass', domain: 'partner.test' }, dmarc: { result: 'fail', domain: 'evil.test' } }, 'partner.test', true],
    ['spf pass aligned, DMARC none', { spf: { result: 'pass', domain: 'partner.test' }, dmarc: { result: 'none', domain: 'partner.test' } }, 'partner.test', true],
  ] as const)('%s', (_name, auth, fromDomain, expected) => {
    expect(fromAuthenticated(auth, fromDomain)).toBe(expected);
  });

  it('does not align different co.jp organisations', () => {
    expect(aligned('x.co.jp', 'y.co.jp')).toBe(false);
  });
});

/** Facts with these From addresses, authenticated unless said otherwise. */
const from = (addresses: string[], authenticated = true): MessageFacts => ({ fromAddresses: addresses, subject: 'hello', fromAuthenticated: authenticated });

describe('allow entries on From are label-aligned; block entries match a substring', () => {
  it.each([
    // list, field, match, value, From address, matches
    ['allow', 'from-domain', 'contains', 'partner.example', 'sales@partner.example', true],
    ['allow', 'from-domain', 'contains', 'partner.example', 'news@mail.partner.example', true],
    ['allow', 'from-domain', 'contains', 'partner.example', 'sales@evilpartner.example', false],
    ['allow', 'from-domain', 'contains', 'partner.example', 'x@partner.example.spam-host.example', false],
    ['allow', 'from-domain', 'contains', 'Partner.Example.', 'sales@PARTNER.example', true],
    ['allow', 'from-domain', 'exact', 'partner.example', 'sales@partner.example', true],
    ['allow', 'from-domain', 'exact', 'partner.example', 'news@mail.partner.example', false],
    ['allow', 'from-domain', 'contains', '.partner.example', 'news@mail.partner.example', true], // stored before validation: subdomains only
    ['allow', 'from-domain', 'contains', '.partner.example', 'sales@partner.example', false],
    ['allow', 'from-address', 'contains', '@partner.example', 'a@partner.example', true],
    ['allow', 'from-address', 'contains', '@partner.example', 'a@mx.partner.example', false],
    ['allow', 'from-address', 'contains', '@partner.example', 'a@partner.example.evil.example', false],
    ['allow', 'from-address', 'contains', 'ceo@partner.example', 'ceo@partner.example', true],
    ['allow', 'from-address', 'contains', 'ceo@partner.example', 'ceo@partner.example.evil.example', false],
    ['allow', 'from-address', 'exact', '@partner.example', 'a@partner.example', true],
    ['allow', 'from-address', 'exact', 'ceo@partner.example', 'ceo@partner.example.evil.example', false],
    ['allow', 'from-address', 'contains', 'partner.example', 'a@mx.partner.example', true], // stored before validation: read as a domain
    ['allow', 'from-address', 'contains', 'partner.example', 'a@evilpartner.example', false],
    ['block', 'from-domain', 'contains', 'partner.example', 'sales@evilpartner.example', true],
    ['block', 'from-domain', 'contains', 'casino', 'win@casino-royal.example', true],
    ['block', 'from-address', 'contains', '@partner.example', 'a@partner.example.evil.example', true],
    ['block', 'from-address', 'contains', '@partner.example', 'a@mx.partner.example', false],
    ['block', 'from-address', 'exact', 'spam@evil.example', 'spam@evil.example.other', false],
  ] as const)('%s %s %s "%s" vs %s → %s', (list, field, match, value, address, expected) => {
    expect(entryMatches({ list, field, match, value }, from([address]))).toBe(expected);
  });
});

describe('From addresses in any form: quoted local parts, IDN, several addresses', () => {
  it.each([
    ['a quoted local part that needs no quotes', 'from-address', 'exact', 'spam@evil.example', '"spam"@evil.example', true],
    ['the entry quoted, the address not', 'from-address', 'exact', '"spam"@evil.example', 'spam@evil.example', true],
    ['quoted-pairs that need no quotes', 'from-address', 'exact', 'spam@evil.example', '"sp\\am"@evil.example', true],
    ['a quoted local part that needs them stays quoted', 'from-address', 'exact', 'a b@evil.example', '"a b"@evil.example', false],
    ['IDN entry, A-label From', 'from-domain', 'exact', '例え.jp', 'a@xn--r8jz45g.jp', true],
    ['A-label entry, IDN From', 'from-domain', 'exact', 'XN--R8JZ45G.jp', 'a@例え.jp', true],
    ['IDN address entry, A-label From', 'from-address', 'exact', 'a@例え.jp', 'a@xn--r8jz45g.jp', true],
    ['full-width entry and ideographic full stop', 'from-domain', 'exact', 'ｅｖｉｌ。example', 'x@evil.example', true],
    ['IDN block entry matches a substring of the Unicode form', 'from-domain', 'contains', '例え', 'a@xn--r8jz45g.jp', true],
  ] as const)('%s', (_name, field, match, value, address, expected) => {
    expect(entryMatches({ list: 'block', field, match, value }, from([address]))).toBe(expected);
  });

  it('normalises addresses and domains to one form', () => {
    expect(canonicalAddress('"Spam"@XN--R8JZ45G.JP.')).toBe('spam@例え.jp');
    expect(canonicalAddress('"a b"@x.example')).toBe('"a b"@x.example');
    expect(canonicalDomain('ｐａｒｔｎｅｒ.example')).toBe('partner.example');
    expect(canonicalDomain('not a domain !!')).toBe('not a domain !!');
  });

  const block = entry('block', 'from-address', 'exact', 'spam@evil.example');
  const allow = entry('allow', 'from-domain', 'exact', 'good.example');

  it('a block entry matches when ANY From address matches', () => {
    const result = resolvePolicy(input({ score: 1, domainLists: [block], message: from(['good@good.example', 'spam@evil.example']) }));
    expect(result).toMatchObject({ action: 'delete', why: { kind: 'list', list: 'block', entry: { id: block.id } } });
  });

  it('an allow entry on From does not count with several From addresses, even when all match and are authenticated', () => {
    const result = resolvePolicy(input({ domainLists: [allow], message: from(['good@good.example', 'other@good.example']) }));
    expect(result).toMatchObject({ action: 'tag', why: { kind: 'threshold' }, skipped: [{ scope: 'domain', entry: { id: allow.id }, because: 'several-from-addresses' }] });
  });

  it('an allow entry on the Subject still counts with several From addresses', () => {
    const subject = entry('allow', 'subject', 'contains', 'hello');
    expect(resolvePolicy(input({ domainLists: [subject], message: from(['a@x.example', 'b@y.example']) }))).toMatchObject({ action: 'deliver', why: { kind: 'list' } });
  });

  it('no From address matches no From entry', () => {
    expect(entryMatches(block, from([]))).toBe(false);
    expect(entryMatches(entry('block', 'from-domain', 'contains', 'example'), from([]))).toBe(false);
  });
});

describe('an allow entry that matched but did not count is named in the reason', () => {
  const allowDomain = { ...entry('allow', 'from-domain', 'contains', 'partner.example.jp'), id: 'e1' };

  it('after the threshold reason, which keeps its form', () => {
    const result = resolvePolicy(input({ action: 'quarantine', domainLists: [allowDomain], message: { fromAuthenticated: false } }));
    expect(result).toMatchObject({ action: 'quarantine', skipped: [{ because: 'from-not-authenticated' }] });
    expect(describeResolution(result)).toBe('threshold:domain:90%:quarantine; allow-list:domain:from-domain contains "partner.example.jp" (e1) skipped: From not authenticated');
  });

  it('after the block entry that decided later', () => {
    const addressAllow = { ...entry('allow', 'from-address', 'exact'), id: 'e2' };
    const domainBlock = { ...entry('block', 'from-domain', 'exact'), id: 'e3' };
    const result = resolvePolicy(input({ addressLists: [addressAllow], domainLists: [domainBlock], message: { fromAuthenticated: false } }));
    expect(describeResolution(result)).toBe(
      'block-list:domain:from-domain exact "partner.example.jp" (e3); allow-list:address:from-address exact "Alice@Partner.example.jp" (e2) skipped: From not authenticated',
    );
  });

  it("names an address's allow entry that matched while the domain's rules come first (SPAM9: it decides nothing)", () => {
    const addressAllow = { ...entry('allow', 'from-address', 'exact'), id: 'e4' };
    const result = resolvePolicy(input({ priority: 'domain-first', action: 'quarantine', addressLists: [addressAllow] }));
    expect(result).toMatchObject({ action: 'quarantine', skipped: [{ scope: 'address', because: 'domain-rules-first' }] });
    expect(describeResolution(result)).toBe(
      `threshold:domain:90%:quarantine; allow-list:address:from-address exact "Alice@Partner.example.jp" (e4) skipped: inactive while the domain's rules come first`,
    );
  });

  it('names three and counts the rest', () => {
    const many = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ ...allowDomain, id }));
    const result = resolvePolicy(input({ score: 1, domainLists: many, message: { fromAuthenticated: false } }));
    expect(describeResolution(result)).toMatch(/^below-threshold:domain:90%; allow-list:.*\(a\) skipped.*\(c\) skipped: From not authenticated; 2 more allow entries skipped$/);
  });

  it('says nothing when no allow entry was skipped, or when it counted', () => {
    expect(resolvePolicy(input({}))).not.toHaveProperty('skipped');
    expect(describeResolution(resolvePolicy(input({ domainLists: [allowDomain] })))).toBe('allow-list:domain:from-domain contains "partner.example.jp" (e1)');
  });
});

describe('list entry values are validated', () => {
  it.each([
    ['from-address', 'no-at-sign', false],
    ['from-address', 'spam@evil.example', true],
    ['from-address', '@partner.example', true],
    ['from-address', '"spam"@evil.example', true],
    ['from-address', 'a@例え.jp', true],
    ['from-address', 'alice@', false],
    ['from-address', 'a@not a domain', false],
    ['from-domain', 'not a domain !!', false],
    ['from-domain', 'partner.example', true],
    ['from-domain', 'Partner.Example.', true],
    ['from-domain', '例え.jp', true],
    ['from-domain', 'xn--r8jz45g.jp', true],
    ['from-domain', 'casino', true],
    ['from-domain', '.partner.example', false],
    ['from-domain', 'a..b', false],
    ['from-domain', 'a@b.example', false],
    ['from-domain', 'under_score.example', false],
    ['subject', 'anything at all !!', true],
  ] as const)('%s "%s" → valid %s', (field, value, valid) => {
    expect(entryValueProblem(field, value) === undefined).toBe(valid);
    const parsed = ListEntryCreateSchema.safeParse({ field, value });
    expect(parsed.success).toBe(valid);
    if (!parsed.success) expect(parsed.error.issues).toEqual([expect.objectContaining({ path: ['value'] })]);
  });
});
