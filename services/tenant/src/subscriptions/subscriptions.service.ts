import { Injectable } from '@nestjs/common';
import type { Principal } from '@torii/auth';
import { DirectoryService } from '../directory/directory.service';
import { isoDay, type ServiceCode } from '../directory/directory.rules';
import { DomainsService } from '../domains/domains.service';
import { conflict, notFound, unprocessable } from '../problems';
import { SubscriptionRefusedError, SubscriptionsRepository, type SubscriptionRecord } from './subscriptions.repository';
import { checkCapacity, checkEndDate, type SubscriptionCheck } from './subscriptions.rules';

function assertOk(check: SubscriptionCheck): void {
  if (check.ok) return;
  throw check.code === 'already-subscribed' ? conflict(check.code, check.detail) : unprocessable(check.code, check.detail);
}

/** P5: services are added, cancelled and given capacity online; the plan itself is the domain's (P2). */
@Injectable()
export class SubscriptionsService {
  constructor(
    private readonly domains: DomainsService,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly directory: DirectoryService,
  ) {}

  async list(tenantId: string, domainName: string): Promise<SubscriptionRecord[]> {
    return this.subscriptions.list((await this.domains.get(tenantId, domainName)).id);
  }

  async add(
    tenantId: string,
    domainName: string,
    input: { service: ServiceCode; startsOn?: string; quarantineExtraBlocks: number; archiveExtraBlocks: number },
    actor: Principal,
  ): Promise<SubscriptionRecord> {
    const domain = await this.domains.get(tenantId, domainName);
    const startsOn = input.startsOn ?? isoDay(new Date());
    assertOk(checkCapacity(input.service, input.quarantineExtraBlocks, input.archiveExtraBlocks));
    let created: SubscriptionRecord;
    try {
      created = await this.subscriptions.create(domain, { ...input, startsOn }, actor);
    } catch (error) {
      if (error instanceof SubscriptionRefusedError) assertOk(error.check);
      throw error;
    }
    await this.directory.publish([domain.name]);
    return created;
  }

  async update(
    tenantId: string,
    domainName: string,
    id: string,
    patch: { endsOn?: string | null; quarantineExtraBlocks?: number; archiveExtraBlocks?: number },
    actor: Principal,
  ): Promise<SubscriptionRecord> {
    const domain = await this.domains.get(tenantId, domainName);
    const current = /^[0-9a-f-]{36}$/i.test(id) ? await this.subscriptions.find(domain.id, id) : null;
    if (!current) throw notFound(`subscription ${id}`);
    assertOk(checkCapacity(current.service, patch.quarantineExtraBlocks ?? 0, patch.archiveExtraBlocks ?? 0));
    if (patch.endsOn !== undefined) assertOk(checkEndDate(current.startsOn, patch.endsOn));
    const updated = await this.subscriptions.update(domain, id, patch, actor);
    await this.directory.publish([domain.name]);
    return updated;
  }
}
