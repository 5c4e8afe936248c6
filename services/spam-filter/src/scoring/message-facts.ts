import type { ParsedMessage } from '@torii/spam-engine';
import addressparser from 'nodemailer/lib/addressparser';

/**
 * What the allow and block lists look at, taken from the raw message: the From addresses and the Subject.
 * Separate from the engine's parse on purpose: the engine's features (and so the model) stay as trained.
 */

/**
 * Every address of every From field, lower-case, in order. nodemailer's parser (mailparser's) reads the raw
 * field, so a list (`a@x, b@y`), a group and quotes are honoured, and an encoded-word display name cannot
 * pose as the address (`=?utf-8?B?…?= <spam@evil.example>` whose name decodes to `<boss@partner.example>`).
 */
export function fromAddressesOf(parsed: Pick<ParsedMessage, 'headers'>): string[] {
  const fields = parsed.headers.filter((h) => h.name === 'from').map((h) => h.value);
  const addresses = fields.flatMap((value) => addressparser(value, { flatten: true }).map((a) => a.address.toLowerCase()));
  return [...new Set(addresses.filter((a) => a.includes('@')))];
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

// WHATWG labels (TextDecoder's) do not know these common aliases.
const CHARSET_ALIASES: Record<string, string> = { cp932: 'shift_jis', 'windows-932': 'shift_jis', 'x-euc': 'euc-jp', eucjp: 'euc-jp' };

/**
 * Bytes in one charset, or undefined when the label is unknown or a byte sequence is invalid. TextDecoder
 * (Node's ICU: Shift_JIS, EUC-JP, ISO-2022-JP, GB18030, Big5, EUC-KR, the single-byte ones) with `fatal`
 * is the strict decode: no U+FFFD ever comes out of it.
 */
function decodeStrict(bytes: Uint8Array, charset: string): string | undefined {
  const label = CHARSET_ALIASES[charset] ?? charset;
  try {
    return new TextDecoder(label, { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** The raw (unfolded) bytes of the first `name` field of the head, as a latin1 string; undefined when absent. */
function rawField(raw: Buffer, name: string): string | undefined {
  const text = raw.toString('latin1');
  const end = /\r?\n\r?\n/.exec(text);
  const head = end ? text.slice(0, end.index) : text;
  const field = new RegExp(`^${name}:[ \\t]*(.*(?:\\r?\\n[ \\t].*)*)`, 'im').exec(head);
  return field?.[1].replace(/\r?\n[ \t]+/g, ' ').trim();
}

/** The charset the message declares for its text: the first text/* part's, else the top-level Content-Type's. */
function declaredCharset(parsed: Pick<ParsedMessage, 'headers' | 'parts'>): string {
  const part = parsed.parts.find((p) => p.contentType.startsWith('text/') && p.charset);
  if (part) return part.charset;
  const top = parsed.headers.find((h) => h.name === 'content-type')?.value ?? '';
  return (/charset\s*=\s*"?([^";\s]+)/i.exec(top)?.[1] ?? '').toLowerCase();
}

const HALF_WIDTH_KANA = /[\uff61-\uff9f]/g;

/**
 * Raw 8-bit Japanese without a usable declaration: the strict decodes that succeed, EUC-JP or Shift_JIS. EUC-JP
 * bytes mostly decode as Shift_JIS too, into half-width katakana (its bytes 0xA1–0xDF); Shift_JIS lead bytes
 * 0x81–0x9F are invalid in EUC-JP. So of two clean decodes the one with fewer half-width kana wins.
 */
function decodeJapanese(bytes: Uint8Array): string | undefined {
  const candidates = ['euc-jp', 'shift_jis'].map((c) => decodeStrict(bytes, c)).filter((t): t is string => t !== undefined);
  const kana = (t: string) => t.match(HALF_WIDTH_KANA)?.length ?? 0;
  return candidates.sort((a, b) => kana(a) - kana(b))[0];
}

/**
 * A raw header field's text when the engine's parse cannot have decoded it, else undefined (the parse is right).
 * The engine decodes encoded words and raw UTF-8, but leaves a raw 8-bit field that is not UTF-8 as latin1
 * (mojibake) and raw ISO-2022-JP as escape sequences. Those are decoded here: ISO-2022-JP by its escapes; 8-bit
 * with the charset the message declares for its text when that decodes it cleanly, else as Shift_JIS or EUC-JP.
 */
function decodeRawField(raw: Buffer, parsed: Pick<ParsedMessage, 'headers' | 'parts'>, name: string): string | undefined {
  const field = rawField(raw, name);
  if (field === undefined) return undefined;
  // Raw ISO-2022-JP: 7-bit, but with escape sequences (ESC $ B, ESC $ @, ESC ( J …) and no encoded word. Old
  // Japanese mailers, and much Japanese spam (「未承諾広告※」), send the Subject and display names so.
  // eslint-disable-next-line no-control-regex
  if (/\x1b[$(]/.test(field) && !field.includes('=?')) {
    // An escape straight after another (`ESC ( B ESC $ B`, where a mailer joined two pieces) is an error to the
    // WHATWG decoder; the first one switches to nothing, so it goes.
    // eslint-disable-next-line no-control-regex
    const joined = field.replace(/\x1b\([BJ](?=\x1b)/g, '');
    return decodeStrict(Buffer.from(joined, 'latin1'), 'iso-2022-jp');
  }
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(field)) return undefined;
  const bytes = Buffer.from(field, 'latin1');
  try {
    strictUtf8.decode(bytes);
    return undefined; // raw UTF-8: the engine decoded it
  } catch {
    // not UTF-8: below
  }
  const declared = declaredCharset(parsed);
  // A declared us-ascii or utf-8 is wrong for these bytes (and TextDecoder reads us-ascii as windows-1252).
  const usable = declared && !['us-ascii', 'ascii', 'utf-8', 'utf8'].includes(declared) ? decodeStrict(bytes, declared) : undefined;
  return usable ?? decodeJapanese(bytes);
}

/** The Subject as the lists and the quarantine box see it, in any of the forms above. */
export function listSubject(raw: Buffer, parsed: Pick<ParsedMessage, 'headers' | 'parts' | 'subject'>): string {
  return decodeRawField(raw, parsed, 'subject') ?? parsed.subject;
}

/**
 * The sender as the quarantine box shows it, `Name <address>` (or the address): the engine's From address (the
 * one the score and the lists judged), its display name decoded like the Subject (a raw ISO-2022-JP or Shift_JIS
 * name shows as text, and is found by a search for it). The decoded field gives the name only, and only when it
 * names the same address: ISO-2022-JP's 7-bit kanji bytes can read as an address to one parser and as text to
 * the other, and the box must never show (or allow-list) an address other than the one that was judged.
 */
export function displaySender(raw: Buffer, parsed: Pick<ParsedMessage, 'headers' | 'parts' | 'from'>): string | undefined {
  const address = parsed.from?.address;
  if (!address) return undefined;
  const decoded = decodeRawField(raw, parsed, 'from');
  const first = decoded !== undefined ? addressparser(decoded, { flatten: true }).find((a) => a.address.includes('@')) : undefined;
  const name = first && first.address.toLowerCase() === address.toLowerCase() ? first.name : parsed.from?.name;
  return name ? `${name} <${address}>` : address;
}
