/**
 * Text → tokens. Spaced scripts give words; scripts written without spaces (Han, Hiragana, Katakana, Thai)
 * give overlapping character bigrams of each run (a one-character run stays a unigram). Digits are folded to
 * `0` so that prices, dates and order numbers generalise instead of being memorised one by one.
 */

const TOKEN_RE =
  /([\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Thai}\u30fc\u3005]+)|([\p{L}\p{M}\p{N}$€£¥]+(?:['’.\-_][\p{L}\p{M}\p{N}]+)*)/gu;

const MAX_WORD = 24;

export interface TokenizeOptions {
  /** Prefix added to each token (e.g. `s:` for the Subject). */
  prefix?: string;
  /** Stop after this many tokens. */
  limit?: number;
}

export function tokenize(text: string, options: TokenizeOptions = {}, out: string[] = []): string[] {
  const prefix = options.prefix ?? '';
  const limit = options.limit ?? 4000;
  const start = out.length;
  // NFKC folds half-width katakana and full-width Latin, common in Japanese spam; ASCII needs none of it.
  // eslint-disable-next-line no-control-regex
  const normalised = /[^\x00-\x7f]/.test(text) ? text.normalize('NFKC') : text;
  const lower = normalised.toLowerCase();
  TOKEN_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = TOKEN_RE.exec(lower)) && out.length - start < limit) {
    if (m[1] !== undefined) {
      const run = m[1];
      if (run.length === 1) {
        out.push(prefix + run);
        continue;
      }
      for (let i = 0; i + 1 < run.length; i++) out.push(prefix + run.slice(i, i + 2));
      continue;
    }
    let word = m[2];
    if (word.length < 2) continue;
    if (word.length > MAX_WORD) {
      out.push(prefix + 'long:' + word.slice(0, 6).replace(/\d/g, '0'));
      continue;
    }
    if (/\d/.test(word)) word = word.replace(/\d+/g, (d) => (d.length > 4 ? '0+' : '0'.repeat(d.length)));
    out.push(prefix + word);
  }
  return out;
}

/** Whether a UTF-16 code unit is whitespace as a RegExp's `\s` sees it (WhiteSpace and LineTerminator). */
export function isSpaceCode(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** `text.replace(/\s+/g, '').length`, counted without building the string. */
export function nonSpaceLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) if (!isSpaceCode(text.charCodeAt(i))) n++;
  return n;
}

export interface UrlInfo {
  url: string;
  host: string;
  /** The host is an IPv4 or IPv6 literal (or a bare number). */
  ipLiteral: boolean;
  /** The URL carries user info (`http://bank.com@evil.example/`). */
  userInfo: boolean;
  /** The host was percent- or numerically obfuscated. */
  obfuscated: boolean;
}

const URL_RE = /\b(?:https?:\/\/|www\.)[^\s<>"'()]+/gi;

export function findUrls(text: string, limit = 60): string[] {
  const out: string[] = [];
  URL_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = URL_RE.exec(text)) && out.length < limit) out.push(m[0]);
  return out;
}

export function parseUrl(raw: string): UrlInfo | undefined {
  const url = raw.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  if (!scheme && !/^www\./i.test(url)) return undefined;
  if (scheme && !/^https?$/i.test(scheme[1])) return undefined;
  const rest = scheme ? url.slice(scheme[0].length) : url;
  let authority = rest.split(/[/?#\\]/, 1)[0];
  const userInfo = authority.includes('@');
  if (userInfo) authority = authority.slice(authority.lastIndexOf('@') + 1);
  let host = authority.replace(/:\d*$/, '').toLowerCase();
  const obfuscated = /%[0-9a-f]{2}/i.test(host) || /&#/.test(host);
  if (obfuscated) {
    try {
      host = decodeURIComponent(host);
    } catch {
      /* keep as is */
    }
  }
  host = host.replace(/\.+$/, '');
  const ipLiteral = /^\d{1,3}(?:\.\d{1,3}){3}$/.test(host) || /^\[[0-9a-f:.]+\]$/.test(host) || /^(?:0x[0-9a-f]+|\d{8,10})$/.test(host);
  return { url, host, ipLiteral, userInfo, obfuscated };
}

/** The last two labels (three under a two-letter ccTLD with a short second level: `example.co.jp`). */
export function baseDomain(host: string): string {
  const labels = host.split('.').filter(Boolean);
  if (labels.length <= 2) return labels.join('.');
  const tld = labels[labels.length - 1];
  const sld = labels[labels.length - 2];
  const take = tld.length === 2 && (sld.length <= 3 || ['com', 'net', 'org', 'gov', 'edu', 'ac', 'co', 'ne', 'or', 'go'].includes(sld)) ? 3 : 2;
  return labels.slice(-take).join('.');
}
