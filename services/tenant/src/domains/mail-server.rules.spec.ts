import { checkMailServer, nonPublicClass, parsePortList } from './mail-server.rules';

const SMTP_PORTS = parsePortList(['25', '465', '587', '2525']) ?? [];
const defaults = { allowedRanges: [], ports: SMTP_PORTS };

describe('nonPublicClass', () => {
  it.each([
    ['127.0.0.1', /loopback/],
    ['10.1.2.3', /private/],
    ['172.16.0.1', /private/],
    ['192.168.1.1', /private/],
    ['169.254.169.254', /link-local.*metadata/],
    ['100.100.100.200', /shared/],
    ['192.0.0.192', /reserved/],
    ['0.0.0.0', /unspecified/],
    ['255.255.255.255', /broadcast/],
    ['224.0.0.1', /multicast/],
    ['240.0.0.1', /reserved/],
    ['::1', /loopback/],
    ['::', /unspecified/],
    ['fe80::1', /link-local/],
    ['fd00:ec2::254', /unique local/],
    ['ff02::1', /multicast/],
    ['::ffff:127.0.0.1', /loopback/],
    ['::ffff:169.254.169.254', /link-local/],
    ['64:ff9b::a00:1', /NAT64/],
    ['2002:7f00:1::1', /6to4/],
    ['not-an-ip', /not an IP/],
  ])('%s is refused as %s', (ip, expected) => {
    expect(nonPublicClass(ip)).toMatch(expected);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2a00:1450:4001::1', '::ffff:93.184.216.34'])('%s is public', (ip) => {
    expect(nonPublicClass(ip)).toBeUndefined();
  });
});

describe('checkMailServer', () => {
  it.each([
    [{ ips: ['93.184.216.34'], port: 25 }, defaults, true],
    [{ ips: [], port: 587 }, defaults, true],
    [{ ips: ['93.184.216.34'], port: 5432 }, defaults, 'mail-server-port-not-allowed'],
    [{ ips: ['93.184.216.34'], port: 80 }, defaults, 'mail-server-port-not-allowed'],
    [{ ips: ['93.184.216.34', '127.0.0.1'], port: 25 }, defaults, 'mail-server-address-not-allowed'],
    [{ ips: ['169.254.169.254'], port: 25 }, defaults, 'mail-server-address-not-allowed'],
    [{ ips: ['10.20.1.1'], port: 25 }, defaults, 'mail-server-address-not-allowed'],
    // The operator allows a customer network: that range only.
    [{ ips: ['10.20.1.1'], port: 25 }, { ...defaults, allowedRanges: ['10.20.0.0/16'] }, true],
    [{ ips: ['10.30.1.1'], port: 25 }, { ...defaults, allowedRanges: ['10.20.0.0/16'] }, 'mail-server-address-not-allowed'],
    [{ ips: ['::ffff:10.20.1.1'], port: 25 }, { ...defaults, allowedRanges: ['10.20.0.0/16'] }, true],
    [{ ips: ['127.0.0.2'], port: 40000 }, { allowedRanges: ['127.0.0.0/8'], ports: [[1, 65535] as const] }, true],
  ])('%j under %j: %s', (server, policy, expected) => {
    const check = checkMailServer(server, policy);
    expect(check.ok ? true : check.code).toBe(expected);
  });

  it('says why', () => {
    expect(checkMailServer({ ips: ['169.254.169.254'], port: 25 }, defaults)).toMatchObject({ detail: expect.stringContaining('169.254.169.254 is a link-local address') });
    expect(checkMailServer({ ips: [], port: 5432 }, defaults)).toMatchObject({ detail: 'port 5432 is not a mail port this gateway delivers to (allowed: 25, 465, 587, 2525)' });
  });
});

describe('parsePortList', () => {
  it.each([
    [['25', '587'], [[25, 25], [587, 587]]],
    [['1024-65535'], [[1024, 65535]]],
    [['0'], undefined],
    [['70000'], undefined],
    [['30-20'], undefined],
    [['smtp'], undefined],
  ])('%j', (items, expected) => {
    expect(parsePortList(items)).toEqual(expected);
  });
});
