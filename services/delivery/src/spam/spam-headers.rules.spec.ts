import { simpleParser } from 'mailparser';
import { DEFAULT_JOIN_POLICY, joinVerdicts } from '../verdicts/verdict-join.rules';
import { encodeHeaderText, spamJoinPolicy, taggedSubject } from './spam-headers.rules';

/** ISO-2022-JP encoded words (JIS X 0208 in base64), as Japanese mailers write them. */
const JIS: Record<string, string> = {
  '会議の件': '=?ISO-2022-JP?B?GyRCMnE1RCRON28bKEI=?=',
  '会議の': '=?ISO-2022-JP?B?GyRCMnE1RCROGyhC?=',
  '件について': '=?ISO-2022-JP?B?GyRCN28kSyREJCQkRhsoQg==?=',
  '会議': '=?ISO-2022-JP?B?GyRCMnE1RBsoQg==?=',
};
const jis = (text: string): string => JIS[text];

/** Raw 8-bit subjects as legacy Japanese and European mailers send them, undeclared. */
const RAW: Record<string, Buffer> = {
  '生のShift_JIS件名 無料': Buffer.from('90b682cc53686966745f4a49538c8f96bc2096b397bf', 'hex'),
  'ソ表 (Shift_JIS with 0x5C trail bytes)': Buffer.from('835c955c', 'hex'),
  '生のEUC-JP件名 無料': Buffer.from('c0b8a4ce4555432d4a50b7efccbe20ccb5cec1', 'hex'),
  'Très bon marché (Latin-1)': Buffer.from('5472e87320626f6e206d61726368e9', 'hex'),
};

async function decodedSubject(value: string | Buffer): Promise<string | undefined> {
  const message = Buffer.concat([Buffer.from('Subject: '), Buffer.from(value), Buffer.from('\r\nFrom: a@b.test\r\n\r\nbody\r\n')]);
  return (await simpleParser(message)).subject;
}

describe('taggedSubject', () => {
  const tagged = (value: string | Buffer | undefined, tag: string): string =>
    taggedSubject(typeof value === 'string' ? Buffer.from(value) : value, tag).toString('latin1');

  it.each([
    ['plain ASCII', 'Hello', '[SPAM!!] Hello'],
    ['empty', '', '[SPAM!!]'],
    ['absent', undefined, '[SPAM!!]'],
    ['already tagged', '[SPAM!!] Hello', '[SPAM!!] Hello'],
    ['only the tag', '[SPAM!!]', '[SPAM!!]'],
    ['tag inside is not a tag', 'Re: [SPAM!!] Hello', '[SPAM!!] Re: [SPAM!!] Hello'],
  ] as const)('%s', (_name, value, expected) => {
    expect(tagged(value, '[SPAM!!]')).toBe(expected);
  });

  it.each([
    ['ISO-2022-JP encoded word', jis('会議の件'), '[MEIWAKU!!] 会議の件'],
    ['two encoded words', `${jis('会議の')} ${jis('件について')}`, '[MEIWAKU!!] 会議の件について'],
    ['UTF-8 Q word', '=?UTF-8?Q?caf=C3=A9?=', '[MEIWAKU!!] café'],
    ['mixed text and word', `Re: ${jis('会議')}`, '[MEIWAKU!!] Re: 会議'],
  ])('keeps a %s valid and readable', async (_name, value, expected) => {
    expect(await decodedSubject(taggedSubject(Buffer.from(value), '[MEIWAKU!!]'))).toBe(expected);
  });

  // Raw 8-bit subjects (8BITMIME, SMTPUTF8): the bytes after the tag are the bytes that came, whatever the charset.
  it.each([
    ['UTF-8', Buffer.from('生のUTF-8件名 無料')],
    ['UTF-8 with 0x85 and 0xA0 bytes', Buffer.from('ム…ムー')],
    ...Object.entries(RAW),
  ])('puts the tag before a raw %s subject and keeps its bytes', (_name, raw) => {
    const out = taggedSubject(raw, '[MEIWAKU!!]');
    expect(out.subarray(0, 12).toString()).toBe('[MEIWAKU!!] ');
    expect(out.subarray(12).equals(raw)).toBe(true);
    expect(taggedSubject(out, '[MEIWAKU!!]').equals(out)).toBe(true);
  });

  it('reads as the tag and the original text for a UTF-8 subject', async () => {
    expect(await decodedSubject(taggedSubject(Buffer.from('生のUTF-8件名 無料'), '[MEIWAKU!!]'))).toBe('[MEIWAKU!!] 生のUTF-8件名 無料');
  });
});

