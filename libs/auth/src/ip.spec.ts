import { clientIp, ipInRanges } from './ip';

describe('ipInRanges', () => {
  it.each([
    ['10.1.2.3', ['10.0.0.0/8'], true],
    ['11.1.2.3', ['10.0.0.0/8'], false],
    ['192.0.2.7', ['192.0.2.7'], true],
    ['192.0.2.8', ['192.0.2.7'], false],
    ['::ffff:10.1.2.3', ['10.0.0.0/8'], true],
    ['10.1.2.3', ['::ffff:10.0.0.0/104'], true],
    ['2001:db8::1', ['2001:db8::/32'], true],
    ['2001:db9::1', ['2001:db8::/32'], false],
    ['2001:db8::1', ['10.0.0.0/8'], false],
    ['10.1.2.3', ['2001:db8::/32', '10.1.2.0/24'], true],
    ['10.1.2.3', ['not a range', '10.1.2.3/40'], false],
    ['not an ip', ['0.0.0.0/0'], false],
    ['10.1.2.3', [], false],
    ['::1', ['::1'], true],
  ])('%s in %j → %s', (ip, ranges, expected) => expect(ipInRanges(ip, ranges)).toBe(expected));
});

describe('clientIp', () => {
  it.each([
    ['no proxy trusted: the socket peer', '10.0.0.1', '203.0.113.9', false, '10.0.0.1'],
    ['IPv4-mapped peer is reported as IPv4', '::ffff:10.0.0.1', undefined, false, '10.0.0.1'],
    ['trusted proxy: its forwarded client', '10.0.0.1', '203.0.113.9', ['10.0.0.0/8'], '203.0.113.9'],
    ['untrusted peer: header ignored', '198.51.100.1', '203.0.113.9', ['10.0.0.0/8'], '198.51.100.1'],
    ['chain: nearest untrusted hop wins', '10.0.0.1', '1.1.1.1, 203.0.113.9, 10.0.0.2', ['10.0.0.0/8'], '203.0.113.9'],
    ['trust all: the leftmost hop', '10.0.0.1', '1.1.1.1, 203.0.113.9', true, '1.1.1.1'],
    ['trusted peer without header', '10.0.0.1', undefined, ['10.0.0.0/8'], '10.0.0.1'],
    ['no peer', undefined, undefined, false, undefined],
  ])('%s', (_name, remote, forwarded, trusted, expected) => expect(clientIp(remote, forwarded, trusted)).toBe(expected));
});
