import { randomBytes } from 'node:crypto';

// Crockford base32, as ULID uses: no I, L, O, U; sorts the same as the underlying bits.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/**
 * A new message id (MailReceived.message_id, MailSubmit.submit_id): a ULID, 26 characters, 48 bits of
 * milliseconds then 80 random bits. Ids sort by creation time, which keeps object keys and logs in order.
 */
export function newMessageId(now: number = Date.now()): string {
  if (!Number.isInteger(now) || now < 0 || now > 2 ** 48 - 1) throw new RangeError(`bad ULID time: ${now}`);
  let time = '';
  for (let rest = now, i = 0; i < 10; i++, rest = Math.floor(rest / 32)) time = ALPHABET[rest % 32] + time;
  const random = randomBytes(10);
  let bits = 0n;
  for (const byte of random) bits = (bits << 8n) | BigInt(byte);
  let tail = '';
  for (let i = 0; i < 16; i++, bits >>= 5n) tail = ALPHABET[Number(bits & 31n)] + tail;
  return time + tail;
}

/** True for a well-formed message id (as made by newMessageId). */
export function isMessageId(value: string): boolean {
  return ID_PATTERN.test(value);
}

/** The creation time encoded in a message id, in milliseconds since the epoch. */
export function messageIdTime(id: string): number {
  if (!isMessageId(id)) throw new RangeError(`not a message id: "${id}"`);
  let ms = 0;
  for (const char of id.slice(0, 10)) ms = ms * 32 + ALPHABET.indexOf(char);
  return ms;
}
