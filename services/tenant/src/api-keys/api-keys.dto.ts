import { createZodDto } from '@torii/http';
import { z } from 'zod';

export const ApiKeyCreateSchema = z.object({ label: z.string().trim().min(1).max(200) });
export class ApiKeyCreateDto extends createZodDto(ApiKeyCreateSchema) {}

export interface ApiKeyView {
  id: string;
  label: string;
  role: 'operator' | 'admin' | 'user';
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
