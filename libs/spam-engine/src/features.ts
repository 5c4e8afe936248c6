import { header, parseMessage, type ParsedMessage } from './parse';
import { evaluateRules, type Rule } from './rules';
import { baseDomain, findUrls, parseUrl, tokenize, type UrlInfo } from './tokenize';
import type { MessageInput } from './types';

export interface Features {
  /** Distinct feature names (tokens with their prefix, learned rules as `rule:ID`), capped. */
  names: string[];
  /** Every rule that fired (learned and fixed). */
  rules: Rule[];
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

export function cleanSubject(subject: string): string {
  return subject.replace(/^(?:\s*(?:\[[^\]]{1,40}\]|(?:re|fwd?|aw|sv)\s*:))+/i, '').trim();
}

export function extractFeatures(input: MessageInput): Features {
  const msg = isParsed(input.message) ? input.message : parseMessage(input.message);
  const names: string[] = [];
  tokenize(cleanSubject(msg.subject), { prefix: 's:', limit: 40 }, names);
  if (msg.from) {
    tokenize(msg.from.name, { prefix: 'fn:', limit: 8 }, names);
    if (msg.from.domain) {
      names.push('fd:' + msg.from.domain, 'fb:' + baseDomain(msg.from.domain), 'ft:' + msg.from.domain.slice(msg.from.domain.lastIndexOf('.') + 1));
    }
  }
  // Shapes rather than values: how the From local part is built, how many recipients, links and words.
  if (msg.from?.address.includes('@')) names.push('fl:' + shape(msg.from.address.slice(0, msg.from.address.indexOf('@'))));
  const recipients = (header(msg, 'to') ?? '').split(',').filter((r) => r.includes('@')).length;
  names.push('n:to:' + bucket(recipients));
  const mailer = header(msg, 'x-mailer') ?? header(msg, 'user-agent');
  if (mailer) names.push('xm:' + (/^[a-z][a-z .-]{0,30}/i.exec(mailer)?.[0].trim().toLowerCase() ?? 'other'));
  for (const p of msg.parts) {
    names.push('ct:' + p.contentType, 'cte:' + p.transferEncoding);
    if (p.charset) names.push('cs:' + p.charset);
    if (p.filename) names.push('att:' + (/\.([a-z0-9]{1,5})$/i.exec(p.filename)?.[1].toLowerCase() ?? 'none'));
  }
  for (const t of msg.html.tags) names.push('tag:' + t);

  const text = stripListNoise(msg.text);
  const urls: UrlInfo[] = [];
  const rawUrls = [...msg.html.links.map((l) => l.href), ...findUrls(text, MAX_URLS)].slice(0, MAX_URLS);
  for (const raw of rawUrls) {
    const u = parseUrl(raw);
    if (!u || !u.host) continue;
    urls.push(u);
    names.push('u:' + (u.ipLiteral ? 'ip' : baseDomain(u.host)));
  }

  names.push('n:urls:' + bucket(urls.length), 'n:text:' + bucket((msg.text.length + msg.htmlText.length) >> 6));
  const rules = evaluateRules({ msg, urls, envelope: input.envelope, auth: input.auth, client: input.client });
  for (const r of rules) if (r.weight === 'learned') names.push('rule:' + r.id);

  const body = tokenize(text, { limit: MAX_BODY_TOKENS });
  if (msg.htmlText) tokenize(stripListNoise(msg.htmlText), { limit: MAX_BODY_TOKENS }, body);
  // Word pairs catch phrases ("click here", "remove you") that single words only hint at; interleaved with
  // the words so that the feature cap cuts both alike.
  for (let i = 0; i < body.length; i++) {
    names.push(body[i]);
    if (i + 1 < body.length && i < MAX_BIGRAMS && isSpacedWord(body[i]) && isSpacedWord(body[i + 1])) names.push(body[i] + ' ' + body[i + 1]);
  }

  const unique = [...new Set(names)];
  return { names: unique.length > MAX_FEATURES ? unique.slice(0, MAX_FEATURES) : unique, rules };
}
