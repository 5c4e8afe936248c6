/** Why a domain name is refused; also the problem `code` the API answers with. */
export type DomainNameProblem = 'invalid-domain' | 'idn-not-allowed' | 'operator-domain';

export type DomainNameCheck = { ok: true; name: string } | { ok: false; code: DomainNameProblem; detail: string };

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * SPEC P1. The name is normalised (trimmed, lowercased, one trailing dot dropped), then:
 * - non-ASCII characters, and punycode labels (`xn--`), are refused as IDN: an A-label is the same
 *   internationalised name in disguise, so accepting it would bypass the rule;
 * - it must be a host name of at least two LDH labels (RFC 1123), at most 253 characters, with an
 *   alphabetic top-level label (so IPv4 literals are refused);
 * - the operator's own domains and every subdomain of them are refused: those zones are the operator's,
 *   a tenant cannot hold a contract inside them.
 * A subdomain of a tenant's domain is accepted as a contract of its own.
 */
export function checkDomainName(input: string, operatorDomains: readonly string[]): DomainNameCheck {
  const name = input.trim().toLowerCase().replace(/\.$/, '');
  if (/[\u0080-\u{10ffff}]/u.test(name)) {
    return { ok: false, code: 'idn-not-allowed', detail: `"${input}" is an internationalised domain name; only ASCII names are accepted` };
  }
  const labels = name.split('.');
  if (labels.some((label) => label.startsWith('xn--'))) {
    return { ok: false, code: 'idn-not-allowed', detail: `"${input}" is an internationalised domain name (punycode); only ASCII names are accepted` };
  }
  if (name.length === 0 || name.length > 253 || labels.length < 2 || !labels.every((label) => LABEL.test(label))) {
    return { ok: false, code: 'invalid-domain', detail: `"${input}" is not a valid domain name` };
  }
  if (!/^[a-z][a-z0-9-]*$/.test(labels[labels.length - 1])) {
    return { ok: false, code: 'invalid-domain', detail: `"${input}" has no alphabetic top-level label` };
  }
  const own = operatorDomains.map((d) => d.trim().toLowerCase().replace(/\.$/, '')).find((d) => d && (name === d || name.endsWith(`.${d}`)));
  if (own !== undefined) {
    return { ok: false, code: 'operator-domain', detail: `"${name}" belongs to the operator's own domain ${own}` };
  }
  return { ok: true, name };
}
