import { createZodDto } from '@torii/http';
import { z } from 'zod';
import { MAX_RETENTION_DAYS, MIN_RETENTION_DAYS } from './quarantine.rules';

export const BoxSettingsSchema = z.object({
  quotaBytes: z.number().int().min(0).nullable().optional().describe('admin only; null = the default share of the domain capacity'),
  retentionDays: z.number().int().min(MIN_RETENTION_DAYS).max(MAX_RETENTION_DAYS).optional().describe('admin only; SPAM12: 1–14 days'),
  digestHours: z.number().int().min(1).max(24).nullable().optional().describe('digest every N hours (24 = daily); null = no digest'),
});
export class BoxSettingsDto extends createZodDto(BoxSettingsSchema) {}

export const ReleaseQuerySchema = z.object({
  report: z.enum(['false-positive']).optional().describe('also report the message as wrongly flagged (SPAM14)'),
});
export class ReleaseQueryDto extends createZodDto(ReleaseQuerySchema) {}

export const ForwardSchema = z.object({ to: z.email().describe('any address') });
export class ForwardDto extends createZodDto(ForwardSchema) {}

const num = z.coerce.number().finite();
export const SearchQuerySchema = z.object({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
  sender: z.string().trim().min(1).max(320).optional(),
  subject: z.string().trim().min(1).max(998).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  minScore: num.min(0).max(100).optional(),
  maxScore: num.min(0).max(100).optional(),
});
