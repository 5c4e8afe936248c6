import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@torii/auth';
import { TENANT_CONFIG, type TenantConfig } from '../config';
import { DirectoryService } from '../directory/directory.service';
import { SERVICE_CODES } from '../directory/directory.rules';
import { conflict, notFound, unprocessable } from '../problems';
import { DomainsRepository, DomainTakenError, revisionBase, PlanTooSmallError, type DomainRecord, type MailServerRecord } from './domains.repository';
import { checkDomainName } from './domains.rules';
import { checkMailServer, parsePortList } from './mail-server.rules';
import { planForAddresses } from './plans.rules';
import { isPolicyService, policySettingsProblems } from './policy-settings.rules';
import type { DomainView } from './domains.dto';

export const toDomainView = (d: DomainRecord): DomainView => ({
  name: d.name,
  tenantId: d.tenantId,
  planSize: d.planSize,
  status: d.status,
  createdAt: d.createdAt.toISOString(),
});

@Injectable()
export class DomainsService {
  constructor(
    private readonly domains: DomainsRepository,
    private readonly directory: DirectoryService,
    @Inject(TENANT_CONFIG) private readonly config: TenantConfig,
  ) {}

  /** The tenant's domain, or 404 (a domain of another tenant is not found either). */
  async get(tenantId: string, name: string): Promise<DomainRecord> {
    const domain = await this.domains.findForTenant(tenantId, name.trim().toLowerCase().replace(/\.$/, ''));
    if (!domain) throw notFound(`domain ${name}`);
    return domain;
  }

  list(tenantId: string): Promise<DomainRecord[]> {
    return this.domains.listForTenant(tenantId);
  }

  async create(tenantId: string, input: { name: string; planSize: number }, actor: Principal): Promise<DomainRecord> {
    const check = checkDomainName(input.name, this.config.OPERATOR_DOMAINS);
    if (!check.ok) throw unprocessable(check.code, check.detail);
    const planSize = this.plan(input.planSize);
    try {
      const domain = await this.domains.create(tenantId, check.name, planSize, actor);
      await this.directory.publish([domain.name]);
      return domain;
    } catch (error) {
      if (error instanceof DomainTakenError) throw conflict('domain-exists', `${check.name} is already registered`);
      throw error;
    }
  }

  async delete(tenantId: string, name: string, actor: Principal): Promise<void> {
    const domain = await this.get(tenantId, name);
    await this.domains.delete(domain, actor);
    await this.directory.publish([domain.name], { tenantId, revision: Number(revisionBase()) });
  }

  /** P2/P5: one plan for all the domain's services; never below the addresses registered. */
  async changePlan(tenantId: string, name: string, requested: number, actor: Principal): Promise<DomainRecord> {
    const domain = await this.get(tenantId, name);
    try {
      const updated = await this.domains.changePlan(domain, this.plan(requested), actor);
      await this.directory.publish([domain.name]);
      return updated;
    } catch (error) {
      if (error instanceof PlanTooSmallError) throw conflict('plan-too-small', error.message, { addresses: error.addresses, planSize: error.planSize });
      throw error;
    }
  }

  async setStatus(tenantId: string, name: string, status: 'active' | 'suspended', actor: Principal): Promise<DomainRecord> {
    const updated = await this.domains.setStatus(await this.get(tenantId, name), status, actor);
    await this.directory.publish([updated.name]);
    return updated;
  }

  async getPolicy(tenantId: string, name: string, service: string): Promise<{ settings: Record<string, string> }> {
    if (!isPolicyService(service)) throw notFound(`policy ${service}`);
    const domain = await this.get(tenantId, name);
    return { settings: (await this.domains.getPolicies(domain.id))[service] ?? {} };
  }

  async setPolicy(tenantId: string, name: string, service: string, settings: Record<string, string>, actor: Principal): Promise<void> {
    if (!isPolicyService(service)) throw notFound(`policy ${service}`);
    const domain = await this.get(tenantId, name);
    const problems = policySettingsProblems(service, settings);
    if (problems.length) {
      const errors = problems.map(({ key, detail }) => ({ in: 'body', pointer: `/settings/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, detail }));
      throw unprocessable('invalid-policy-settings', problems.map((p) => `${p.key}: ${p.detail}`).join('; '), { errors });
    }
    await this.domains.setPolicy(domain, service, settings, actor);
    await this.directory.publish([domain.name]);
  }

  async getServer(tenantId: string, name: string): Promise<MailServerRecord> {
    const server = await this.domains.getMailServer((await this.get(tenantId, name)).id);
    if (!server) throw notFound(`mail server of ${name}`);
    return server;
  }

  /** Refused (422) where the operator does not let delivery connect: see checkMailServer (the seed included). */
  async putServer(tenantId: string, name: string, server: MailServerRecord, actor: Principal): Promise<MailServerRecord> {
    const domain = await this.get(tenantId, name);
    const check = checkMailServer(server, { allowedRanges: this.config.MAIL_SERVER_ALLOWED_RANGES, ports: parsePortList(this.config.MAIL_SERVER_PORTS) ?? [] });
    if (!check.ok) throw unprocessable(check.code, check.detail);
    const saved = await this.domains.putMailServer(domain, { ...server, ips: [...new Set(server.ips)] }, actor);
    await this.directory.publish([domain.name]);
    return saved;
  }

  private plan(requested: number): number {
    const planSize = planForAddresses(requested);
    if (planSize === undefined) throw unprocessable('invalid-plan-size', `${requested} is not a number of addresses a plan can have`);
    return planSize;
  }
}

export { SERVICE_CODES };
