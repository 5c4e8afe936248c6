import { baseDomain } from '@torii/spam-engine';

/** The edge's authentication results, reduced to what alignment needs (MailReceived.auth). */
export interface AuthFacts {
  spf?: { result: string; domain: string };
  dkim?: readonly { result: string; domain: string }[];
  dmarc?: { result: string };
}

/** Relaxed alignment (RFC 7489 3.1): the same organizational domain. */
export function aligned(a: string, b: string): boolean {
  if (!a || !b) return false;
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x === y || baseDomain(x) === baseDomain(y);
}

/**
 * Is the From domain authenticated: DMARC pass, or SPF pass for an aligned MAIL FROM domain, or a passing
 * DKIM signature of an aligned domain. Allow entries on From count only then.
 */
export function fromAuthenticated(auth: AuthFacts | undefined, fromDomain: string): boolean {
  if (!auth || !fromDomain) return false;
  if (auth.dmarc?.result === 'pass') return true;
  if (auth.spf?.result === 'pass' && aligned(auth.spf.domain, fromDomain)) return true;
  return (auth.dkim ?? []).some((d) => d.result === 'pass' && aligned(d.domain, fromDomain));
}
