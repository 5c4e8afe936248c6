import {
  DEFAULT_JOIN_POLICY,
  joinPolicyFor,
  joinVerdicts,
  requiredVerdicts,
  treatmentKey,
  type JoinInput,
  type VerdictFacts,
} from './verdict-join.rules';

describe('requiredVerdicts', () => {
  it.each([
    ['inbound', { spam: true, virus: true, archive: true }, [], ['spam', 'virus', 'audit']],
    ['outbound', { spam: true, virus: true, archive: true }, [], ['virus', 'audit']],
    ['inbound', { spam: false, virus: false, archive: false }, [], []],
    ['inbound', { spam: true, virus: false, archive: false }, [], ['spam']],
    ['outbound', { spam: false, virus: false, archive: true }, [], ['audit']],
    ['inbound', { spam: true, virus: true, archive: false }, ['spam', 'virus'], []],
  ] as const)('%s %j bypass %j → %j', (direction, subs, bypass, expected) => {
    expect(requiredVerdicts(direction, subs, bypass)).toEqual(expected);
  });
});

const base = (over: Partial<JoinInput>): JoinInput => ({
  recipients: ['a@x.test', 'b@x.test'],
  required: [],
  verdicts: [],
  policy: DEFAULT_JOIN_POLICY,
  startedAt: 0,
  now: 0,
  brand: 'Torii',
  ...over,
});

const spam = (recipients: Extract<VerdictFacts, { kind: 'spam' }>['recipients'], failed = false): VerdictFacts => ({
  kind: 'spam',
  failed,
  headerValue: '12.00%',
  recipients,
});
const virus = (status: 'clean' | 'infected' | 'unscannable', failed = false): VerdictFacts => ({ kind: 'virus', failed, status });

