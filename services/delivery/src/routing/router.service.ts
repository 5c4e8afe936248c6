import { Inject, Injectable } from '@nestjs/common';
import { describeError } from '@torii/errors';
import { DELIVERY_CONFIG, type DeliveryConfig } from '../config/delivery.config';
import { DirectoryCache } from '../directory/directory.cache';
import type { SmtpReply } from '../smtp/smtp-reply.rules';
import { mxRoute } from './mx.rules';
import { DNS_RESOLVER, addressesOf, dnsErrorCode, type DnsResolver } from './resolver';
import { publicAddressesOnly } from './tenant-server.rules';

export interface Hop {
  host: string;
  ip: string;
  port: number;
}

/** Where a group of recipients goes: hosts to try in order, or a failure for all of them. */
export type Route = { kind: 'hops'; hops: Hop[] } | { kind: 'failed'; reply: SmtpReply };

@Injectable()
export class RouterService {
  constructor(
    private readonly directory: DirectoryCache,
    @Inject(DNS_RESOLVER) private readonly resolver: DnsResolver,
    @Inject(DELIVERY_CONFIG) private readonly config: DeliveryConfig,
  ) {}

  /**
   * Inbound: the tenant's own server from the directory. Its registered addresses are used as they are
   * (P1: one server with fixed addresses per domain), so delivery needs no DNS and cannot be sent elsewhere
   * by a changed A record; only a server registered without addresses is looked up by name, and then only its
   * public addresses are used (F6: the name could point into the gateway's own network).
   */
  async tenantServer(domain: string): Promise<Route> {
    const entry = await this.directory.lookup(domain);
    const server = entry?.server;
    if (!server?.hostname) {
      return { kind: 'failed', reply: { code: 0, enhanced: '', text: `no mail server known for ${domain} (directory)` } };
    }
    const port = server.port || 25;
    if (server.ips.length > 0) {
      return { kind: 'hops', hops: server.ips.map((ip) => ({ host: server.hostname, ip, port })) };
    }
    const route = await this.hopsFor([server.hostname], port);
    if (route.kind !== 'hops') return route;
    const { kept, refused } = publicAddressesOnly(route.hops);
    if (kept.length === 0) {
      // Deferred like a name without addresses: the record may be fixed; the operator sees why.
      const text = `mail server ${server.hostname} of ${domain} resolves only to non-public addresses (${refused.join(', ')}); register its addresses instead`;
      return { kind: 'failed', reply: { code: 0, enhanced: '', text } };
    }
    return { kind: 'hops', hops: kept };
  }

  /** Outbound: the recipient domain's MX hosts (RFC 5321 §5.1), null MX refused at once (RFC 7505). */
  async recipientDomain(domain: string): Promise<Route> {
    let records: { exchange: string; priority: number }[] | 'no-mx';
    try {
      records = await this.resolver.resolveMx(domain);
    } catch (error) {
      const code = dnsErrorCode(error);
      if (code === 'ENODATA') records = 'no-mx';
      else if (code === 'ENOTFOUND') {
        return { kind: 'failed', reply: { code: 550, enhanced: '5.1.2', text: `domain ${domain} does not exist` } };
      } else {
        return { kind: 'failed', reply: { code: 0, enhanced: '', text: `MX lookup for ${domain} failed: ${describeError(error)}` } };
      }
    }
    const route = mxRoute(domain, records);
    if (route.kind === 'null-mx') {
      return { kind: 'failed', reply: { code: 556, enhanced: '5.1.10', text: `domain ${domain} accepts no mail (null MX)` } };
    }
    return this.hopsFor(route.hosts, this.config.SMTP_OUTBOUND_PORT);
  }

  private async hopsFor(hosts: string[], port: number): Promise<Route> {
    const hops: Hop[] = [];
    let lastError = '';
    for (const host of hosts) {
      try {
        for (const ip of await addressesOf(this.resolver, host)) hops.push({ host, ip, port });
      } catch (error) {
        lastError = describeError(error);
      }
    }
    if (hops.length === 0) {
      return { kind: 'failed', reply: { code: 0, enhanced: '', text: `no address for ${hosts.join(', ')}${lastError ? `: ${lastError}` : ''}` } };
    }
    return { kind: 'hops', hops };
  }
}
