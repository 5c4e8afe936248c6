/**
 * How delivery edits a message for the spam verdict, as pure functions (no Nest): the Subject tag that keeps
 * encoded words intact, header text in RFC 2047 when it is not ASCII, and the per-domain failure rule.
 */
import type { JoinPolicy } from '../verdicts/verdict-join.rules';

/**
 * The Subject value with `tag` in front. The tag goes in as its own ASCII word before whatever the value
 * holds (RFC 2047 encoded words such as `=?ISO-2022-JP?B?...?=`, raw 7-bit JIS, plain text), separated by a
 * space, so every encoded word stays whole and a decoder shows `[SPAM!!] <decoded subject>`. The value is
 * bytes and stays bytes: a raw 8-bit subject (UTF-8 under SMTPUTF8, or Shift_JIS, EUC-JP, Latin-1 that nothing
 * declares) follows the tag exactly as it came, never decoded, so never garbled. A subject that already starts
 * with the tag is left alone (a re-delivery, a reply).
 */
export function taggedSubject(value: Buffer | undefined, tag: string): Buffer {
  const subject = value ?? Buffer.alloc(0);
  const word = Buffer.from(encodeHeaderText(tag.trim()));
  if (!word.length) return subject;
  const tagged = Buffer.concat([word, Buffer.from(' ')]);
  if (subject.equals(word) || subject.subarray(0, tagged.length).equals(tagged)) return subject;
  return subject.length ? Buffer.concat([tagged, subject]) : word;
}

// Bytes of UTF-8 per encoded word: keeps each `=?UTF-8?B?...?=` within 75 characters (RFC 2047 2).
const WORD_BYTES = 45;

/** Header text as it may go on the wire: unchanged when printable ASCII, else UTF-8 B encoded words. */
export function encodeHeaderText(text: string): string {
  const clean = text.replace(/[\r\n]+/g, ' ');
  if (/^[\x20-\x7e]*$/.test(clean)) return clean;
  const words: string[] = [];
  let chunk = '';
  for (const char of clean) {
    if (Buffer.byteLength(chunk + char) > WORD_BYTES) {
      words.push(chunk);
      chunk = '';
    }
    chunk += char;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w).toString('base64')}?=`).join(' ');
}

/**
 * The domain's spam failure rule from its directory settings (`spam_policy`, set through the tenant
 * service's PUT .../policies/spam): `on_failure = hold` holds mail while spam-filter is down or slow instead
 * of delivering it unchecked with a header (the default, fail open).
 */
export function spamJoinPolicy(policy: JoinPolicy, spamSettings: Record<string, string> = {}): JoinPolicy {
  if (spamSettings['on_failure'] !== 'hold') return policy;
  return { ...policy, spam: { ...policy.spam, onFailure: 'fail-closed' } };
}
