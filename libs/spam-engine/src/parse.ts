import libmime from 'libmime';
import { decode as decodeCharset } from 'libmime/lib/charset';
import { extractHtml, type HtmlInfo } from './html';

/**
 * A lean MIME reader for scoring. mailparser builds streams, attachments and address objects we do not need
 * and costs several milliseconds a message; this walks the tree once on a latin1 view of the bytes, decodes
 * only text parts (capped) and leaves attachments as a type, a name and a size.
 */

export interface HeaderField {
  /** Lower-case name. */
  name: string;
  /** Unfolded raw value (8-bit bytes read as UTF-8 when valid). */
  value: string;
  /** The name as written (`Message-Id`, `MIME-Version`). Set by parseMessage. */
  rawName?: string;
}

export interface MailAddress {
  name: string;
  address: string;
  domain: string;
}

export interface PartInfo {
  contentType: string;
  charset: string;
  transferEncoding: string;
  disposition: string;
  filename: string;
  size: number;
}

export interface ParsedMessage {
  headers: HeaderField[];
  subject: string;
  from: MailAddress | undefined;
  replyTo: MailAddress | undefined;
  /** Decoded text of the text/plain parts. */
  text: string;
  /** Text extracted from the text/html parts. */
  htmlText: string;
  html: HtmlInfo;
  parts: PartInfo[];
  hasTextPlain: boolean;
  hasHtml: boolean;
  /** Structural problems seen while parsing (e.g. `missing-boundary`). */
  defects: string[];
  /** The MIME tree as a short shape, e.g. `mixed(alternative(plain,html),jpeg)`. Optional: set by parseMessage. */
  shape?: string;
  /** The first RAW_BODY_BYTES of the undecoded body (latin1 view), for the character-gram model. Optional: set by parseMessage. */
  rawBody?: string;
}

export const RAW_BODY_BYTES = 8192;

const MAX_DEPTH = 8;
const MAX_PARTS = 40;
const MAX_TEXT_BYTES = 64 * 1024;

export function header(msg: Pick<ParsedMessage, 'headers'>, name: string): string | undefined {
  for (const h of msg.headers) if (h.name === name) return h.value;
  return undefined;
}

export function headers(msg: Pick<ParsedMessage, 'headers'>, name: string): string[] {
  return msg.headers.filter((h) => h.name === name).map((h) => h.value);
}

/** Parses a raw message. A leading mbox `From ` line is skipped. */
export function parseMessage(raw: Buffer | string): ParsedMessage {
  let s = typeof raw === 'string' ? raw : raw.toString('latin1');
  if (s.startsWith('From ')) {
    const nl = s.indexOf('\n');
    s = nl < 0 ? '' : s.slice(nl + 1);
  }
  const msg: ParsedMessage = {
    headers: [],
    subject: '',
    from: undefined,
    replyTo: undefined,
    text: '',
    htmlText: '',
    html: { links: [], images: 0, tags: [], hidden: false, textLength: 0 },
    parts: [],
    hasTextPlain: false,
    hasHtml: false,
    defects: [],
  };
  const { head, body } = splitHeadBody(s);
  msg.headers = parseHeaders(head);
  msg.rawBody = body.slice(0, RAW_BODY_BYTES);
  msg.subject = decodeHeaderText(header(msg, 'subject') ?? '');
  msg.from = parseAddress(header(msg, 'from'));
  msg.replyTo = parseAddress(header(msg, 'reply-to'));
  const texts: string[] = [];
  const htmls: string[] = [];
  msg.shape = walk(msg, msg.headers, body, 0, texts, htmls);
  msg.text = texts.join('\n');
  if (htmls.length) {
    msg.html = extractHtml(htmls.join('\n'));
    msg.htmlText = msg.html.text ?? '';
  }
  return msg;
}

function splitHeadBody(s: string): { head: string; body: string } {
  const m = /\r?\n\r?\n/.exec(s);
  if (!m) return { head: s, body: '' };
  return { head: s.slice(0, m.index), body: s.slice(m.index + m[0].length) };
}

