import { cleanSubject } from './subject';
import { header, type ParsedMessage } from './parse';

/**
 * The second model's input: binary character n-grams of the first few thousand bytes of the message as it
 * travels (a few header lines, then the undecoded body: markup, MIME boundaries, encodings and all), after
 * Sculley & Wachman's TREC 2006/07 filters. It sees what the word model cannot (how the message is built,
 * obfuscated words, `=3D` and `&nbsp;` habits) and is trained and normalised on its own, so it does not
 * dilute the word features; the two models' margins are combined by a stacked logistic fit.
 */
export interface GramOptions {
  /** Gram length in characters. */
  n: number;
  /** How many characters of header lines + body are read. */
  length: number;
  /** Lower-case the text first. */
  fold: boolean;
  /** 'raw': a few header lines + the undecoded body; 'decoded': Subject, From and the decoded text. */
  source: 'raw' | 'decoded';
}

// Chosen on train-CV (bench/spam/cv-ensemble.ts, RESULTS.md round 4): 6-grams of 3,000 characters, case kept.
export const DEFAULT_GRAM_OPTIONS: GramOptions = { n: 6, length: 3000, fold: false, source: 'raw' };

// Header lines that say how a message was written, at any site and in any year. Not: Received, Date,
// Message-ID, To/Cc (the collector's own addresses), List-*, X-Spam-* (a verdict: a leak), other X-*.
const GRAM_HEADERS = ['from', 'reply-to', 'mime-version', 'content-type', 'content-transfer-encoding', 'x-mailer', 'user-agent', 'x-priority', 'x-msmail-priority', 'importance'];

/** Mailing-list footers name the list: cut, as for the word features. */
function stripFooter(text: string): string {
  const footer = /\n_{10,}\s*\n[^\n]*(?:mailing list|listinfo|list-request)[\s\S]*$/i.exec(text);
  return footer ? text.slice(0, footer.index) : text;
}

/** The text the grams are taken from. */
export function gramText(msg: ParsedMessage, o: GramOptions = DEFAULT_GRAM_OPTIONS): string {
  let t = 'subject: ' + cleanSubject(msg.subject) + '\n';
  if (o.source === 'decoded') {
    t += 'from: ' + (msg.from ? `${msg.from.name} <${msg.from.address}>` : '') + '\n\n' + stripFooter(msg.text) + '\n' + msg.htmlText;
  } else {
    // From and Reply-To decoded (an encoded word only says the name is not ASCII), the rest as written.
    for (const name of GRAM_HEADERS) {
      const address = name === 'from' ? msg.from : name === 'reply-to' ? msg.replyTo : undefined;
      const v = address ? `${address.name} <${address.address}>` : header(msg, name);
      if (v !== undefined) t += name + ': ' + v + '\n';
    }
    t += '\n' + stripFooter(msg.rawBody ?? msg.text + '\n' + msg.htmlText);
  }
  t = t.slice(0, o.length);
  // Charset names say which language, not whether it is spam (see FeatureOptions.languageNeutral); digits
  // are folded (dates, prices, MIME boundary stamps).
  // `charset=3D"…"` is the same in quoted-printable HTML; `=?iso-2022-jp?B?` names it in an encoded word.
  t = t
    .replace(/charset\s*=(?:3d)?\s*["']?[^\s"';>]*["']?/gi, 'charset=x')
    .replace(/=\?[^?\s]+\?([bq])\?/gi, '=?x?$1?')
    .replace(/[0-9]/g, '0');
  return o.fold ? t.toLowerCase() : t;
}

// Open-addressing set reused across calls (a JS Set of numbers costs more than the hashing itself); the stamp
// array marks a slot as used in the current call without clearing the table.
let slots = new Uint32Array(0);
let stamps = new Uint32Array(0);
let stamp = 0;
// Scratch output, reused too: only the distinct grams are copied out.
let scratchHashes = new Uint32Array(0);
let scratchAt = new Uint32Array(0);

/** FNV-1a over UTF-16 code units of text[i, i+n): the same as hashFeature(text.slice(i, i + n)). */
export function gramHash(text: string, i: number, n: number): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < n; k++) {
    h ^= text.charCodeAt(i + k);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Distinct n-gram hashes of the text, in order of first appearance. */
export function gramHashes(text: string, n: number): Uint32Array {
  return gramHashesAt(text, n).hashes;
}

/** Distinct n-gram hashes of the text in order of first appearance, and where each first appears. */
export function gramHashesAt(text: string, n: number): { hashes: Uint32Array; at: Uint32Array } {
  const count = Math.max(0, text.length - n + 1);
  let size = 1024;
  while (size < count * 2) size *= 2;
  if (slots.length < size) {
    slots = new Uint32Array(size);
    stamps = new Uint32Array(size);
    stamp = 0;
  }
  const mask = slots.length - 1;
  if (++stamp === 0xffffffff) {
    stamps.fill(0);
    stamp = 1;
  }
  if (scratchHashes.length < count) {
    scratchHashes = new Uint32Array(count);
    scratchAt = new Uint32Array(count);
  }
  const out = scratchHashes;
  const at = scratchAt;
  let k = 0;
  for (let i = 0; i < count; i++) {
    const h = gramHash(text, i, n);
    let j = Math.imul(h, 0x9e3779b1) >>> 0;
    for (;;) {
      j &= mask;
      if (stamps[j] !== stamp) {
        stamps[j] = stamp;
        slots[j] = h;
        at[k] = i;
        out[k++] = h;
        break;
      }
      if (slots[j] === h) break;
      j++;
    }
  }
  return { hashes: out.slice(0, k), at: at.slice(0, k) };
}

export function messageGrams(msg: ParsedMessage, o: GramOptions = DEFAULT_GRAM_OPTIONS): Uint32Array {
  return gramHashes(gramText(msg, o), o.n);
}
