import { header, parseMessage, type ParsedMessage } from './parse';
import { evaluateRules, FORGERY_RULE_IDS, type Rule } from './rules';
import { baseDomain, findUrls, parseUrl, tokenize, type UrlInfo } from './tokenize';
import { DEFAULT_GRAM_OPTIONS, gramHashesAt, gramText } from './grams';
import { continueHash, hashFeature } from './model';
import { cleanSubject } from './subject';
import type { MessageInput } from './types';

export { cleanSubject };

export interface Features {
  /** Distinct feature names (tokens with their prefix, learned rules as `rule:ID`), capped. */
  names: string[];
  /**
   * hashFeature() of each name, same order (set by extractFeatures, which has them anyway: the engine then does not
   * hash the names again). Leave it out, or keep it in step, when building or changing `names` by hand; it is
   * ignored when its length differs from names'.
   */
  hashes?: Uint32Array;
  /** Every rule that fired (learned and fixed). */
  rules: Rule[];
  /** Character n-gram hashes of the raw message (grams.ts), for the second model; absent when switched off. */
  grams?: Uint32Array;
  /** The text the grams were taken from, and where each gram first appears in it (for explanations; FORM_AT for a form feature). */
  gramText?: string;
  gramAt?: Uint32Array;
}

/** Bound on the distinct features of one message: keeps scoring time flat on huge newsletters. */
export const MAX_FEATURES = 2000;
const MAX_BODY_TOKENS = 3000;
const MAX_URLS = 40;
const MAX_BIGRAMS = 1000;

export function isParsed(m: MessageInput['message']): m is ParsedMessage {
  return typeof m === 'object' && !Buffer.isBuffer(m) && 'headers' in m;
}

/**
 * Mailing-list footers and subject tags name the list ("[SAtalk]", "...-talk mailing list"): a model would
 * learn that one list's mail is ham, which says nothing about the next site's mail. They are cut.
 */
function stripListNoise(text: string): string {
  const footer = /\n_{10,}\s*\n[^\n]*(?:mailing list|listinfo|list-request)[\s\S]*$/i.exec(text);
  return footer ? text.slice(0, footer.index) : text;
}

// CJK runs already give overlapping character pairs; pairing those again adds nothing.
function isSpacedWord(token: string): boolean {
  return token.charCodeAt(0) < 0x2e80;
}

/** 0, 1, 2, 3–4, 5–8, … : a log2 bucket. */
function bucket(n: number): string {
  return n <= 0 ? '0' : String(Math.ceil(Math.log2(n + 1)));
}

/**
 * `to.split(',').filter((r) => r.includes('@')).length`, without the arrays (whose element kinds vary from message
 * to message and kept throwing extractFeatures out of optimised code).
 */
function countAddresses(to: string): number {
  let n = 0;
  let start = 0;
  let at = to.indexOf('@');
  for (;;) {
    const comma = to.indexOf(',', start);
    const end = comma < 0 ? to.length : comma;
    if (at >= 0 && at < start) at = to.indexOf('@', start);
    if (at >= start && at < end) n++;
    if (comma < 0) return n;
    start = comma + 1;
  }
}

/** `john.smith` → `a.a`, `x7f3k2` → `a0a0a0`: the local part's form, not its value. */
function shape(local: string): string {
  return local.toLowerCase().replace(/[a-z]+/g, 'a').replace(/[0-9]+/g, '0').slice(0, 12);
}


/**
 * Feature groups beyond words. Each was kept or dropped on cross-validation over the training split (see
 * bench/spam/RESULTS.md); the switches exist for that measurement (bench/spam/cv.ts), the engine uses the defaults.
 */
