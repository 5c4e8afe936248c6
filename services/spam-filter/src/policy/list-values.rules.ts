import { domainToASCII, domainToUnicode } from 'node:url';
import type { ListField } from './policy.rules';

/**
 * The one form in which list entries and the message's From and Subject are compared, and what a valid entry
 * value is. Pure functions (node:url's UTS #46 mapping does the IDN work).
 */

/**
 * NFKC-normalised (full-width letters, half-width kana), lower-cased in every script (ВЫИГРЫШ, ÉTÉ, ΔΩΡΕΑΝ),
 * invisible format characters dropped (a zero-width space or a soft hyphen inside a word), whitespace collapsed.
 */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\p{Cf}/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
}

export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1);
}

/**
 * A domain in its Unicode form (U-labels), lower-case, without a trailing dot: `XN--R8JZ45G.jp`, `例え.JP.` and
 * `ｒｅｉ。jp` come out as `例え.jp` and `rei.jp`. What is not a domain name is only normalised as text.
 */
export function canonicalDomain(domain: string): string {
  const text = normalizeText(domain).replace(/\.$/, '');
  const ascii = domainToASCII(text);
  return ascii ? domainToUnicode(ascii) : text;
}

/** The A-label form (`xn--r8jz45g.jp`), as SPF and DKIM name domains; what is not a domain, normalised as text. */
export function asciiDomain(domain: string): string {
  const text = normalizeText(domain).replace(/\.$/, '');
  return domainToASCII(text) || text;
}

// RFC 5322 atext, plus any non-ASCII character (RFC 6532).
const ATOM = String.raw`[A-Za-z0-9!#$%&'*+/=?^_\x60{|}~\u0080-\u{10FFFF}-]+`;
const DOT_ATOM = new RegExp(`^${ATOM}(?:\\.${ATOM})*$`, 'u');

/** A quoted local part that needs no quotes loses them: `"spam"` is `spam`; `"a b"` stays quoted. */
function canonicalLocalPart(local: string): string {
  const text = normalizeText(local);
  const quoted = /^"((?:[^"\\]|\\.)*)"$/s.exec(text);
  if (!quoted) return text;
  const inner = quoted[1].replace(/\\(.)/gs, '$1');
  return DOT_ATOM.test(inner) ? inner : text;
}

/**
 * An address as lists compare it: the local part as text (lower-case ASCII, NFKC, needless quotes removed),
 * the domain as {@link canonicalDomain}. A value without `@` is only normalised as text.
 */
export function canonicalAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return normalizeText(address);
  return `${canonicalLocalPart(address.slice(0, at))}@${canonicalDomain(address.slice(at + 1))}`;
}

const ASCII_DOMAIN = /^[a-z0-9-]+(?:\.[a-z0-9-]+)*$/;

/**
 * A domain name: labels of letters (any script), digits and hyphens, separated by dots; a trailing dot is
 * allowed, a leading one is not (`contains` already takes in the subdomains of an allow entry).
 */
export function isDomainName(value: string): boolean {
  const text = normalizeText(value).replace(/\.$/, '');
  if (!text || text.startsWith('.')) return false;
  const ascii = domainToASCII(text);
  return ascii.length > 0 && ascii.length <= 253 && ASCII_DOMAIN.test(ascii);
}

/** Why a list entry value is not valid for its field (the message of the 400), or undefined when it is. */
export function entryValueProblem(field: ListField, value: string): string | undefined {
  switch (field) {
    case 'from-address': {
      const at = value.lastIndexOf('@');
      if (at < 0) return 'a from-address entry is an address (name@partner.example) or @ and a domain (@partner.example)';
      if (!isDomainName(value.slice(at + 1))) return `"${value.slice(at + 1)}" after the @ is not a domain name`;
      return undefined;
    }
    case 'from-domain':
      return isDomainName(value) ? undefined : 'a from-domain entry is a domain name (partner.example, 例え.jp), without @ or a leading dot';
    case 'subject':
      return undefined;
  }
}
