import { baseDomain } from '@torii/spam-engine';
import { asciiDomain } from './list-values.rules';

/** The edge's authentication results, reduced to what alignment needs (MailReceived.auth). */
export interface AuthFacts {
  spf?: { result: string; domain: string };
  dkim?: readonly { result: string; domain: string }[];
  /** `domain`: the From domain the edge evaluated (absent in records stored before it was kept). */
  dmarc?: { result: string; domain?: string };
}

/** Relaxed alignment (RFC 7489 3.1): the same organizational domain, compared in A-label form (SPF and DKIM name IDNs so). */
export function aligned(a: string, b: string): boolean {
  if (!a || !b) return false;
  const x = asciiDomain(a);
  const y = asciiDomain(b);
  return x === y || baseDomain(x) === baseDomain(y);
}

/**
 * Is the From domain authenticated: DMARC pass for that From domain, or SPF pass for an aligned MAIL FROM
 * domain, or a passing DKIM signature of an aligned domain. Allow entries on From count only then.
 */
export function fromAuthenticated(auth: AuthFacts | undefined, fromDomain: string): boolean {
  if (!auth || !fromDomain) return false;
  // The edge's DMARC pass is for the From domain it parsed: it vouches for ours only when they agree.
  if (auth.dmarc?.result === 'pass' && (!auth.dmarc.domain || aligned(auth.dmarc.domain, fromDomain))) return true;
  if (auth.spf?.result === 'pass' && aligned(auth.spf.domain, fromDomain)) return true;
  return (auth.dkim ?? []).some((d) => d.result === 'pass' && aligned(d.domain, fromDomain));
}
