import { getDomain } from 'tldts';
import { asciiDomain } from './list-values.rules';

/** The edge's authentication results, reduced to what alignment needs (MailReceived.auth). */
export interface AuthFacts {
  spf?: { result: string; domain: string };
  dkim?: readonly { result: string; domain: string }[];
  /** `domain`: the From domain the edge evaluated (absent in records stored before it was kept). */
  dmarc?: { result: string; domain?: string };
}

/**
 * The organizational domain (RFC 7489 3.2) by the Public Suffix List, private suffixes included: anyone can
 * register a name under `tokyo.jp` or `github.io`, so `a.tokyo.jp` and `b.tokyo.jp` are two organisations.
 * The same list and options as the edge's DMARC evaluation (mailauth), so the two never disagree.
 * Undefined for an IP literal or a name with no registrable part.
 */
export function organizationalDomain(domain: string): string | undefined {
  return getDomain(domain, { allowPrivateDomains: true }) ?? undefined;
}

/** Relaxed alignment (RFC 7489 3.1): the same organizational domain, compared in A-label form (SPF and DKIM name IDNs so). */
export function aligned(a: string, b: string): boolean {
  if (!a || !b) return false;
  const x = asciiDomain(a);
  const y = asciiDomain(b);
  if (x === y) return true;
  const org = organizationalDomain(x);
  return org !== undefined && org === organizationalDomain(y);
}

/**
 * Is the From domain authenticated: DMARC pass for that From domain, or SPF pass for an aligned MAIL FROM
 * domain, or a passing DKIM signature of an aligned domain. Allow entries on From count only then. A DMARC
 * fail for this From domain is final: DMARC has already weighed SPF and DKIM alignment, and said no.
 */
export function fromAuthenticated(auth: AuthFacts | undefined, fromDomain: string): boolean {
  if (!auth || !fromDomain) return false;
  // The edge's DMARC result is for the From domain it parsed: it speaks for ours only when they agree.
  const dmarcForOurs = auth.dmarc !== undefined && (!auth.dmarc.domain || aligned(auth.dmarc.domain, fromDomain));
  if (dmarcForOurs && auth.dmarc?.result === 'pass') return true;
  if (dmarcForOurs && auth.dmarc?.result === 'fail') return false;
  if (auth.spf?.result === 'pass' && aligned(auth.spf.domain, fromDomain)) return true;
  return (auth.dkim ?? []).some((d) => d.result === 'pass' && aligned(d.domain, fromDomain));
}
