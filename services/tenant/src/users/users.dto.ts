import { createZodDto } from '@torii/http';
import { z } from 'zod';

export const UserCreateSchema = z.object({
  email: z.email().max(320).describe('For a user: a registered mailbox address of the tenant'),
  password: z.string().min(8).max(200),
  role: z.enum(['admin', 'user']),
});
export class UserCreateDto extends createZodDto(UserCreateSchema) {}

export const PasswordChangeSchema = z.object({
  currentPassword: z.string().max(200).optional().describe('Required when changing one’s own password'),
  newPassword: z.string().min(8).max(200),
});
export class PasswordChangeDto extends createZodDto(PasswordChangeSchema) {}

export interface UserView {
  id: string;
  email: string;
  role: 'operator' | 'admin' | 'user';
  tenantId: string | null;
  createdAt: string;
}
