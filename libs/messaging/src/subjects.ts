/**
 * NATS subject matching: `*` matches one token, `>` one or more trailing tokens. Used to route a message
 * to the handler whose pattern covers its subject.
 */
export function subjectMatches(pattern: string, subject: string): boolean {
  const want = pattern.split('.');
  const got = subject.split('.');
  for (let i = 0; i < want.length; i++) {
    const token = want[i];
    if (token === '>') return got.length > i;
    if (i >= got.length) return false;
    if (token !== '*' && token !== got[i]) return false;
  }
  return want.length === got.length;
}

/** Where a consumer's dead letters go: `dlq.<stream>.<consumer>` (captured by the DLQ stream, `dlq.>`). */
export function deadLetterSubject(stream: string, consumer: string): string {
  return `dlq.${stream}.${consumer}`;
}

/**
 * Picks the entry whose pattern serves a subject: the exact subject first, then the first wildcard
 * pattern that matches (in the order given).
 */
export function findByPattern<V>(entries: Iterable<[string, V]>, subject: string): V | undefined {
  let wildcard: V | undefined;
  for (const [pattern, value] of entries) {
    if (pattern === subject) return value;
    if (wildcard === undefined && subjectMatches(pattern, subject)) wildcard = value;
  }
  return wildcard;
}
