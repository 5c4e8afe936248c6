import { Injectable } from '@nestjs/common';
import type { Principal } from '@torii/auth';
import { DirectoryService } from '../directory/directory.service';
import { conflict, notFound } from '../problems';
import { TenantNameTakenError, TenantsRepository, type TenantRecord } from './tenants.repository';
import type { TenantView } from './tenants.dto';

export const toTenantView = (t: TenantRecord): TenantView => ({ id: t.id, name: t.name, status: t.status, createdAt: t.createdAt.toISOString() });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class TenantsService {
  constructor(
    private readonly tenants: TenantsRepository,
    private readonly directory: DirectoryService,
  ) {}

  list(): Promise<TenantRecord[]> {
    return this.tenants.list();
  }

  async get(id: string): Promise<TenantRecord> {
    const tenant = UUID.test(id) ? await this.tenants.find(id) : null;
    if (!tenant) throw notFound(`tenant ${id}`);
    return tenant;
  }

  async create(name: string, actor: Principal): Promise<TenantRecord> {
    try {
      return await this.tenants.create(name, actor);
    } catch (error) {
      if (error instanceof TenantNameTakenError) throw conflict('tenant-exists', error.message);
      throw error;
    }
  }

  async update(id: string, patch: { name?: string; status?: 'active' | 'suspended' }, actor: Principal): Promise<TenantRecord> {
    await this.get(id);
    try {
      const { tenant, domains } = await this.tenants.update(id, patch, actor);
      await this.directory.publish(domains);
      return tenant;
    } catch (error) {
      if (error instanceof TenantNameTakenError) throw conflict('tenant-exists', error.message);
      throw error;
    }
  }

  async delete(id: string, actor: Principal): Promise<void> {
    await this.get(id);
    if (!(await this.tenants.delete(id, actor))) throw conflict('tenant-has-domains', 'delete the tenant’s domains first');
  }
}
