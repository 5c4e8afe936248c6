import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_FEATURE_OPTIONS, extractFeatures, FORM_AT, FORM_FEATURE_RE, type FeatureOptions } from './features';
import { hashFeature } from './model';

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', name));
const all: FeatureOptions = { ...DEFAULT_FEATURE_OPTIONS, subjectPairs: true, urlParts: true, htmlStyle: true, mimeShape: true, headerShape: true, textShape: true };
const none: FeatureOptions = { bodyPairs: false, subjectPairs: false, urlParts: false, htmlStyle: false, mimeShape: false, headerShape: false, textShape: false, charGrams: false, senderParts: false, languageNeutral: false, rawGrams: false, headerForgery: false, headerOrder: false, formInGrams: false };

describe('extractFeatures groups', () => {
  const spam = extractFeatures({ message: fixture('spam-en.eml') }, all).names;

  it.each([
    ['subject pairs', 's:free viagra'],
    ['HTML markup habits', 'hs:font.size'],
    ['font size value', 'hs:font.size=5'],
    ['body colour attribute', 'hs:body.bgcolor'],
    ['MIME shape', 'ms:html'],
    ['loud capitals', 'U:VIAGRA'],
    ['exclamation runs', 'x:runs'],
  ])('%s: %s', (_, feature) => {
    expect(spam).toContain(feature);
  });

  it('link host, TLD, scheme and path words', () => {
    const names = extractFeatures({ message: 'From: a@b.example\nSubject: x\n\nsee https://www.shop.example.biz/claim/prize.php?id=5 now' }, all).names;
    expect(names).toEqual(expect.arrayContaining(['uh:shop.example.biz', 'ut:biz', 'us:https', 'uq:query', 'up:claim', 'up:prize', 'up:php']));
  });

  it('sender consistency: links and Message-ID against the From domain', () => {
    const own = extractFeatures({ message: 'From: news@shop.example\nMessage-ID: <1@mail.shop.example>\nSubject: x\n\nsee http://www.shop.example/a' }).names;
    expect(own).toEqual(expect.arrayContaining(['fa:news', 'x:links-from:all', 'x:msgid-from:true']));
    const other = extractFeatures({ message: 'From: a@b.example\nReply-To: z@elsewhere.example\nSubject: x\n\nsee http://c.example/' }).names;
    expect(other).toEqual(expect.arrayContaining(['rd:elsewhere.example', 'x:links-from:none', 'x:msgid-from:none']));
  });

  it('header presence only for the era-independent list', () => {
    const ham = extractFeatures({ message: 'From: a@b.example\nTo: c@d.example\nIn-Reply-To: <x@y>\nList-Id: <l.example>\nSubject: hi\n\nok then' }, all).names;
    expect(ham).toContain('h:in-reply-to');
    expect(ham.some((n) => n.startsWith('h:list'))).toBe(false);
  });

  it('each group can be switched off', () => {
    const bare = extractFeatures({ message: fixture('spam-en.eml') }, none).names;
    expect(bare.some((n) => /^(?:hs|ms|h|ho|hc|U|x|up|uh|c):/.test(n) || n.includes(' '))).toBe(false);
  });

  it('header order and spelling of the fields a mail program writes; relay and list fields left out', () => {
    const raw = 'Received: from a by b\nFrom: a@b.example\nSubject: x\nMessage-Id: <1@b.example>\nList-Id: <l.example>\nX-Mailer: Foo 1.0\nDate: Wed, 15 Oct 2025 09:12:44 +0200\n\nhi';
    const names = extractFeatures({ message: raw }).names;
    expect(names.filter((n) => /^h[oc]:/.test(n))).toEqual(['ho:^>from', 'hc:From', 'ho:from>subject', 'hc:Subject', 'ho:subject>message-id', 'hc:Message-Id', 'ho:message-id>x-mailer', 'hc:X-Mailer', 'ho:x-mailer>date', 'hc:Date', 'ho:date>$']);
  });

  it('form features go to the gram model too, after its grams and marked FORM_AT', () => {
    const on = extractFeatures({ message: fixture('spam-en.eml') });
    const off = extractFeatures({ message: fixture('spam-en.eml') }, { ...DEFAULT_FEATURE_OPTIONS, formInGrams: false });
    const form = on.names.filter((n) => FORM_FEATURE_RE.test(n));
    expect(form).toEqual(expect.arrayContaining(['ms:html', 'x:runs']));
    expect(form.some((n) => n.startsWith('s:') || !n.includes(':'))).toBe(false);
    expect(on.grams?.length).toBe((off.grams?.length ?? 0) + form.length);
    expect(Array.from(on.grams ?? []).slice(0, off.grams?.length)).toEqual(Array.from(off.grams ?? []));
    expect(Array.from(on.gramAt ?? []).slice(off.grams?.length)).toEqual(form.map(() => FORM_AT));
    expect(on.names).toEqual(off.names);
  });

  it('character 4-grams have their own cap', () => {
    const grams = extractFeatures({ message: fixture('spam-en.eml') }, { ...none, charGrams: true }).names.filter((n) => n.startsWith('c:'));
    expect(grams).toContain('c:free');
    expect(grams.length).toBeLessThanOrEqual(1500);
  });

  it('language-neutral: no charset names, no country TLDs, no transfer encoding forced by the charset', () => {
    const ja = extractFeatures({ message: fixture('ham-ja-eucjp-qp.eml') }).names;
    expect(ja.filter((n) => /^(?:cs:|ft:|cte:)/.test(n))).toEqual([]);
    expect(ja).toContain('日本');
    const raw = 'From: a@shop.example.com\nSubject: x\nContent-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: base64\n\naGkgdGhlcmU=';
    const names = [...extractFeatures({ message: raw }).names, ...extractFeatures({ message: 'From: a@b.example\nSubject: x\n\nhttp://a.example.de/ http://b.example.org/' }).names];
    expect(names).toEqual(expect.arrayContaining(['ft:com', 'ut:org', 'cte:base64']));
    expect(names.some((n) => n.startsWith('cs:') || n === 'ut:de')).toBe(false);
    const off = extractFeatures({ message: fixture('ham-ja-eucjp-qp.eml') }, { ...DEFAULT_FEATURE_OPTIONS, languageNeutral: false }).names;
    expect(off).toEqual(expect.arrayContaining(['cs:euc-jp', 'ft:jp', 'cte:base64']));
  });

  it('a Japanese note and the same note in English differ only in words, not in form', () => {
    const form = (name: string) => extractFeatures({ message: fixture(name) }).names.filter((n) => /^(?:[a-z]+:[^:]|x:|n:|rule:)/.test(n) && !/^(?:s|fn|fa|fd|fb|fl|u|uh|up):/.test(n));
    // ft:com: generic TLDs stay (.com is no language); the Japanese From domain gives no ft: at all.
    expect(form('ham-en-twin-eucjp.eml').filter((n) => n !== 'ft:com')).toEqual(form('ham-ja-eucjp-qp.eml'));
  });

  it('a multipart message has a nested shape', () => {
    const raw = ['From: a@b.example', 'Subject: t', 'Content-Type: multipart/alternative; boundary="b"', '', '--b', 'Content-Type: text/plain', '', 'hi', '--b', 'Content-Type: text/html', '', '<p>hi</p>', '--b--', ''].join('\n');
    expect(extractFeatures({ message: raw }, all).names).toContain('ms:alternative(plain,html)');
  });
});

