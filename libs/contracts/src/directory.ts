import { ContractValueError } from './errors';

/** NATS KV bucket holding one DomainDirectory snapshot per domain (JSON, see codecFor). */
export const DIRECTORY_BUCKET = 'directory';

// NATS KV keys allow [-/_=.A-Za-z0-9]; domains are ASCII (IDNs are refused: SPEC P1), so any valid
// LDH domain name fits.
const LDH_DOMAIN =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * The KV key of a domain: lowercase, without a trailing dot. Throws ContractValueError for anything that
 * is not an ASCII host name (an address literal, a Unicode domain, wildcards).
 */
export function directoryKey(domain: string): string {
  const key = domain.trim().toLowerCase().replace(/\.$/, '');
  if (!LDH_DOMAIN.test(key)) throw new ContractValueError(`not a directory domain: "${domain}"`);
  return key;
}

/** NATS KV bucket of the spool's shared state (SpoolState under SPOOL_STATE_KEY), watched by the edge (SEC4). */
export const SPOOL_STATE_BUCKET = 'spool-state';
export const SPOOL_STATE_KEY = 'state';
