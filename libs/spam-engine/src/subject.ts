/** The Subject without mailing-list tags and reply / forward prefixes (`[SAtalk] Re: ` …). */
export function cleanSubject(subject: string): string {
  return subject.replace(/^(?:\s*(?:\[[^\]]{1,40}\]|(?:re|fwd?|aw|sv)\s*:))+/i, '').trim();
}
