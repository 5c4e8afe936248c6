import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Works from src/ (Jest, ts) and from dist/ (built): both sit beside fixtures/. */
const FIXTURES = join(__dirname, '..', 'fixtures');

/**
 * The hand-written messages in libs/testing/fixtures (CRLF, byte-exact):
 * plain, multipart-attachment, japanese-iso2022jp, html-only, with-auth-results.
 */
export type FixtureName =
  'plain' | 'multipart-attachment' | 'japanese-iso2022jp' | 'html-only' | 'with-auth-results';

/** Path of a fixture; the `.eml` suffix is optional. */
export function fixturePath(name: FixtureName | (string & {})): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name) || name.startsWith('.'))
    throw new Error(`bad fixture name ${JSON.stringify(name)}`);
  return join(FIXTURES, name.endsWith('.eml') ? name : `${name}.eml`);
}

/** The bytes of a fixture message. */
export function fixture(name: FixtureName | (string & {})): Buffer {
  return readFileSync(fixturePath(name));
}

/** Every fixture name, without `.eml`. */
export function fixtureNames(): string[] {
  return readdirSync(FIXTURES)
    .filter((file) => file.endsWith('.eml'))
    .map((file) => file.slice(0, -4))
    .sort();
}
