import { InvalidObjectKeyError } from './errors';

const MAX_KEY_BYTES = 1024; // the S3 limit

/** Throws InvalidObjectKeyError unless `key` is a safe relative object key. */
export function assertValidKey(key: string): void {
  const fail = (reason: string): never => {
    throw new InvalidObjectKeyError(key, reason);
  };
  if (key.length === 0) fail('empty');
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) fail(`longer than ${MAX_KEY_BYTES} bytes`);
  if (key.startsWith('/')) fail('leading slash');
  if (key.includes('\\')) fail('backslash');
  // eslint-disable-next-line no-control-regex -- control characters are exactly what we reject
  if (/[\u0000-\u001f\u007f]/.test(key)) fail('control character');
  for (const segment of key.split('/')) {
    if (segment === '..' || segment === '.') fail(`"${segment}" segment`);
  }
}

/** A prefix for list(): like a key, but may be empty and may end with a slash. */
export function assertValidPrefix(prefix: string): void {
  if (prefix !== '') assertValidKey(prefix);
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export interface MessageKeyParts {
  tenantId: string;
  messageId: string;
  /** Only the UTC day is encoded in the key. */
  receivedAt: Date;
}

/**
 * Where a received message lives: one folder per tenant and UTC day, so a tenant's mail can be listed,
 * expired or exported by prefix. `mail/<tenantId>/<YYYY>/<MM>/<DD>/<messageId>.eml`.
 */
export function messageKey({ tenantId, receivedAt, messageId }: MessageKeyParts): string {
  if (!ID.test(tenantId))
    throw new InvalidObjectKeyError(tenantId, 'tenant id must be letters, digits, - or _');
  if (!ID.test(messageId))
    throw new InvalidObjectKeyError(messageId, 'message id must be letters, digits, - or _');
  if (Number.isNaN(receivedAt.getTime())) throw new InvalidObjectKeyError(String(receivedAt), 'invalid date');
  return `${messagePrefix(tenantId, receivedAt)}${messageId}.eml`;
}

/** The folder of one tenant (and optionally one UTC day), for list(). */
export function messagePrefix(tenantId: string, day?: Date): string {
  if (!ID.test(tenantId))
    throw new InvalidObjectKeyError(tenantId, 'tenant id must be letters, digits, - or _');
  return day ? `mail/${tenantId}/${utcDayPath(day)}/` : `mail/${tenantId}/`;
}

function utcDayPath(day: Date): string {
  const yyyy = String(day.getUTCFullYear()).padStart(4, '0');
  const mm = String(day.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(day.getUTCDate()).padStart(2, '0');
  return `${yyyy}/${mm}/${dd}`;
}

// Submission ids are made of a purpose, a message id and sometimes an address: longer than a message id.
const SUBMIT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,511}$/;

/**
 * Where a message the gateway writes itself (a DSN, a quarantine release or digest, a virus warning) waits
 * for the `mail.submit` that sends it: `submit/<tenantId>/<YYYY>/<MM>/<DD>/<submitId>.eml`, by UTC day.
 */
export function submitKey({ tenantId, submittedAt, submitId }: { tenantId: string; submittedAt: Date; submitId: string }): string {
  if (!ID.test(tenantId))
    throw new InvalidObjectKeyError(tenantId, 'tenant id must be letters, digits, - or _');
  if (!SUBMIT_ID.test(submitId))
    throw new InvalidObjectKeyError(submitId, 'submission id must be letters, digits, - or _ (at most 512)');
  if (Number.isNaN(submittedAt.getTime())) throw new InvalidObjectKeyError(String(submittedAt), 'invalid date');
  return `submit/${tenantId}/${utcDayPath(submittedAt)}/${submitId}.eml`;
}

const MESSAGE_KEY =
  /^mail\/([A-Za-z0-9][A-Za-z0-9_-]{0,127})\/(\d{4})\/(\d{2})\/(\d{2})\/([A-Za-z0-9][A-Za-z0-9_-]{0,127})\.eml$/;

/** The parts of a key made by messageKey(), or null for any other key (or an impossible date). */
export function parseMessageKey(key: string): MessageKeyParts | null {
  const match = MESSAGE_KEY.exec(key);
  if (!match) return null;
  const [, tenantId, yyyy, mm, dd, messageId] = match;
  const receivedAt = new Date(Date.UTC(Number(yyyy), Number(mm) - 1, Number(dd)));
  // Date.UTC rolls 2024-02-30 over to March; such a key was not made by messageKey().
  if (receivedAt.getUTCMonth() !== Number(mm) - 1 || receivedAt.getUTCDate() !== Number(dd)) return null;
  return { tenantId, messageId, receivedAt };
}

/**
 * The MailReceived event stored beside a raw message (`…/<id>.eml` → `…/<id>.json`). The edge writes it
 * before it answers 250; delivery's reconciliation republishes an object that has no delivery record from
 * it, and ignores an object without one (the edge never finished, so nobody was told 250).
 */
export function sidecarKey(objectKey: string): string {
  if (!objectKey.endsWith('.eml')) throw new Error(`not a message key: ${objectKey}`);
  return `${objectKey.slice(0, -'.eml'.length)}.json`;
}
