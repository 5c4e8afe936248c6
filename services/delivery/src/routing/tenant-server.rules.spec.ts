import { publicAddressesOnly } from './tenant-server.rules';

describe('publicAddressesOnly', () => {
  it.each([
    [['93.184.216.34', '2a00:1450:4001::1'], ['93.184.216.34', '2a00:1450:4001::1'], []],
    [['127.0.0.1', '93.184.216.34'], ['93.184.216.34'], ['127.0.0.1 (loopback)']],
    [['169.254.169.254'], [], ['169.254.169.254 (linkLocal)']],
    [['10.0.0.5', '::1', '::ffff:127.0.0.1', 'fd00:ec2::254'], [], ['10.0.0.5 (private)', '::1 (loopback)', '::ffff:127.0.0.1 (loopback)', 'fd00:ec2::254 (uniqueLocal)']],
  ])('%j keeps %j', (ips, kept, refused) => {
    const result = publicAddressesOnly(ips.map((ip) => ({ host: 'mail.customer.example', ip, port: 25 })));
    expect(result.kept.map((h) => h.ip)).toEqual(kept);
    expect(result.refused).toEqual(refused);
  });
});
