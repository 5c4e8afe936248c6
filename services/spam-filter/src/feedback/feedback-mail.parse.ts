import { isMessageId } from '@torii/contracts';

/**
 * What a feedback report (SPAM14 by mail) says, read from its raw bytes. Pure: a small MIME walk that only
 * looks for attached messages and, in each, the Received header Torii's delivery stamped on it.
 */

/** Bounds against a hostile report: nesting, attached messages, and candidate ids per message. */
const MAX_DEPTH = 8;
const MAX_ATTACHED = 20;
const MAX_IDS = 5;

/**
 * Our hop, as delivery writes it (`formatReceived` in @torii/mime): `by <host> (Torii) with ESMTP id <id>`.
 * The id is the message id of the 250 reply (a ULID), the key of the scored message.
 */
const TORII_RECEIVED = /\bby\s+\S+\s+\(Torii\)\s+with\s+[A-Za-z]+\s+id\s+([0-9A-Za-z]{26})(?![0-9A-Za-z])/;

export interface AttachedMessage {
  /** Torii message ids found in the attached message's Received headers, the topmost (latest hop) first. */
  ids: string[];
}

/**
 * Every message attached to the report (a `message/rfc822` part, or an `.eml` file sent as octet-stream),
 * in order, with the Torii ids its headers name. A forward inline in the body (no attachment) is not read:
 * its headers are not the message's own. Messages inside an attached message are not looked into.
 */
export function attachedMessages(raw: Buffer): AttachedMessage[] {
  const found: string[] = [];
  walk(raw.toString('latin1'), 0, found);
  return found.map((message) => ({ ids: toriiIds(message) }));
}

/** Torii ids in a message's Received headers, topmost first (the latest hop is the delivery to the reporter). */
export function toriiIds(message: string): string[] {
  const ids: string[] = [];
  for (const field of headerFields(split(message).head)) {
    if (field.name !== 'received') continue;
    const match = TORII_RECEIVED.exec(field.value);
    const id = match?.[1].toUpperCase();
    if (id && isMessageId(id) && !ids.includes(id)) ids.push(id);
    if (ids.length >= MAX_IDS) break;
  }
  return ids;
}

function walk(entity: string, depth: number, found: string[]): void {
  if (depth > MAX_DEPTH || found.length >= MAX_ATTACHED) return;
  const { head, body } = split(entity);
  const fields = headerFields(head);
  const type = parseHeaderValue(fieldValue(fields, 'content-type') ?? 'text/plain');
  const disposition = parseHeaderValue(fieldValue(fields, 'content-disposition') ?? '');
  const filename = disposition.params.filename ?? type.params.name ?? '';
  if (type.value.startsWith('multipart/')) {
    const boundary = type.params.boundary;
    if (!boundary) return;
    for (const part of multipartBodies(body, boundary)) walk(part, depth + 1, found);
    return;
  }
  // The root entity is the report itself, never one of its attachments.
  if (depth === 0) return;
  const attached = type.value === 'message/rfc822' || (type.value === 'application/octet-stream' && /\.eml$/i.test(filename));
  if (attached) found.push(decodeBody(body, (fieldValue(fields, 'content-transfer-encoding') ?? '').trim().toLowerCase()));
}

function split(entity: string): { head: string; body: string } {
  const match = /\r?\n\r?\n/.exec(entity);
  if (!match) return { head: entity, body: '' };
  return { head: entity.slice(0, match.index), body: entity.slice(match.index + match[0].length) };
}

interface HeaderField {
  /** Lower case. */
  name: string;
  /** Unfolded. */
  value: string;
}

function headerFields(head: string): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && fields.length > 0) {
      fields[fields.length - 1].value += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() });
  }
  return fields;
}

function fieldValue(fields: HeaderField[], name: string): string | undefined {
  return fields.find((f) => f.name === name)?.value;
}

/** `type/subtype; a=b; c="d"` → lower-case value and parameters (names lower case, values unquoted). */
function parseHeaderValue(text: string): { value: string; params: Record<string, string> } {
  const semicolon = text.indexOf(';');
  const value = (semicolon === -1 ? text : text.slice(0, semicolon)).trim().toLowerCase();
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  const param = /;\s*([A-Za-z0-9_.*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)/g;
  for (let match = param.exec(text); match; match = param.exec(text)) {
    const raw = match[2];
    params[match[1].toLowerCase()] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
  }
  return { value, params };
}

/** The parts of a multipart body (RFC 2046 §5.1.1): between `--boundary` lines, up to `--boundary--`. */
function multipartBodies(body: string, boundary: string): string[] {
  const delimiter = `--${boundary}`;
  const parts: string[] = [];
  let current: string[] | undefined;
  for (const line of body.split(/\r?\n/)) {
    if (line.startsWith(delimiter)) {
      const rest = line.slice(delimiter.length);
      if (rest.startsWith('--')) {
        if (current) parts.push(current.join('\r\n'));
        return parts;
      }
      if (rest.trim() === '') {
        if (current) parts.push(current.join('\r\n'));
        current = [];
        continue;
      }
    }
    current?.push(line);
  }
  // No closing delimiter (a truncated report): what was read still counts.
  if (current) parts.push(current.join('\r\n'));
  return parts;
}

function decodeBody(body: string, encoding: string): string {
  if (encoding === 'base64') return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64').toString('latin1');
  if (encoding === 'quoted-printable')
    return body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return body;
}
