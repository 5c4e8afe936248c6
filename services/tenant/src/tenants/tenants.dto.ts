import { createZodDto } from '@torii/http';
import { z } from 'zod';

export const TenantCreateSchema = z.object({ name: z.string().trim().min(1).max(200) });
export class TenantCreateDto extends createZodDto(TenantCreateSchema) {}

export const TenantUpdateSchema = z.object({ name: z.string().trim().min(1).max(200).optional(), status: z.enum(['active', 'suspended']).optional() });
export class TenantUpdateDto extends createZodDto(TenantUpdateSchema) {}

export const AdminCreateSchema = z.object({ email: z.email().max(320), password: z.string().min(8).max(200) });
export class AdminCreateDto extends createZodDto(AdminCreateSchema) {}

export interface TenantView {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  createdAt: string;
}