describe('OSB word pairs (round 10 experiment, off by default)', () => {
  const raw = 'From: a@b.example\nSubject: claim your free prize\n\nplease claim your free prize today';

  it('are not emitted by default', () => {
    expect(extractFeatures({ message: raw }).names.some((n) => n.includes(' ~'))).toBe(false);
  });

  it('in the word model: pairs at distances 2 … osb in Subject and body, each name with its own hash', () => {
    const f = extractFeatures({ message: raw }, { ...DEFAULT_FEATURE_OPTIONS, osb: 3 });
    expect(f.names).toEqual(expect.arrayContaining(['s:claim ~2 free', 's:claim ~3 prize', 'please ~2 your', 'please ~3 free', 'claim your']));
    expect(f.names).not.toContain('please ~4 prize');
    expect(Array.from(f.hashes as Uint32Array)).toEqual(f.names.map(hashFeature));
  });

  it('in the gram model: the word features stay as they are and the gram vector grows', () => {
    const plain = extractFeatures({ message: raw });
    const f = extractFeatures({ message: raw }, { ...DEFAULT_FEATURE_OPTIONS, osb: 3, osbPlace: 'grams' });
    expect(f.names).toEqual(plain.names);
    expect((f.grams as Uint32Array).length).toBeGreaterThan((plain.grams as Uint32Array).length);
    expect(Array.from(f.gramAt as Uint32Array).filter((a) => a === FORM_AT).length).toBeGreaterThan(Array.from(plain.gramAt as Uint32Array).filter((a) => a === FORM_AT).length);
  });
});
