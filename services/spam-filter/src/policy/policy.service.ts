import { HttpStatus, Injectable } from '@nestjs/common';
import type { Principal } from '@torii/auth';
import { ProblemException } from '@torii/http';
import { DirectoryCache } from '../directory/directory.cache';
import { conflict, notFound } from '../problems';
import type { AddressPolicyView, DomainPolicyView, ListEntryView } from './policy.dto';
import { DuplicateEntryError, ListLimitReachedError, PolicyRepository, type StoredEntry } from './policy.repository';
import { DEFAULT_DOMAIN_SETTINGS, effectiveSettings, type AddressSettings, type DomainSettings, type ListEntry, type ListKind } from './policy.rules';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const toView = (e: StoredEntry, active: boolean): ListEntryView => ({
  id: e.id,
  list: e.list,
  field: e.field,
  match: e.match,
  value: e.value,
  createdAt: e.createdAt.toISOString(),
  createdBy: e.createdBy,
  active,
});

/** Settings and lists of a domain and its addresses; scoping checks against the directory. */
@Injectable()
export class PolicyService {
  constructor(
    private readonly repository: PolicyRepository,
    private readonly directory: DirectoryCache,
  ) {}

  /** The domain, lowercase, when it belongs to the tenant; otherwise 404 (nothing leaks). */
  async ownedDomain(tenantId: string, domain: string): Promise<string> {
    const entry = await this.directory.lookup(domain);
    if (!entry || entry.tenantId !== tenantId) throw notFound(`domain ${domain}`);
    return entry.domain.toLowerCase();
  }

  /** A registered address of the tenant's domain, lowercase; otherwise 404. */
  async ownedAddress(tenantId: string, domain: string, address: string): Promise<{ domain: string; address: string }> {
    const entry = await this.directory.lookup(domain);
    const lower = address.toLowerCase();
    const at = lower.lastIndexOf('@');
    const local = lower.slice(0, at);
    if (!entry || entry.tenantId !== tenantId || at < 1 || lower.slice(at + 1) !== entry.domain.toLowerCase() || !entry.addresses.some((a) => a.localPart === local)) {
      throw notFound(`address ${address}`);
    }
    return { domain: entry.domain.toLowerCase(), address: lower };
  }

  async getDomainPolicy(tenantId: string, domain: string): Promise<DomainPolicyView> {
    const name = await this.ownedDomain(tenantId, domain);
    const stored = await this.repository.domainSettings(name);
    return { domain: name, ...(stored ?? DEFAULT_DOMAIN_SETTINGS), isDefault: !stored, ...(await this.service(name)) };
  }

  async setDomainPolicy(tenantId: string, domain: string, settings: DomainSettings, actor: Principal): Promise<DomainPolicyView> {
    const name = await this.ownedDomain(tenantId, domain);
    await this.repository.putDomainSettings(tenantId, name, settings, actor);
    return { domain: name, ...settings, isDefault: false, ...(await this.service(name)) };
  }

  /** Removes the domain's own settings: the defaults apply again (address overrides and lists stay). */
  async resetDomainPolicy(tenantId: string, domain: string, actor: Principal): Promise<DomainPolicyView> {
    const name = await this.ownedDomain(tenantId, domain);
    await this.repository.resetDomainSettings(tenantId, name, actor);
    return { domain: name, ...DEFAULT_DOMAIN_SETTINGS, isDefault: true, ...(await this.service(name)) };
  }

  /**
   * What the tenant service holds for the domain's spam service: whether it is subscribed (settings may be
   * made ahead of it; the answer says whether they act now), and what delivery does when no verdict comes in
   * time (`on_failure`, set there: `PUT …/policies/spam`), so the whole policy shows in one place.
   */
  private async service(domain: string): Promise<{ subscribed: boolean; onFailure: 'deliver' | 'hold' }> {
    const entry = await this.directory.lookup(domain);
    return { subscribed: entry?.services?.spam?.subscribed === true, onFailure: entry?.spamPolicy?.settings?.['on_failure'] === 'hold' ? 'hold' : 'deliver' };
  }

