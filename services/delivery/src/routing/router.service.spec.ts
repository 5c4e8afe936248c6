import type { DeliveryConfig } from '../config/delivery.config';
import type { DirectoryCache } from '../directory/directory.cache';
import { StaticDnsResolver } from './resolver';
import { RouterService } from './router.service';

describe('RouterService.tenantServer', () => {
  const router = (server: { hostname: string; ips: string[]; port: number }) =>
    new RouterService(
      { lookup: () => Promise.resolve({ server }) } as unknown as DirectoryCache,
      new StaticDnsResolver({ 'inside.attacker.example': { A: ['127.0.0.1', '169.254.169.254'] }, 'mixed.customer.example': { A: ['10.0.0.5', '93.184.216.34'] } }),
      { SMTP_OUTBOUND_PORT: 25 } as DeliveryConfig,
    );

  it('does not follow a server name that resolves into the gateway’s own network (F6)', async () => {
    const route = await router({ hostname: 'inside.attacker.example', ips: [], port: 25 }).tenantServer('customer.example');
    expect(route).toEqual({
      kind: 'failed',
      reply: {
        code: 0,
        enhanced: '',
        text: 'mail server inside.attacker.example of customer.example resolves only to non-public addresses (127.0.0.1 (loopback), 169.254.169.254 (linkLocal)); register its addresses instead',
      },
    });
  });

  it('uses only the public addresses of a name; registered addresses as they are (the tenant service checked them)', async () => {
    expect(await router({ hostname: 'mixed.customer.example', ips: [], port: 25 }).tenantServer('customer.example')).toEqual({
      kind: 'hops',
      hops: [{ host: 'mixed.customer.example', ip: '93.184.216.34', port: 25 }],
    });
    expect(await router({ hostname: 'mail.customer.example', ips: ['10.20.0.5'], port: 2525 }).tenantServer('customer.example')).toEqual({
      kind: 'hops',
      hops: [{ host: 'mail.customer.example', ip: '10.20.0.5', port: 2525 }],
    });
  });
});
