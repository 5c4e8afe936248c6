import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const SCRYPT = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function deriveKey(secret: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, KEY_LENGTH, { ...options, maxmem: 64 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** `scrypt$N$r$p$salt$hash` (base64url): the parameters travel with the hash so they can be raised later. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await deriveKey(secret, salt, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Constant-time comparison against a `hashSecret` result; a malformed hash never verifies. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0) || N > 1 << 20) return false;
  const expected = Buffer.from(parts[5], 'base64url');
  if (expected.length !== KEY_LENGTH) return false;
  const actual = await deriveKey(secret, Buffer.from(parts[4], 'base64url'), { N, r, p });
  return timingSafeEqual(actual, expected);
}

const API_KEY = /^torii_([0-9a-f]{16})_([0-9a-f]{48})$/;

export interface GeneratedApiKey {
  /** Public, stored in clear: finds the row. */
  id: string;
  secret: string;
  /** What the caller is shown once: `torii_<id>_<secret>`. */
  key: string;
  /** What is stored: `hashSecret(secret)`. */
  hash: string;
}

export async function generateApiKey(): Promise<GeneratedApiKey> {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(24).toString('hex');
  return { id, secret, key: `torii_${id}_${secret}`, hash: await hashSecret(secret) };
}

/** The id and secret of a well-formed API key, or undefined (so garbage never reaches a lookup). */
export function parseApiKey(key: string): { id: string; secret: string } | undefined {
  const match = API_KEY.exec(key);
  return match ? { id: match[1], secret: match[2] } : undefined;
}

export const looksLikeApiKey = (credential: string): boolean => credential.startsWith('torii_');