export interface FeatureOptions {
  /** Word pairs in the body. */
  bodyPairs: boolean;
  /** Word pairs in the Subject. */
  subjectPairs: boolean;
  /** Link host, TLD, path words, scheme. */
  urlParts: boolean;
  /** HTML markup habits: tag.attribute names, CSS properties, font sizes. */
  htmlStyle: boolean;
  /** MIME tree shape and part count. */
  mimeShape: boolean;
  /** Presence of a few era-independent headers (In-Reply-To, References, X-Priority, …). */
  headerShape: boolean;
  /** Capitals, exclamation marks and money signs: how loud the text is. */
  textShape: boolean;
  /**
   * Character 4-grams of the Subject and the start of the visible text: robust to misspelling and
   * obfuscation ("v1agra", "fr ee"), and to scripts without spaces.
   */
  charGrams: boolean;
  /** Sender consistency: From local-part words, Reply-To domain, whether links and Message-ID share the From domain. */
  senderParts: boolean;
  /**
   * Leave out what only says which language or country a message is from: charset names (`cs:`), two-letter
   * country TLDs of the From domain and of links (`ft:`, `ut:`; generic TLDs stay), and the transfer
   * encoding of text parts in charsets that cannot travel as 7-bit ASCII (base64 / quoted-printable is the
   * norm there, not a choice). The training corpus is English-only mail of 2002, in which every Japanese,
   * Chinese or Korean message is spam: learned, these features say "Japanese = spam" to every Japanese
   * tenant. Content tokens (CJK character pairs included) stay, so feedback can still learn from them.
   */
  languageNeutral: boolean;
  /** Character 6-grams of a few header lines and the raw body, for the separate gram model (grams.ts). */
  rawGrams: boolean;
  /** The header-forgery rules (rules.ts FORGERY_RULE_IDS: Outlook marks that do not belong together, Subject serials, …) as features. */
  headerForgery: boolean;
  /** The order and spelling of the header fields a mail program writes (From, Subject, Message-ID, X-Mailer, …). */
  headerOrder: boolean;
  /**
   * The form features (FORM_FEATURE_RE: rules, header presence, order and spelling, mailer, MIME shape, markup,
   * counts, loudness) also go to the gram model, as hashes of `form <name>` after its character grams (`gramAt`
   * FORM_AT for them): the gram model, which reads how a message is built, learns its own weights for them beside
   * the raw header and MIME grams they partly repeat (train-CV: AUC and drift up, bench/spam/RESULTS.md round 5).
   */
  formInGrams: boolean;
  /**
   * Orthogonal sparse bigrams (OSBF / CRM114, TREC 2006): word pairs (w_i, w_i+d) for d = 2 … osb, the distance in
   * the name (`a ~3 b`), beside the adjacent pairs; 0 or 1 = off. Round 10 experiment (RESULTS.md).
   */
  osb?: number;
  /**
   * Where the OSB pairs go: 'words' (interleaved with the body's words and pairs, under the same cap, so the word
   * model's 1/√n shrinks) or 'grams' (hashed into the gram model's vector after its grams, like the form features).
   */
  osbPlace?: 'words' | 'grams';
  /** Distinct word features per message (default MAX_FEATURES). Round 10 experiment. */
  maxFeatures?: number;
}

export const DEFAULT_FEATURE_OPTIONS: FeatureOptions = {
  bodyPairs: true,
  subjectPairs: true,
  urlParts: true,
  htmlStyle: true,
  mimeShape: true,
  headerShape: true,
  textShape: true,
  // Measured worse (out-of-fold AUC 0.99907 vs 0.99933, drift 73% vs 78% at 90%): they dilute the words.
  charGrams: false,
  senderParts: true,
  languageNeutral: true,
  rawGrams: true,
  headerForgery: true,
  headerOrder: true,
  formInGrams: true,
};

/** Names of the form features: how a message is built, not what it says (FeatureOptions.formInGrams). */
export const FORM_FEATURE_RE = /^(?:rule|h|ho|hc|xm|ct|cte|att|tag|hs|n|ms|x|fl|ft|ut|us|uq):/;
/** `Features.gramAt` of a form feature in the gram vector: it has no place in the gram text. */
export const FORM_AT = 0xffffffff;
const FORM_HASH = hashFeature('form ');

/** Two-letter top-level domains are countries: `jp`, `de`, `uk`. */
function isCountryTld(tld: string): boolean {
  return /^[a-z]{2}$/.test(tld);
}

// A CJK character carries about what two or three Latin letters do (translated text is a half to a third as
// long): counted as 2, a Japanese note is not "shorter" than the same note in English.
const WIDE_RE = /[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]/g;
function latinLength(text: string): number {
  return text.length + (text.match(WIDE_RE)?.length ?? 0);
}

// Text in these charsets may go as 7-bit or 8-bit; choosing base64 for them is a habit of 2002 spamware (see
// the TEXT_BASE64 rule). In other charsets base64 / quoted-printable is simply how the text must travel.
function isLatinCharset(charset: string): boolean {
  return /^(?:|us-ascii|ascii|iso-8859-(?:1|15)|windows-1252|latin1)$/.test(charset);
}

