import { Injectable } from '@nestjs/common';
import type { Principal } from '@torii/auth';
import { parse } from 'csv-parse/sync';
import { DirectoryService } from '../directory/directory.service';
import type { DomainRecord } from '../domains/domains.repository';
import { DomainsService } from '../domains/domains.service';
import { conflict, notFound, unprocessable } from '../problems';
import { AddressesRepository, AddressExistsError, AddressLimitError, type AddressRecord } from './addresses.repository';
import { checkLocalPart, classifyImport, localPartOf } from './addresses.rules';
import type { AddressView, ImportReport } from './addresses.dto';

export const toAddressView = (domain: string, a: AddressRecord): AddressView => ({
  address: `${a.localPart}@${domain}`,
  localPart: a.localPart,
  kind: a.kind,
  createdAt: a.createdAt.toISOString(),
});

const limitProblem = (error: AddressLimitError, extensions: Record<string, unknown> = {}) =>
  conflict('address-limit-reached', error.message, { planSize: error.planSize, current: error.current, requested: error.adding, ...extensions });

@Injectable()
export class AddressesService {
  constructor(
    private readonly domains: DomainsService,
    private readonly addresses: AddressesRepository,
    private readonly directory: DirectoryService,
  ) {}

  async list(tenantId: string, domainName: string): Promise<AddressView[]> {
    const domain = await this.domains.get(tenantId, domainName);
    return (await this.addresses.list(domain.id)).map((a) => toAddressView(domain.name, a));
  }

  /** The address (full `local@domain` in the route) of the tenant's domain, or 404. */
  async get(tenantId: string, domainName: string, address: string): Promise<{ domain: DomainRecord; address: AddressRecord }> {
    const domain = await this.domains.get(tenantId, domainName);
    const check = localPartOf(address, domain.name);
    const found = check.ok && address.includes('@') ? await this.addresses.find(domain.id, check.localPart) : null;
    if (!found) throw notFound(`address ${address}`);
    return { domain, address: found };
  }

  async create(tenantId: string, domainName: string, input: { address: string; kind: 'mailbox' | 'list' }, actor: Principal): Promise<AddressView> {
    const domain = await this.domains.get(tenantId, domainName);
    const check = localPartOf(input.address, domain.name);
    if (!check.ok) throw unprocessable(check.code, check.detail);
    try {
      const [created] = await this.addresses.createAll(domain, [{ localPart: check.localPart, kind: input.kind }], actor);
      await this.directory.publish([domain.name]);
      return toAddressView(domain.name, created);
    } catch (error) {
      if (error instanceof AddressLimitError) throw limitProblem(error);
      if (error instanceof AddressExistsError) throw conflict('address-exists', `${check.localPart}@${domain.name} exists`);
      throw error;
    }
  }

  async update(tenantId: string, domainName: string, address: string, kind: 'mailbox' | 'list', actor: Principal): Promise<AddressView> {
    const found = await this.get(tenantId, domainName, address);
    const updated = await this.addresses.update(found.domain, found.address, kind, actor);
    await this.directory.publish([found.domain.name]);
    return toAddressView(found.domain.name, updated);
  }

  async delete(tenantId: string, domainName: string, address: string, actor: Principal): Promise<void> {
    const found = await this.get(tenantId, domainName, address);
    await this.addresses.delete(found.domain, found.address, actor);
    await this.directory.publish([found.domain.name]);
  }

  /**
   * CSV `address[,kind]`, one per line. Every line is reported (created / duplicate / invalid); the new
   * addresses are created all together or, when they would pass the plan's limit, not at all (409 with the
   * report).
   */
  async import(tenantId: string, domainName: string, csv: string, actor: Principal): Promise<ImportReport> {
    const domain = await this.domains.get(tenantId, domainName);
    let rows: string[][];
    try {
      rows = parse(csv, { relax_column_count: true, skip_empty_lines: false, trim: true }) as string[][];
    } catch (error) {
      throw unprocessable('invalid-csv', `the body is not CSV: ${(error as Error).message}`);
    }
    const lines = classifyImport(rows, domain.name, await this.addresses.localParts(domain.id));
    const toCreate = lines.flatMap((l) => (l.outcome === 'created' && l.localPart && l.kind ? [{ localPart: l.localPart, kind: l.kind }] : []));
    const report: ImportReport = {
      created: toCreate.length,
      duplicate: lines.filter((l) => l.outcome === 'duplicate').length,
      invalid: lines.filter((l) => l.outcome === 'invalid').length,
      lines: lines.map(({ line, input, outcome, detail }) => ({ line, input, outcome, ...(detail !== undefined && { detail }) })),
    };
    try {
      if (toCreate.length > 0) {
        await this.addresses.createAll(domain, toCreate, actor);
        await this.directory.publish([domain.name]);
      }
    } catch (error) {
      if (error instanceof AddressLimitError) {
        // Nothing was created: the lines say so, not "created".
        const refused: ImportReport = {
          ...report,
          created: 0,
          refused: toCreate.length,
          lines: report.lines.map((l) => (l.outcome === 'created' ? { ...l, outcome: 'refused' as const, detail: 'not created: the import would pass the plan limit' } : l)),
        };
        throw limitProblem(error, { report: refused });
      }
      if (error instanceof AddressExistsError) throw conflict('address-exists', 'an address was added concurrently; retry the import');
      throw error;
    }
    return report;
  }
}

export { checkLocalPart };