describe('joinVerdicts', () => {
  it('delivers at once when nothing is required', () => {
    const out = joinVerdicts(base({}));
    expect(out.status).toBe('decided');
    if (out.status !== 'decided') return;
    expect([...out.decisions.values()].map((d) => d.action)).toEqual(['deliver', 'deliver']);
  });

  it('waits for a missing verdict until the earliest timeout', () => {
    const out = joinVerdicts(base({ required: ['spam', 'virus'], verdicts: [virus('clean')], now: 1_000 }));
    expect(out).toEqual({ status: 'wait', until: 60_000, missing: ['spam'] });
  });

  const cases: [string, Partial<JoinInput>, Record<string, string>, RegExp | null][] = [
    ['spam timed out → fail open with header', { required: ['spam'], now: 60_000 }, { 'a@x.test': 'deliver', 'b@x.test': 'deliver' }, /not checked \(timed out\)/],
    ['spam failed → fail open', { required: ['spam'], verdicts: [spam([], true)] }, { 'a@x.test': 'deliver' }, /not checked \(failed/],
    ['virus timed out → hold (fail closed)', { required: ['virus'], now: 300_000 }, { 'a@x.test': 'hold', 'b@x.test': 'hold' }, null],
    ['virus failed → hold', { required: ['virus'], verdicts: [virus('clean', true)] }, { 'a@x.test': 'hold' }, null],
    [
      'virus timed out, policy says deliver → fail open',
      { required: ['virus'], now: 300_000, policy: joinPolicyFor(DEFAULT_JOIN_POLICY, { on_failure: 'deliver' }) },
      { 'a@x.test': 'deliver' },
      /X-Torii-Virus-Check/,
    ],
    ['audit timed out → deliver (logged)', { required: ['audit'], now: 120_000 }, { 'a@x.test': 'deliver' }, null],
    ['virus infected → drop all', { required: ['virus'], verdicts: [virus('infected')] }, { 'a@x.test': 'drop', 'b@x.test': 'drop' }, null],
    [
      'spam per recipient: quarantine one, tag the other',
      { required: ['spam'], verdicts: [spam([{ recipient: 'A@x.test', action: 'quarantine' }, { recipient: 'b@x.test', action: 'tag', subjectTag: '[SPAM]' }])] },
      { 'a@x.test': 'quarantine', 'b@x.test': 'deliver' },
      null,
    ],
    [
      'most severe wins: spam quarantine vs audit hold → hold',
      {
        required: ['spam', 'audit'],
        verdicts: [spam([{ recipient: 'a@x.test', action: 'quarantine' }]), { kind: 'audit', failed: false, actions: ['hold'], addHeaders: [] }],
      },
      { 'a@x.test': 'hold', 'b@x.test': 'hold' },
      null,
    ],
    [
      'audit block → bounce',
      { required: ['audit'], verdicts: [{ kind: 'audit', failed: false, actions: ['block'], addHeaders: [] }] },
      { 'a@x.test': 'bounce' },
      null,
    ],
    ['spam delete → drop', { required: ['spam'], verdicts: [spam([{ recipient: 'b@x.test', action: 'delete' }])] }, { 'a@x.test': 'deliver', 'b@x.test': 'drop' }, null],
    // Released by an administrator: nothing holds the recipient again; what the checks that came say still applies.
    [
      'released: virus timed out → delivered, the header says so',
      { required: ['virus'], now: 300_000, released: ['a@x.test'] },
      { 'a@x.test': 'deliver', 'b@x.test': 'hold' },
      /X-Torii-Virus-Check: not checked \(timed out\); released by an administrator/,
    ],
    [
      'released: unscannable held by policy → delivered, the header says so',
      {
        required: ['virus'],
        verdicts: [{ kind: 'virus', failed: false, status: 'unscannable', engine: 'ClamAV' }],
        policy: joinPolicyFor(DEFAULT_JOIN_POLICY, { unscannable: 'hold' }),
        released: ['a@x.test', 'b@x.test'],
      },
      { 'a@x.test': 'deliver', 'b@x.test': 'deliver' },
      /X-Torii-Virus-Check: unscannable \(ClamAV\); released by an administrator/,
    ],
    [
      'released: an audit hold no longer holds, spam quarantine still applies',
      {
        required: ['spam', 'audit'],
        verdicts: [spam([{ recipient: 'a@x.test', action: 'quarantine' }]), { kind: 'audit', failed: false, actions: ['hold'], addHeaders: [] }],
        released: ['a@x.test', 'b@x.test'],
      },
      { 'a@x.test': 'quarantine', 'b@x.test': 'deliver' },
      null,
    ],
    [
      'released: an infected message is still dropped',
      { required: ['virus'], verdicts: [virus('infected')], released: ['a@x.test'] },
      { 'a@x.test': 'drop' },
      null,
    ],
  ];
  it.each(cases)('%s', (_name, over, expected, header) => {
    const out = joinVerdicts(base(over));
    expect(out.status).toBe('decided');
    if (out.status !== 'decided') return;
    for (const [recipient, action] of Object.entries(expected)) expect(out.decisions.get(recipient)?.action).toBe(action);
    if (header) {
      const decision = out.decisions.get('a@x.test');
      const headers = decision?.action === 'deliver' ? decision.treatment.headers : [];
      expect(headers.map((h) => `${h.name}: ${h.value}`).join('\n')).toMatch(header);
    }
  });

  it('gives tagged recipients a treatment of their own', () => {
    const out = joinVerdicts(base({ required: ['spam'], verdicts: [spam([{ recipient: 'b@x.test', action: 'tag', subjectTag: '[SPAM]' }])] }));
    if (out.status !== 'decided') throw new Error('not decided');
    const a = out.decisions.get('a@x.test');
    const b = out.decisions.get('b@x.test');
    if (a?.action !== 'deliver' || b?.action !== 'deliver') throw new Error('not delivered');
    expect(b.treatment.subjectTag).toBe('[SPAM]');
    expect(treatmentKey(a.treatment)).not.toBe(treatmentKey(b.treatment));
  });

  it('a released recipient without holds is delivered with the reason "released"; others keep theirs', () => {
    const out = joinVerdicts(base({ required: ['spam'], verdicts: [spam([])], released: ['a@x.test'] }));
    if (out.status !== 'decided') throw new Error('not decided');
    expect(out.decisions.get('a@x.test')).toMatchObject({ action: 'deliver', reason: 'released' });
    expect(out.decisions.get('b@x.test')).toMatchObject({ action: 'deliver', reason: 'clean' });
    const b = out.decisions.get('b@x.test');
    expect(b?.action === 'deliver' && b.treatment.headers.some((h) => h.value.includes('released'))).toBe(false);
  });
});
