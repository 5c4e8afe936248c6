import { header, parseMessage, type ParsedMessage } from './parse';
import { evaluateRules, type Rule } from './rules';
import { baseDomain, findUrls, parseUrl, tokenize, type UrlInfo } from './tokenize';
import { DEFAULT_GRAM_OPTIONS, gramHashesAt, gramText } from './grams';
import { cleanSubject } from './subject';
import type { MessageInput } from './types';

export { cleanSubject };

export interface Features {
  /** Distinct feature names (tokens with their prefix, learned rules as `rule:ID`), capped. */
  names: string[];
  /** Every rule that fired (learned and fixed). */
  rules: Rule[];
  /** Character n-gram hashes of the raw message (grams.ts), for the second model; absent when switched off. */
  grams?: Uint32Array;
  /** The text the grams were taken from, and where each gram first appears in it (for explanations). */
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
};

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
  const letters = sample.replace(/[^A-Za-z]/g, '');
  if (letters.length >= 40) names.push('x:caps:' + Math.min(10, Math.floor((letters.replace(/[^A-Z]/g, '').length / letters.length) * 20)));
  for (const w of (sample.match(/\b[A-Z]{3,16}\b/g) ?? []).slice(0, 60)) names.push('U:' + w);
  names.push('x:excl:' + bucket((sample.match(/!/g) ?? []).length), 'x:money:' + bucket((sample.match(/[$€£]/g) ?? []).length));
  if (/!!!|\?\?\?|\$\$\$/.test(sample)) names.push('x:runs');
}

export function extractFeatures(input: MessageInput, options: FeatureOptions = DEFAULT_FEATURE_OPTIONS): Features {
  const msg = isParsed(input.message) ? input.message : parseMessage(input.message);
  const names: string[] = [];
  const subject = tokenize(cleanSubject(msg.subject), { prefix: 's:', limit: 40 });
  names.push(...subject);
  if (options.subjectPairs) for (let i = 0; i + 1 < subject.length; i++) names.push(subject[i] + ' ' + subject[i + 1].slice(2));
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
  const recipients = (header(msg, 'to') ?? '').split(',').filter((r) => r.includes('@')).length;
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

  const text = stripListNoise(msg.text);
  const urls: UrlInfo[] = [];
  const rawUrls = [...msg.html.links.map((l) => l.href), ...findUrls(text, MAX_URLS)].slice(0, MAX_URLS);
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
  if (options.textShape) textShapeFeatures(text + '\n' + msg.htmlText, names);

  const textLength = options.languageNeutral ? latinLength(msg.text) + latinLength(msg.htmlText) : msg.text.length + msg.htmlText.length;
  names.push('n:urls:' + bucket(urls.length), 'n:text:' + bucket(textLength >> 6));
  const rules = evaluateRules({ msg, urls, envelope: input.envelope, auth: input.auth, client: input.client });
  for (const r of rules) if (r.weight === 'learned') names.push('rule:' + r.id);

  const body = tokenize(text, { limit: MAX_BODY_TOKENS });
  if (msg.htmlText) tokenize(stripListNoise(msg.htmlText), { limit: MAX_BODY_TOKENS }, body);
  // Word pairs catch phrases ("click here", "remove you") that single words only hint at; interleaved with
  // the words so that the feature cap cuts both alike.
  for (let i = 0; i < body.length; i++) {
    names.push(body[i]);
    if (options.bodyPairs && i + 1 < body.length && i < MAX_BIGRAMS && isSpacedWord(body[i]) && isSpacedWord(body[i + 1])) names.push(body[i] + ' ' + body[i + 1]);
  }

  let unique = [...new Set(names)];
  if (unique.length > MAX_FEATURES) unique = unique.slice(0, MAX_FEATURES);
  // Character grams have their own cap, so a long message keeps all of its word features.
  if (options.charGrams) unique.push(...charGrams(cleanSubject(msg.subject) + ' ' + text + ' ' + msg.htmlText));
  if (!options.rawGrams) return { names: unique, rules };
  const source = gramText(msg, DEFAULT_GRAM_OPTIONS);
  const { hashes, at } = gramHashesAt(source, DEFAULT_GRAM_OPTIONS.n);
  return { names: unique, rules, grams: hashes, gramText: source, gramAt: at };
}
