import { Injectable } from '@nestjs/common';
import type { Principal } from '@torii/auth';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { AddressesRepository } from '../addresses/addresses.repository';
import { AddressesService } from '../addresses/addresses.service';
import { DomainsRepository } from '../domains/domains.repository';
import { DomainsService } from '../domains/domains.service';
import { SubscriptionsRepository } from '../subscriptions/subscriptions.repository';
import { SubscriptionsService } from '../subscriptions/subscriptions.service';
import { TenantsRepository } from '../tenants/tenants.repository';
import { TenantsService } from '../tenants/tenants.service';
import { UsersRepository } from '../users/users.repository';
import { UsersService } from '../users/users.service';
import { SeedSchema, type Seed } from './seed.schema';

const SEED_ACTOR: Principal = { subject: 'system:seed', role: 'operator', via: 'api-key' };

export class SeedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SeedError';
  }
}

/**
 * Provisions what a seed file describes, idempotently: what exists is left as it is (passwords of existing
 * users are not reset), what is missing is created through the same services as the API (so the rules and
 * the directory snapshots apply).
 */
@Injectable()
export class SeedService {
  constructor(
    private readonly tenantsRepo: TenantsRepository,
    private readonly tenants: TenantsService,
    private readonly domainsRepo: DomainsRepository,
    private readonly domains: DomainsService,
    private readonly addressesRepo: AddressesRepository,
    private readonly addresses: AddressesService,
    private readonly usersRepo: UsersRepository,
    private readonly users: UsersService,
    private readonly subscriptionsRepo: SubscriptionsRepository,
    private readonly subscriptions: SubscriptionsService,
  ) {}

  async applyFile(path: string): Promise<void> {
    let seed: Seed;
    try {
      seed = SeedSchema.parse(parse(await readFile(path, 'utf8')));
    } catch (error) {
      throw new SeedError(`seed file ${path} is not valid`, { cause: error });
    }
    await this.apply(seed);
  }

  async apply(seed: Seed): Promise<void> {
    for (const operator of seed.operators) await this.ensureUser(null, operator.email, operator.password, 'operator');
    for (const t of seed.tenants) {
      const tenant = (await this.tenantsRepo.findByName(t.name)) ?? (await this.tenants.create(t.name, SEED_ACTOR));
      for (const d of t.domains) {
        const domain = (await this.domainsRepo.findForTenant(tenant.id, d.name.toLowerCase())) ?? (await this.domains.create(tenant.id, { name: d.name, planSize: d.plan }, SEED_ACTOR));
        if (d.server) {
          const current = await this.domainsRepo.getMailServer(domain.id);
          if (!current || JSON.stringify(current) !== JSON.stringify({ hostname: d.server.hostname, ips: d.server.ips, port: d.server.port })) {
            await this.domains.putServer(tenant.id, domain.name, d.server, SEED_ACTOR);
          }
        }
        const existing = await this.addressesRepo.localParts(domain.id);
        for (const a of d.addresses) {
          const entry = typeof a === 'string' ? { address: a, kind: 'mailbox' as const } : a;
          const localPart = entry.address.split('@')[0].toLowerCase();
          if (!existing.has(localPart)) await this.addresses.create(tenant.id, domain.name, entry, SEED_ACTOR);
        }
        const subs = await this.subscriptionsRepo.list(domain.id);
        for (const s of d.services) {
          const wanted = typeof s === 'string' ? { service: s, quarantineExtraBlocks: 0, archiveExtraBlocks: 0 } : s;
          if (!subs.some((x) => x.service === wanted.service && x.endsOn === null)) await this.subscriptions.add(tenant.id, domain.name, wanted, SEED_ACTOR);
        }
        for (const u of d.users) {
          const email = u.address.includes('@') ? u.address : `${u.address}@${domain.name}`;
          await this.ensureUser(tenant.id, email, u.password, 'user');
        }
      }
      for (const admin of t.admins) await this.ensureUser(tenant.id, admin.email, admin.password, 'admin');
    }
  }

  private async ensureUser(tenantId: string | null, email: string, password: string, role: 'operator' | 'admin' | 'user'): Promise<void> {
    if (await this.usersRepo.findByEmail(email.toLowerCase())) return;
    await this.users.create(tenantId, { email, password, role }, SEED_ACTOR);
  }
}