function parseHeaders(head: string): HeaderField[] {
  const out: HeaderField[] = [];
  const lines = head.split(/\r?\n/);
  for (const line of lines) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && out.length) {
      out[out.length - 1].value += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const rawName = line.slice(0, colon).trim();
    const name = rawName.toLowerCase();
    out.push({ name, value: line.slice(colon + 1).trim(), rawName });
  }
  for (const h of out) {
    // eslint-disable-next-line no-control-regex
    if (/[^\x00-\x7f]/.test(h.value)) h.value = latin1ToUtf8(h.value);
  }
  return out;
}

/** Raw 8-bit header bytes: UTF-8 when that decodes cleanly, otherwise left as latin1. */
function latin1ToUtf8(s: string): string {
  const decoded = Buffer.from(s, 'latin1').toString('utf8');
  return decoded.includes('\ufffd') ? s : decoded;
}

export function decodeHeaderText(value: string): string {
  if (!value.includes('=?')) return value;
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

export function parseAddress(value: string | undefined): MailAddress | undefined {
  if (!value) return undefined;
  const decoded = decodeHeaderText(value);
  // The angle address is read from the raw value, outside quoted strings: an encoded display name decodes to
  // any text, `<partner@good.example>` included, and neither it nor a quoted `"Partner <p@good.example>"`
  // may pass for the address. (Blanking keeps the offsets.)
  const unquoted = value.replace(/"(?:[^"\\]|\\.)*"/g, (quoted) => ' '.repeat(quoted.length));
  const angle = /<([^<>]*)>/.exec(unquoted);
  let address: string;
  let name: string;
  if (angle) {
    address = angle[1].trim();
    name = decodeHeaderText(value.slice(0, angle.index)).trim();
  } else {
    const bare = /[^\s<>"(),;:]+@[^\s<>"(),;:]+/.exec(decoded);
    address = bare ? bare[0] : decoded.trim();
    name = decoded.replace(address, '').replace(/[()]/g, ' ').trim();
  }
  name = name.replace(/^"+|"+$/g, '').trim();
  address = address.toLowerCase();
  const at = address.lastIndexOf('@');
  return { name, address, domain: at >= 0 ? address.slice(at + 1).replace(/[>\].]+$/, '') : '' };
}

function walk(msg: ParsedMessage, hdrs: HeaderField[], body: string, depth: number, texts: string[], htmls: string[]): string {
  if (msg.parts.length >= MAX_PARTS || depth > MAX_DEPTH) return '…';
  const ctRaw = header({ headers: hdrs }, 'content-type') ?? 'text/plain';
  const ct = safeParseHeaderValue(ctRaw);
  const type = (ct.value || 'text/plain').toLowerCase();
  const cte = (header({ headers: hdrs }, 'content-transfer-encoding') ?? '7bit').toLowerCase().trim();
  const cd = safeParseHeaderValue(header({ headers: hdrs }, 'content-disposition') ?? '');
  const filename = decodeHeaderText(cd.params.filename ?? ct.params.name ?? '');

  if (type.startsWith('multipart/')) {
    const boundary = ct.params.boundary;
    if (!boundary) {
      msg.defects.push('missing-boundary');
      texts.push(body.slice(0, MAX_TEXT_BYTES));
      return type.slice(10, 22) + '()';
    }
    const parts = splitMultipart(body, boundary);
    if (!parts.length) msg.defects.push('empty-multipart');
    const shapes: string[] = [];
    for (const part of parts) {
      const { head, body: partBody } = splitHeadBody(part);
      const partHeaders = /^\r?\n/.test(part) ? [] : parseHeaders(head);
      shapes.push(walk(msg, partHeaders, /^\r?\n/.test(part) ? part.replace(/^\r?\n/, '') : partBody, depth + 1, texts, htmls));
    }
    return type.slice(10, 22) + '(' + shapes.slice(0, 6).join(',') + ')';
  }
  const charset = (ct.params.charset ?? '').toLowerCase();
  msg.parts.push({ contentType: type, charset, transferEncoding: cte, disposition: cd.value.toLowerCase(), filename, size: body.length });
  if (type === 'message/rfc822') {
    const inner = parseMessage(body.slice(0, MAX_TEXT_BYTES * 2));
    texts.push(inner.subject, inner.text);
    if (inner.htmlText) htmls.push(inner.htmlText);
    return 'rfc822';
  }
  const subtype = type.slice(type.indexOf('/') + 1, type.indexOf('/') + 13);
  const isAttachment = cd.value.toLowerCase() === 'attachment' || (filename !== '' && !type.startsWith('text/'));
  if (isAttachment || !type.startsWith('text/')) return subtype;
  const decoded = decodeBody(body.slice(0, cte === 'base64' ? MAX_TEXT_BYTES * 1.4 : MAX_TEXT_BYTES), cte, charset);
  if (type === 'text/html') {
    msg.hasHtml = true;
    htmls.push(decoded);
  } else {
    if (type === 'text/plain') msg.hasTextPlain = true;
    texts.push(decoded);
  }
  return subtype;
}

