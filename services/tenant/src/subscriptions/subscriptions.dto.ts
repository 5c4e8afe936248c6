import { createZodDto } from '@torii/http';
import { z } from 'zod';

const isoDate = z.iso.date();

export const SubscriptionCreateSchema = z.object({
  service: z.enum(['spam', 'virus', 'archive', 'secondary']),
  startsOn: isoDate.optional().describe('Default: today'),
  quarantineExtraBlocks: z.number().int().min(0).max(10_000).default(0).describe('spam only: +50 MB each'),
  archiveExtraBlocks: z.number().int().min(0).max(10_000).default(0).describe('archive only: +10 GB each'),
});
export class SubscriptionCreateDto extends createZodDto(SubscriptionCreateSchema) {}

export const SubscriptionUpdateSchema = z.object({
  endsOn: isoDate.nullable().optional().describe('Cancel: last day of service (inclusive); null reopens'),
  quarantineExtraBlocks: z.number().int().min(0).max(10_000).optional(),
  archiveExtraBlocks: z.number().int().min(0).max(10_000).optional(),
});
export class SubscriptionUpdateDto extends createZodDto(SubscriptionUpdateSchema) {}
