import { buildSnapshot, serviceState, type DomainFacts } from './directory.rules';

const facts: DomainFacts = {
  name: 'demo.example',
  tenantId: 't1',
  tenantName: 'Demo',
  tenantActive: true,
  domainActive: true,
  planSize: 10,
  revision: 3,
  policies: { spam: { threshold: '90' } },
  subscriptions: [
    { service: 'spam', startsOn: '2025-01-01', endsOn: null, quarantineExtraBlocks: 1, archiveExtraBlocks: 0 },
    { service: 'virus', startsOn: '2025-01-01', endsOn: '2025-03-31', quarantineExtraBlocks: 0, archiveExtraBlocks: 0 },
    { service: 'archive', startsOn: '2025-06-01', endsOn: null, quarantineExtraBlocks: 0, archiveExtraBlocks: 2 },
  ],
  addresses: [
    { localPart: 'bob', kind: 'mailbox' },
    { localPart: 'alice', kind: 'mailbox', userId: 'u1' },
  ],
  server: { hostname: 'mx.demo.example', ips: ['192.0.2.1'], port: 25 },
  adminEmails: ['admin@demo.example'],
};

describe('serviceState', () => {
  it.each([
    ['spam', '2025-02-01', { subscribed: true, startsOn: '2025-01-01', endsOn: '' }],
    ['virus', '2025-03-31', { subscribed: true, endsOn: '2025-03-31' }],
    ['virus', '2025-04-01', { subscribed: false, endsOn: '2025-03-31' }],
    ['archive', '2025-05-31', { subscribed: false, startsOn: '2025-06-01' }],
    ['secondary', '2025-05-31', { subscribed: false, startsOn: '', endsOn: '' }],
  ] as const)('%s on %s', (service, today, expected) => {
    expect(serviceState(facts.subscriptions, service, today)).toMatchObject(expected);
  });
});

describe('buildSnapshot', () => {
  it('carries the plan, services, sorted addresses, server, admins and capacities', () => {
    const snapshot = buildSnapshot(facts, '2025-07-01');
    expect(snapshot).toMatchObject({
      domain: 'demo.example',
      active: true,
      planAddresses: 10,
      services: { spam: { subscribed: true }, virus: { subscribed: false }, archive: { subscribed: true }, secondary: { subscribed: false } },
      addresses: [{ localPart: 'alice', userId: 'u1' }, { localPart: 'bob' }],
      server: { hostname: 'mx.demo.example', ips: ['192.0.2.1'], port: 25 },
      limits: { maxMessageBytes: 100_000_000 },
      revision: 3,
    });
    expect(snapshot.spamPolicy.settings).toEqual({ threshold: '90', quarantineCapacityBytes: '100000000' });
    expect(snapshot.archivePolicy.settings).toEqual({ archiveCapacityBytes: '30000000000' });
  });

  it('is inactive when the tenant is suspended', () => {
    expect(buildSnapshot({ ...facts, tenantActive: false }, '2025-07-01').active).toBe(false);
  });
});