function safeParseHeaderValue(value: string): { value: string; params: Record<string, string> } {
  try {
    const parsed = libmime.parseHeaderValue(value);
    return { value: parsed.value ?? '', params: (parsed.params ?? {}) as Record<string, string> };
  } catch {
    return { value: value.split(';')[0].trim(), params: {} };
  }
}

function splitMultipart(body: string, boundary: string): string[] {
  const delim = '--' + boundary;
  const parts: string[] = [];
  let start = -1;
  let idx = findDelimiter(body, delim, 0);
  while (idx >= 0) {
    if (start >= 0) parts.push(body.slice(start, idx).replace(/\r?\n$/, ''));
    if (body.startsWith('--', idx + delim.length)) return parts;
    const nl = body.indexOf('\n', idx);
    if (nl < 0) return parts;
    start = nl + 1;
    idx = findDelimiter(body, delim, start);
  }
  if (start >= 0) parts.push(body.slice(start));
  return parts;
}

function findDelimiter(body: string, delim: string, from: number): number {
  let i = body.indexOf(delim, from);
  while (i > 0 && body.charCodeAt(i - 1) !== 10) i = body.indexOf(delim, i + 1);
  return i;
}

/** Transfer decoding then charset decoding. `body` is a latin1 view of the raw bytes. */
export function decodeBody(body: string, cte: string, charset: string): string {
  let bytes: Buffer;
  if (cte === 'base64') bytes = Buffer.from(body, 'base64');
  else if (cte === 'quoted-printable') bytes = decodeQuotedPrintable(body);
  else bytes = Buffer.from(body, 'latin1');
  return decodeText(bytes, charset);
}

/** Decodes bytes in a declared charset; undeclared ISO-2022-JP (escape sequences) is recognised. */
export function decodeText(bytes: Buffer, charset: string): string {
  let cs = charset;
  if (!cs || cs === 'us-ascii' || cs === 'ascii') {
    if (bytes.includes(0x1b)) cs = 'iso-2022-jp';
    else return latin1ToUtf8(bytes.toString('latin1'));
  }
  try {
    return decodeCharset(bytes, cs);
  } catch {
    return bytes.toString('utf8');
  }
}

export function decodeQuotedPrintable(s: string): Buffer {
  const out = Buffer.allocUnsafe(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 61 /* = */) {
      const next = s.charCodeAt(i + 1);
      if (next === 13 || next === 10) {
        i += next === 13 && s.charCodeAt(i + 2) === 10 ? 2 : 1;
        continue;
      }
      const hex = parseInt(s.substr(i + 1, 2), 16);
      if (!Number.isNaN(hex) && /^[0-9a-fA-F]{2}$/.test(s.substr(i + 1, 2))) {
        out[n++] = hex;
        i += 2;
        continue;
      }
    }
    out[n++] = c & 0xff;
  }
  return out.subarray(0, n);
}