  async getAddressPolicy(tenantId: string, domain: string, address: string): Promise<AddressPolicyView> {
    const owned = await this.ownedAddress(tenantId, domain, address);
    const domainSettings = (await this.repository.domainSettings(owned.domain)) ?? DEFAULT_DOMAIN_SETTINGS;
    const overrides = await this.repository.addressSettings(owned.domain, owned.address);
    return this.addressView(owned.address, domainSettings, overrides);
  }

  async setAddressPolicy(tenantId: string, domain: string, address: string, settings: AddressSettings, actor: Principal): Promise<AddressPolicyView> {
    const owned = await this.ownedAddress(tenantId, domain, address);
    await this.repository.putAddressSettings(tenantId, owned.domain, owned.address, settings, actor);
    const domainSettings = (await this.repository.domainSettings(owned.domain)) ?? DEFAULT_DOMAIN_SETTINGS;
    return this.addressView(owned.address, domainSettings, settings);
  }

  async listEntries(tenantId: string, domain: string, address: string | undefined, list: ListKind): Promise<ListEntryView[]> {
    const scope = await this.scope(tenantId, domain, address);
    const active = await this.listActive(scope, list);
    return (await this.repository.entries(scope.domain, scope.address, list)).map((e) => toView(e, active));
  }

  /** SPAM9: an address's allow list decides nothing while its domain's rules come first. */
  async listActive(scope: { domain: string; address: string }, list: ListKind): Promise<boolean> {
    if (scope.address === '' || list !== 'allow') return true;
    return ((await this.repository.domainSettings(scope.domain)) ?? DEFAULT_DOMAIN_SETTINGS).priority === 'address-first';
  }

  async addEntry(
    tenantId: string,
    domain: string,
    address: string | undefined,
    entry: Omit<ListEntry, 'id'>,
    actor: Principal,
    options: { ownDigestLink?: boolean } = {},
  ): Promise<ListEntryView> {
    // P6: a user edits only their own block list (the guard already limited `address` to their own). The one
    // exception is the allow-sender link of the user's own quarantine digest (SPAM13, quarantine.service).
    const digestAllow = options.ownDigestLink === true && address !== undefined && entry.list === 'allow';
    if (actor.role === 'user' && !digestAllow && (address === undefined || entry.list !== 'block')) throw forbidden('a user may only edit their own block list');
    const scope = await this.scope(tenantId, domain, address);
    try {
      const stored = await this.repository.addEntry(tenantId, scope.domain, scope.address, entry, actor);
      return toView(stored, await this.listActive(scope, entry.list));
    } catch (error) {
      if (error instanceof ListLimitReachedError) {
        throw conflict('list-limit-reached', `this ${entry.list} list already holds ${error.limit} ${error.field} entries (the limit)`, {
          field: error.field,
          limit: error.limit,
        });
      }
      if (error instanceof DuplicateEntryError) throw conflict('entry-exists', 'the list already holds this entry');
      throw error;
    }
  }

  async deleteEntry(tenantId: string, domain: string, address: string | undefined, list: ListKind, id: string, actor: Principal): Promise<void> {
    if (actor.role === 'user' && (address === undefined || list !== 'block')) throw forbidden('a user may only edit their own block list');
    const scope = await this.scope(tenantId, domain, address);
    if (!UUID.test(id) || !(await this.repository.deleteEntry(tenantId, scope.domain, scope.address, list, id, actor))) throw notFound(`entry ${id}`);
  }

  private async scope(tenantId: string, domain: string, address: string | undefined): Promise<{ domain: string; address: string }> {
    if (address === undefined) return { domain: await this.ownedDomain(tenantId, domain), address: '' };
    return this.ownedAddress(tenantId, domain, address);
  }

  private addressView(address: string, domain: DomainSettings, overrides: AddressSettings): AddressPolicyView {
    const effective = effectiveSettings(domain, overrides);
    return {
      address,
      overrides: { threshold: overrides.threshold ?? null, action: overrides.action ?? null, tag: overrides.tag ?? null },
      effective,
      priority: domain.priority,
      allowListActive: domain.priority === 'address-first',
    };
  }
}

function forbidden(detail: string): ProblemException {
  return new ProblemException({ status: HttpStatus.FORBIDDEN, code: 'forbidden', detail });
}