const CHAR_GRAM_TEXT = 2000;
const MAX_CHAR_GRAMS = 1500;

function charGrams(text: string): string[] {
  const t = (' ' + text.slice(0, CHAR_GRAM_TEXT * 2) + ' ').toLowerCase().replace(/\s+/g, ' ').replace(/[0-9]/g, '0').slice(0, CHAR_GRAM_TEXT);
  const out = new Set<string>();
  for (let i = 0; i + 4 <= t.length && out.size < MAX_CHAR_GRAMS; i++) out.add('c:' + t.slice(i, i + 4));
  return [...out];
}

// Headers whose presence says something about how a message was written, in any year and any site; list and
// relay headers (List-*, Precedence, Received, X-*) are left out: they say which collection a message came from.
const SHAPE_HEADERS = ['in-reply-to', 'references', 'reply-to', 'x-priority', 'x-msmail-priority', 'importance', 'organization', 'mime-version', 'sender', 'errors-to', 'disposition-notification-to', 'cc'];

function urlFeatures(u: UrlInfo, names: string[], neutral: boolean): void {
  if (u.ipLiteral) return;
  const host = u.host.replace(/^www\d*\./, '');
  const tld = host.slice(host.lastIndexOf('.') + 1);
  names.push('uh:' + host, 'us:' + (/^https:/i.test(u.url) ? 'https' : 'http'));
  if (!(neutral && isCountryTld(tld))) names.push('ut:' + tld);
  const rest = u.url.replace(/^[a-z]+:\/\/[^/?#]*/i, '');
  if (/\?./.test(rest)) names.push('uq:query');
  tokenize(rest.split(/[?#]/, 1)[0].replace(/[/._=&-]+/g, ' '), { prefix: 'up:', limit: 6 }, names);
}

function textShapeFeatures(text: string, names: string[]): void {
  const sample = text.length > 20_000 ? text.slice(0, 20_000) : text;
  // One pass over the text instead of a string per count: ASCII letters, capitals among them, `!`, money signs.
  let letters = 0;
  let capitals = 0;
  let excl = 0;
  let money = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) {
      letters++;
      capitals++;
    } else if (c >= 0x61 && c <= 0x7a) letters++;
    else if (c === 0x21) excl++;
    else if (c === 0x24 || c === 0x20ac || c === 0xa3) money++;
  }
  if (letters >= 40) names.push('x:caps:' + Math.min(10, Math.floor((capitals / letters) * 20)));
  // A shouted word needs three capitals.
  if (capitals >= 3) {
    const shout = /\b[A-Z]{3,16}\b/g;
    let m: RegExpExecArray | null;
    for (let k = 0; k < 60 && (m = shout.exec(sample)); k++) names.push('U:' + m[0]);
  }
  names.push('x:excl:' + bucket(excl), 'x:money:' + bucket(money));
  if (/!!!|\?\?\?|\$\$\$/.test(sample)) names.push('x:runs');
}

// The header fields a mail program writes. How it orders and spells them is its fingerprint ("Message-Id" or
// "Message-ID", Subject before or after Date); relay and list fields (Received, List-*, Sender, X-* other than the
// mailer's own) are left out: they say where a message passed, not who wrote it.
const WRITER_HEADERS = new Set(['from', 'to', 'cc', 'subject', 'date', 'message-id', 'mime-version', 'content-type', 'content-transfer-encoding', 'x-mailer', 'user-agent', 'reply-to', 'x-priority', 'x-msmail-priority', 'importance', 'x-mimeole', 'organization', 'in-reply-to', 'references']);

function headerOrderFeatures(msg: ParsedMessage, names: string[]): void {
  let prev = '^';
  let n = 0;
  for (const h of msg.headers) {
    if (!WRITER_HEADERS.has(h.name) || n >= 24) continue;
    if (h.name === prev) continue;
    names.push('ho:' + prev + '>' + h.name);
    if (h.rawName !== undefined && h.rawName !== h.name) names.push('hc:' + h.rawName);
    prev = h.name;
    n++;
  }
  names.push('ho:' + prev + '>$');
}

// extractFeatures is cut in parts that V8 optimises (and, when a message takes a branch not seen before, throws
// out and re-optimises) one by one: as one function, each such event recompiled all of it.

/** Subject, From, recipients, mailer, MIME parts, HTML markup, header presence. */
function headerFeatures(msg: ParsedMessage, options: FeatureOptions, names: string[]): void {
  const subject = tokenize(cleanSubject(msg.subject), { prefix: 's:', limit: 40 });
  names.push(...subject);
  if (options.subjectPairs) for (let i = 0; i + 1 < subject.length; i++) names.push(subject[i] + ' ' + subject[i + 1].slice(2));
  const osb = options.osb ?? 0;
  if (osb > 1 && (options.osbPlace ?? 'words') === 'words')
    for (let i = 0; i < subject.length; i++) for (let d = 2; d <= osb && i + d < subject.length; d++) names.push(subject[i] + ' ~' + d + ' ' + subject[i + d].slice(2));
  if (msg.from) {
    tokenize(msg.from.name, { prefix: 'fn:', limit: 8 }, names);
    if (msg.from.domain) {
      const tld = msg.from.domain.slice(msg.from.domain.lastIndexOf('.') + 1);
      names.push('fd:' + msg.from.domain, 'fb:' + baseDomain(msg.from.domain));
      if (!(options.languageNeutral && isCountryTld(tld))) names.push('ft:' + tld);
    }
  }
  // Shapes rather than values: how the From local part is built, how many recipients, links and words.
  if (msg.from?.address.includes('@')) names.push('fl:' + shape(msg.from.address.slice(0, msg.from.address.indexOf('@'))));
  const recipients = countAddresses(header(msg, 'to') ?? '');
  names.push('n:to:' + bucket(recipients));
  const mailer = header(msg, 'x-mailer') ?? header(msg, 'user-agent');
  if (mailer) names.push('xm:' + (/^[a-z][a-z .-]{0,30}/i.exec(mailer)?.[0].trim().toLowerCase() ?? 'other'));
  for (const p of msg.parts) {
    names.push('ct:' + p.contentType);
    const charsetEncoding = options.languageNeutral && p.contentType.startsWith('text/') && !isLatinCharset(p.charset);
    if (!charsetEncoding) names.push('cte:' + p.transferEncoding);
    if (p.charset && !options.languageNeutral) names.push('cs:' + p.charset);
    if (p.filename) names.push('att:' + (/\.([a-z0-9]{1,5})$/i.exec(p.filename)?.[1].toLowerCase() ?? 'none'));
  }
  for (const t of msg.html.tags) names.push('tag:' + t);
  if (options.htmlStyle && msg.html.style) {
    for (const st of msg.html.style) names.push('hs:' + st);
    names.push('n:tags:' + bucket(msg.html.tags.length));
    // "No images", "no links": only counted when present, so that they do not become a second and third
    // copy of "has an HTML part" (HTML was a spam habit in 2002; in today's business mail it is the norm).
    if (msg.html.images) names.push('n:img:' + bucket(msg.html.images));
    if (msg.html.links.length) names.push('n:links:' + bucket(msg.html.links.length));
  }
  if (options.mimeShape) names.push('ms:' + (msg.shape ?? '').slice(0, 80), 'n:parts:' + bucket(msg.parts.length));
  if (options.headerShape) for (const h of SHAPE_HEADERS) if (header(msg, h) !== undefined) names.push('h:' + h);
  if (options.headerOrder) headerOrderFeatures(msg, names);
}

/** Links (HTML links first, then those in the text) and sender consistency; returns the parsed links. */
function linkFeatures(msg: ParsedMessage, text: string, options: FeatureOptions, names: string[]): UrlInfo[] {
  const urls: UrlInfo[] = [];
  // The HTML links, then the links in the text, the first MAX_URLS of them. (Built by a loop: spreading arrays
  // whose element kinds differ from message to message kept throwing this function out of optimised code.)
  const rawUrls: string[] = [];
  for (const l of msg.html.links) if (rawUrls.length < MAX_URLS) rawUrls.push(l.href);
  if (rawUrls.length < MAX_URLS) for (const u of findUrls(text, MAX_URLS - rawUrls.length)) rawUrls.push(u);
  for (const raw of rawUrls) {
    const u = parseUrl(raw);
    if (!u || !u.host) continue;
    urls.push(u);
    names.push('u:' + (u.ipLiteral ? 'ip' : baseDomain(u.host)));
    if (options.urlParts) urlFeatures(u, names, options.languageNeutral);
  }
  if (options.senderParts && msg.from?.domain) {
    const from = baseDomain(msg.from.domain);
    tokenize(msg.from.address.slice(0, msg.from.address.indexOf('@')).replace(/[._+-]+/g, ' '), { prefix: 'fa:', limit: 4 }, names);
    if (msg.replyTo?.domain) names.push('rd:' + baseDomain(msg.replyTo.domain));
    if (urls.length) names.push('x:links-from:' + (urls.some((u) => !u.ipLiteral && baseDomain(u.host) === from) ? (urls.every((u) => !u.ipLiteral && baseDomain(u.host) === from) ? 'all' : 'some') : 'none'));
    const mid = /@([^>\s]+)>?\s*$/.exec(header(msg, 'message-id') ?? '');
    names.push('x:msgid-from:' + (mid ? String(baseDomain(mid[1].toLowerCase()) === from) : 'none'));
  }
  return urls;
}

/**
 * The body's words and word pairs after `names`, then all of them de-duplicated (first appearance kept) and capped
 * at MAX_FEATURES, with their hashFeature() values.
 */
function bodyFeatures(msg: ParsedMessage, text: string, options: FeatureOptions, names: string[]): { names: string[]; hashes: number[] } {
  const body = tokenize(text, { limit: MAX_BODY_TOKENS });
  if (msg.htmlText) tokenize(stripListNoise(msg.htmlText), { limit: MAX_BODY_TOKENS }, body);
  const osb = options.osb ?? 0;
  const osbWords = osb > 1 && (options.osbPlace ?? 'words') === 'words';
  // Every name's hashFeature(), for de-duplication and for the model's buckets; a word pair's is carried on from
  // its first word's, so the pair string is never read.
  const head = names.length;
  const hashes = new Uint32Array(head + (osbWords ? osb + 1 : 2) * body.length);
  for (let i = 0; i < head; i++) hashes[i] = hashFeature(names[i]);
  const tokenHashes = new Uint32Array(body.length);
  for (let i = 0; i < body.length; i++) tokenHashes[i] = hashFeature(body[i]);
  // Word pairs catch phrases ("click here", "remove you") that single words only hint at; interleaved with
  // the words so that the feature cap cuts both alike.
  for (let i = 0; i < body.length; i++) {
    hashes[names.length] = tokenHashes[i];
    names.push(body[i]);
    if (options.bodyPairs && i + 1 < body.length && i < MAX_BIGRAMS && isSpacedWord(body[i]) && isSpacedWord(body[i + 1])) {
      hashes[names.length] = continueHash(Math.imul(tokenHashes[i] ^ 0x20, FNV_PRIME), body[i + 1]);
      names.push(body[i] + ' ' + body[i + 1]);
    }
    if (osbWords && i < MAX_BIGRAMS && isSpacedWord(body[i]))
      for (let d = 2; d <= osb && i + d < body.length; d++) {
        if (!isSpacedWord(body[i + d])) continue;
        const tail = ' ~' + d + ' ' + body[i + d];
        hashes[names.length] = continueHash(tokenHashes[i], tail);
        names.push(body[i] + tail);
      }
  }

  return distinct(names, hashes, options.maxFeatures ?? MAX_FEATURES);
}

/** OSB pair hashes (FeatureOptions.osbPlace 'grams'): Subject and body pairs at distances 1 … osb, distinct. */
function osbGramHashes(msg: ParsedMessage, text: string, osb: number): number[] {
  const seen = new Set<number>();
  const add = (words: string[], prefix: string) => {
    const hs = words.map((w) => hashFeature(w));
    for (let i = 0; i < words.length && i < MAX_BIGRAMS; i++) {
      if (!isSpacedWord(words[i])) continue;
      for (let d = 1; d <= osb && i + d < words.length; d++) {
        if (!isSpacedWord(words[i + d])) continue;
        seen.add(continueHash(Math.imul(hs[i] ^ 0x7e, FNV_PRIME), prefix + d + ' ' + words[i + d]));
      }
    }
  };
  add(tokenize(cleanSubject(msg.subject), { limit: 40 }), 's');
  const body = tokenize(text, { limit: MAX_BODY_TOKENS });
  if (msg.htmlText) tokenize(stripListNoise(msg.htmlText), { limit: MAX_BODY_TOKENS }, body);
  add(body, 'b');
  return [...seen];
}

export function extractFeatures(input: MessageInput, options: FeatureOptions = DEFAULT_FEATURE_OPTIONS): Features {
  const msg = isParsed(input.message) ? input.message : parseMessage(input.message);
  const names: string[] = [];
  headerFeatures(msg, options, names);
  const text = stripListNoise(msg.text);
  const urls = linkFeatures(msg, text, options, names);
  if (options.textShape) textShapeFeatures(text + '\n' + msg.htmlText, names);

  const textLength = options.languageNeutral ? latinLength(msg.text) + latinLength(msg.htmlText) : msg.text.length + msg.htmlText.length;
  names.push('n:urls:' + bucket(urls.length), 'n:text:' + bucket(textLength >> 6));
  const rules = evaluateRules({ msg, urls, envelope: input.envelope, auth: input.auth, client: input.client });
  for (const r of rules) if (r.weight === 'learned' && (options.headerForgery || !FORGERY_RULE_IDS.has(r.id))) names.push('rule:' + r.id);

  const unique = bodyFeatures(msg, text, options, names);
  // Character grams have their own cap, so a long message keeps all of its word features.
  if (options.charGrams) {
    for (const g of charGrams(cleanSubject(msg.subject) + ' ' + text + ' ' + msg.htmlText)) {
      unique.names.push(g);
      unique.hashes.push(hashFeature(g));
    }
  }
  const features: Features = { names: unique.names, hashes: new Uint32Array(unique.hashes), rules };
  if (!options.rawGrams) return features;
  const source = gramText(msg, DEFAULT_GRAM_OPTIONS);
  const { hashes: grams, at } = gramHashesAt(source, DEFAULT_GRAM_OPTIONS.n);
  const osbHashes = (options.osb ?? 0) >= 1 && options.osbPlace === 'grams' ? osbGramHashes(msg, text, options.osb as number) : [];
  if (!options.formInGrams && !osbHashes.length) return { ...features, grams, gramText: source, gramAt: at };
  let k = osbHashes.length;
  if (options.formInGrams) for (const n of unique.names) if (FORM_FEATURE_RE.test(n)) k++;
  const all = new Uint32Array(grams.length + k);
  const allAt = new Uint32Array(grams.length + k);
  all.set(grams);
  allAt.set(at);
  k = grams.length;
  for (const h of osbHashes) {
    all[k] = h;
    allAt[k++] = FORM_AT;
  }
  if (options.formInGrams) for (const n of unique.names) {
    if (!FORM_FEATURE_RE.test(n)) continue;
    all[k] = continueHash(FORM_HASH, n);
    allAt[k++] = FORM_AT;
  }
  return { ...features, grams: all, gramText: source, gramAt: allAt };
}

const FNV_PRIME = 0x01000193;

// Scratch table of distinct(), reused across calls: per slot an index into the distinct names; a stamp marks the
// slots used in the current call without clearing the table.
let distinctSlots = new Int32Array(0);
let distinctStamps = new Uint32Array(0);
let distinctStamp = 0;

/**
 * `[...new Set(names)].slice(0, max)` (first appearance kept, in order), with each one's hash, found through the
 * hashes already computed: a Set of strings would hash (and flatten) every name once more.
 */
function distinct(names: readonly string[], hashes: Uint32Array, max: number): { names: string[]; hashes: number[] } {
  let size = 1024;
  while (size < Math.min(names.length, max) * 2) size *= 2;
  if (distinctSlots.length < size) {
    distinctSlots = new Int32Array(size);
    distinctStamps = new Uint32Array(size);
    distinctStamp = 0;
  }
  if (++distinctStamp === 0xffffffff) {
    distinctStamps.fill(0);
    distinctStamp = 1;
  }
  const mask = distinctSlots.length - 1;
  const out: string[] = [];
  const outHashes: number[] = [];
  for (let i = 0; i < names.length && out.length < max; i++) {
    const h = hashes[i];
    let j = Math.imul(h, 0x9e3779b1) >>> 0;
    for (;;) {
      j &= mask;
      if (distinctStamps[j] !== distinctStamp) {
        distinctStamps[j] = distinctStamp;
        distinctSlots[j] = out.length;
        out.push(names[i]);
        outHashes.push(h);
        break;
      }
      const k = distinctSlots[j];
      // Same hash is not enough: two names may share one.
      if (outHashes[k] === h && out[k] === names[i]) break;
      j++;
    }
  }
  return { names: out, hashes: outHashes };
}
