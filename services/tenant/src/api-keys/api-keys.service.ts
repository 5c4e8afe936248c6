import { Injectable } from '@nestjs/common';
import { ApiKeyVerifier, generateApiKey, parseApiKey, verifySecret, type Principal } from '@torii/auth';
import { notFound } from '../problems';
import { ApiKeysRepository, UnknownTenantError, type ApiKeyRecord } from './api-keys.repository';
import type { ApiKeyView } from './api-keys.dto';

export const toApiKeyView = (k: ApiKeyRecord): ApiKeyView => ({
  id: k.id,
  label: k.label,
  role: k.role,
  createdBy: k.createdBy,
  createdAt: k.createdAt.toISOString(),
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  revokedAt: k.revokedAt?.toISOString() ?? null,
});

// lastUsedAt is informative: written at most once a minute per key, not on every call.
const TOUCH_INTERVAL_MS = 60_000;

@Injectable()
export class ApiKeysService extends ApiKeyVerifier {
  constructor(private readonly keys: ApiKeysRepository) {
    super();
  }

  /** A tenant admin's key: acts as an admin of that tenant. The key is in the answer, and only there. */
  async create(tenantId: string, label: string, actor: Principal): Promise<ApiKeyView & { key: string }> {
    const generated = await generateApiKey();
    let record: ApiKeyRecord;
    try {
      record = await this.keys.create({ id: generated.id, hash: generated.hash, role: 'admin', tenantId, label }, actor);
    } catch (error) {
      if (error instanceof UnknownTenantError) throw notFound(`tenant ${tenantId}`);
      throw error;
    }
    return { ...toApiKeyView(record), key: generated.key };
  }

  list(tenantId: string): Promise<ApiKeyRecord[]> {
    return this.keys.listForTenant(tenantId);
  }

  async revoke(tenantId: string, id: string, actor: Principal): Promise<ApiKeyRecord> {
    const key = await this.keys.findForTenant(tenantId, id);
    if (!key) throw notFound(`API key ${id}`);
    return this.keys.revoke(key, actor);
  }

  /** The principal of a valid, unrevoked key, or null (used by our own guard and by the internal endpoint). */
  async verify(key: string): Promise<Principal | null> {
    const parsed = parseApiKey(key.trim());
    if (!parsed) return null;
    const record = await this.keys.findActive(parsed.id);
    if (!record || !(await verifySecret(parsed.secret, record.hash))) return null;
    const now = new Date();
    if (!record.lastUsedAt || now.getTime() - record.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) await this.keys.touch(record.id, now);
    return { subject: `api-key:${record.id}`, role: record.role, ...(record.tenantId !== null && { tenantId: record.tenantId }), via: 'api-key' };
  }
}