describe('encodeHeaderText', () => {
  it('leaves ASCII alone', () => {
    expect(encodeHeaderText('+2.10 rule:HTML_ONLY')).toBe('+2.10 rule:HTML_ONLY');
  });

  it('encodes non-ASCII as UTF-8 words of at most 75 characters that decode back', async () => {
    const text = '+1.20 会議 +0.50 お得な情報をお届けします。今すぐクリックしてください';
    const encoded = encodeHeaderText(text);
    expect(encoded).toMatch(/^[\x20-\x7e]+$/);
    for (const word of encoded.split(' ')) expect(word.length).toBeLessThanOrEqual(75);
    expect(await decodedSubject(encoded)).toBe(text);
  });
});

describe('spamJoinPolicy', () => {
  it('fails open by default and holds when the domain says so', () => {
    expect(spamJoinPolicy(DEFAULT_JOIN_POLICY).spam.onFailure).toBe('fail-open');
    expect(spamJoinPolicy(DEFAULT_JOIN_POLICY, { on_failure: 'hold' }).spam.onFailure).toBe('fail-closed');
    expect(spamJoinPolicy(DEFAULT_JOIN_POLICY, { on_failure: 'hold' }).virus).toEqual(DEFAULT_JOIN_POLICY.virus);
  });
});

describe('the spam verdict in the join', () => {
  it('stamps the score and the explanation on every delivered copy, tags only the tagged one', () => {
    const out = joinVerdicts({
      recipients: ['a@x.test', 'b@x.test'],
      required: ['spam'],
      verdicts: [
        {
          kind: 'spam',
          failed: false,
          headerValue: '97.12%',
          explanation: '+2.10 rule:HTML_ONLY',
          recipients: [{ recipient: 'b@x.test', action: 'tag', subjectTag: '[MEIWAKU!!]', reason: 'threshold:domain:90%:tag' }],
        },
      ],
      policy: DEFAULT_JOIN_POLICY,
      startedAt: 0,
      now: 0,
      brand: 'Acme',
    });
    if (out.status !== 'decided') throw new Error('not decided');
    const a = out.decisions.get('a@x.test');
    const b = out.decisions.get('b@x.test');
    if (a?.action !== 'deliver' || b?.action !== 'deliver') throw new Error('not delivered');
    expect(a.treatment.headers).toEqual([
      { name: 'X-Acme-Spam-Check', value: '97.12%' },
      { name: 'X-Acme-Spam-Reasons', value: '+2.10 rule:HTML_ONLY' },
    ]);
    expect(a.treatment.subjectTag).toBeUndefined();
    expect(b.treatment.subjectTag).toBe('[MEIWAKU!!]');
  });

  it('holds every recipient when the domain holds on failure and the verdict times out', () => {
    const out = joinVerdicts({
      recipients: ['a@x.test'],
      required: ['spam'],
      verdicts: [],
      policy: spamJoinPolicy(DEFAULT_JOIN_POLICY, { on_failure: 'hold' }),
      startedAt: 0,
      now: 60_000,
      brand: 'Torii',
    });
    expect(out.status === 'decided' && out.decisions.get('a@x.test')?.action).toBe('hold');
  });
});
