export const ROLES = ['operator', 'admin', 'user'] as const;

/** operator: every tenant; admin: their whole tenant; user: their own address (P6). */
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/** Who is calling, however they proved it. `tenantId` is absent for operators; `address` is a user's own. */
export interface Principal {
  subject: string;
  role: Role;
  tenantId?: string;
  address?: string;
  via: 'jwt' | 'api-key';
}
