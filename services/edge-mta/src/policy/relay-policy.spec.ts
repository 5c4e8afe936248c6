import { directoryEntry } from '../../test/support/directory';
import { decideRelay, type RelayInput } from './relay-policy';

const acme = directoryEntry({ domain: 'acme.example', tenantId: 't1', hostname: 'mx.acme.example', ips: ['192.0.2.10', '2001:db8::10'] });
const acmeSub = directoryEntry({ domain: 'sub.acme.example', tenantId: 't1', hostname: 'mx.acme.example', ips: ['192.0.2.10'] });
const beta = directoryEntry({ domain: 'beta.example', tenantId: 't2', hostname: 'mail.beta.example', ips: ['192.0.2.20'] });
const shared = directoryEntry({ domain: 'gamma.example', tenantId: 't3', hostname: 'mx.acme.example', ips: ['192.0.2.10'] });
const off = directoryEntry({ domain: 'off.example', tenantId: 't4', hostname: 'mx.off.example', ips: ['192.0.2.30'], active: false });

function input(overrides: Partial<RelayInput>): RelayInput {
  return { clientIp: '192.0.2.10', ptrNames: ['mx.acme.example'], senderDomain: 'acme.example', serverDomains: [acme, acmeSub], senderDirectory: acme, ...overrides };
}

describe('decideRelay (P4)', () => {
  const cases: [string, RelayInput, string][] = [
    ['registered IP, matching PTR, own domain', input({}), 'allow'],
    ['PTR differs only in case and trailing dot', input({ ptrNames: ['MX.Acme.Example.'] }), 'allow'],
    ['IPv4-mapped IPv6 client address', input({ clientIp: '::ffff:192.0.2.10' }), 'allow'],
    ['IPv6 server address', input({ clientIp: '2001:DB8::10', serverDomains: [acme] }), 'allow'],
    ['unregistered IP', input({ clientIp: '198.51.100.1', serverDomains: [] }), 'unregistered-ip'],
    ['registered IP with a wrong PTR', input({ ptrNames: ['host.isp.example'] }), 'ptr-mismatch'],
    ['registered IP without PTR', input({ ptrNames: [] }), 'ptr-mismatch'],
    ['registered IP, sender domain of no tenant', input({ senderDomain: 'gmail.example', senderDirectory: undefined }), 'foreign-sender'],
    ['registered IP, sender in another tenant', input({ senderDomain: 'beta.example', senderDirectory: beta }), 'foreign-sender'],
    ['other domain of the same server', input({ senderDomain: 'sub.acme.example', senderDirectory: acmeSub }), 'allow'],
    ['null sender from a server of one tenant', input({ senderDomain: undefined, senderDirectory: undefined }), 'allow'],
    ['null sender from a server shared by two tenants', input({ senderDomain: undefined, senderDirectory: undefined, serverDomains: [acme, shared] }), 'foreign-sender'],
    ['suspended tenant', input({ clientIp: '192.0.2.30', ptrNames: ['mx.off.example'], senderDomain: 'off.example', senderDirectory: off, serverDomains: [off] }), 'suspended'],
  ];

  it.each(cases)('%s', (_name, relay, expected) => {
    const decision = decideRelay(relay);
    expect(decision.kind === 'allow' ? 'allow' : decision.reason).toBe(expected);
  });

  it('names the tenant and domain of the sender', () => {
    expect(decideRelay(input({}))).toEqual({ kind: 'allow', tenantId: 't1', domain: 'acme.example' });
  });
});
