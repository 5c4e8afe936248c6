import { ServiceSubscriptionSchema, create } from '@torii/contracts';
import { directoryEntry } from '../../test/support/directory';
import { decideInboundRecipient, type RecipientInput } from './recipient-policy';

const filtered = directoryEntry({ domain: 'a.example', tenantId: 't1', spam: true, addresses: ['alice', 'list'] });
const open = directoryEntry({ domain: 'b.example', tenantId: 't1' });
const other = directoryEntry({ domain: 'c.example', tenantId: 't2' });
const suspended = directoryEntry({ domain: 'd.example', tenantId: 't3', active: false });
/** Secondary service without spam filtering: Torii is the backup MX only (SEC). */
const backupOnly = directoryEntry({ domain: 'e.example', tenantId: 't1', addresses: ['alice'] });
backupOnly.services!.secondary = create(ServiceSubscriptionSchema, { subscribed: true });
/** Registered, but its tenant has not told us its mail server yet. */
const noServer = directoryEntry({ domain: 'f.example', tenantId: 't1', hostname: '' });

describe('decideInboundRecipient', () => {
  const cases: [string, RecipientInput, string][] = [
    ['directory not loaded yet', { localPart: 'alice', directory: undefined, directoryLoaded: false }, 'directory-unavailable'],
    ['domain of no tenant', { localPart: 'x', directory: undefined, directoryLoaded: true }, 'relay-denied'],
    ['registered address with spam filtering', { localPart: 'alice', directory: filtered, directoryLoaded: true }, 'accept'],
    ['registered address, any case', { localPart: 'ALICE', directory: filtered, directoryLoaded: true }, 'accept'],
    ['unregistered address with spam filtering (SPAM2)', { localPart: 'bob', directory: filtered, directoryLoaded: true }, 'unknown-user'],
    ['any address without spam filtering', { localPart: 'anyone', directory: open, directoryLoaded: true }, 'accept'],
    ['registered address, secondary only', { localPart: 'alice', directory: backupOnly, directoryLoaded: true }, 'accept'],
    ['unregistered address, secondary only (backup MX is no backscatter source)', { localPart: 'bob', directory: backupOnly, directoryLoaded: true }, 'unknown-user'],
    ['suspended tenant', { localPart: 'x', directory: suspended, directoryLoaded: true }, 'suspended'],
    ['same tenant as earlier recipients', { localPart: 'x', directory: open, directoryLoaded: true, transactionTenantId: 't1' }, 'accept'],
    ['another tenant than earlier recipients', { localPart: 'x', directory: other, directoryLoaded: true, transactionTenantId: 't1' }, 'other-tenant'],
    ['same domain as earlier recipients', { localPart: 'alice', directory: filtered, directoryLoaded: true, transactionTenantId: 't1', transactionDomain: 'a.example' }, 'accept'],
    // Its own server, services and size limit: the sender sends it again in a transaction of its own.
    ['another domain of the same tenant than earlier recipients', { localPart: 'x', directory: open, directoryLoaded: true, transactionTenantId: 't1', transactionDomain: 'a.example' }, 'other-domain'],
    ['a domain without a registered mail server', { localPart: 'x', directory: noServer, directoryLoaded: true }, 'no-server'],
  ];

  it.each(cases)('%s', (_name, input, expected) => {
    expect(decideInboundRecipient(input).kind).toBe(expected);
  });

  it('names the tenant and domain it accepts for', () => {
    expect(decideInboundRecipient({ localPart: 'alice', directory: filtered, directoryLoaded: true })).toEqual({
      kind: 'accept',
      tenantId: 't1',
      domain: 'a.example',
    });
  });
});
