import { cleanSubject } from './subject';

/**
 * Campaign keys and grouped folds, for fitting the calibration on margins of mail from campaigns a model has not
 * seen (round 8, bench/spam/RESULTS.md). Random folds put near-copies of one campaign (same Subject, same text,
 * another Message-ID) on both sides, so out-of-fold margins are optimistic for mail of a new campaign.
 *
 * Two messages are of one campaign when they share a key: the normalised Subject, or one band of a MinHash of the
 * body's word 5-shingles (a near-duplicate text). The sender is not a key: in this corpus it ties each mailing
 * list's threads together into one component of a quarter of the ham, and as a calibration key it measured worse.
 */

const HASHES = 24;
const ROWS = 4;
const MIN_WORDS = 15;
const BODY_CHARS = 4000;

/**
 * Subject: list tags and Re:/Fwd: cut, lower-cased, digits folded, punctuation and spacing collapsed; only when at
 * least 2 words and 8 letters remain (a bare "hello" would link unrelated mail). Body: MinHash over word 5-shingles
 * of the first 4,000 characters of the decoded text (digits folded), 24 hashes in 6 bands of 4: two texts share a
 * band with probability ≈ 0.96 at Jaccard similarity 0.8, ≈ 0.32 at 0.5, ≈ 0.01 at 0.25. Texts under 15 words
 * give no body key.
 */
export function campaignKeys(subject: string, text: string): string[] {
  const out: string[] = [];
  const s = cleanSubject(subject ?? '')
    .toLowerCase()
    .replace(/\d/g, '0')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  if (s.split(' ').length >= 2 && s.replace(/[^\p{L}]/gu, '').length >= 8) out.push(`s:${s}`);
  const words = (text ?? '').slice(0, BODY_CHARS).toLowerCase().replace(/\d/g, '0').split(/[^\p{L}\p{N}$]+/u).filter(Boolean);
  if (words.length >= MIN_WORDS) {
    const mins = new Uint32Array(HASHES).fill(0xffffffff);
    for (let i = 0; i + 5 <= words.length; i++) {
      const h0 = fnv(words.slice(i, i + 5).join(' '));
      for (let k = 0; k < HASHES; k++) {
        const h = Math.imul(h0 ^ Math.imul(k + 1, 0x9e3779b1), 0x85ebca6b) >>> 0;
        const hh = (h ^ (h >>> 13)) >>> 0;
        if (hh < mins[k]) mins[k] = hh;
      }
    }
    for (let b = 0; b < HASHES / ROWS; b++) out.push(`b${b}:${Array.from(mins.subarray(b * ROWS, b * ROWS + ROWS)).join('.')}`);
  }
  return out;
}

function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Connected components of messages linked by a shared key (union-find): a group id (its smallest index) per message. */
export function campaignGroups(keys: readonly (readonly string[])[]): Int32Array {
  const parent = Int32Array.from(keys.map((_, i) => i));
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]];
    return x;
  };
  const first = new Map<string, number>();
  keys.forEach((list, i) => {
    for (const key of list) {
      const j = first.get(key);
      if (j === undefined) first.set(key, i);
      else {
        const a = find(j);
        const b = find(i);
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
  });
  return Int32Array.from(keys.map((_, i) => find(i)));
}
