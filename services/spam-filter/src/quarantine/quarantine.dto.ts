import { createZodDto, queryInteger } from '@torii/http';
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

/**
 * RFC 5321 §4.5.3.1: a local part of at most 64 octets, a path of at most 256 (254 without its brackets). The
 * address book refuses longer local parts too; delivery's next hop would refuse the RCPT after our 202.
 */
export const ForwardSchema = z.object({
  to: z
    .email()
    .max(254)
    .refine((to) => to.lastIndexOf('@') <= 64, { message: 'the local part (before @) is at most 64 characters (RFC 5321)' })
    .describe('any address (local part at most 64 characters, at most 254 in all)'),
});
export class ForwardDto extends createZodDto(ForwardSchema) {}

/** A score bound as typed in a query: `90`, `97.5`; not `''`, `0x10`, `1e1` (z.coerce.number would take them). */
const scoreBound = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,2})?$/, { message: 'expected a percentage such as 90 or 97.5' })
  .transform(Number)
  .pipe(z.number().min(0).max(100));
export const SearchQuerySchema = z.object({
  page: queryInteger({ min: 1, max: 1_000_000, fallback: 1 }).describe('page number, from 1 (default 1)'),
  pageSize: queryInteger({ min: 1, max: 200, fallback: 50 }).describe('items per page (1–200, default 50)'),
  sender: z.string().trim().min(1).max(320).optional().describe('contains, case-insensitive'),
  subject: z.string().trim().min(1).max(998).optional().describe('contains (decoded subject, any language)'),
  from: z.iso.datetime({ offset: true }).optional().describe('quarantined at or after (ISO 8601 with offset)'),
  to: z.iso.datetime({ offset: true }).optional().describe('quarantined at or before (ISO 8601 with offset)'),
  minScore: scoreBound.optional().describe('spam score at least (0–100, up to two decimals)'),
  maxScore: scoreBound.optional().describe('spam score at most (0–100, up to two decimals)'),
})
  // An inverted range matches nothing; say so rather than answer an empty page that looks like an empty box.
  .refine((q) => q.minScore === undefined || q.maxScore === undefined || q.minScore <= q.maxScore, { path: ['minScore'], message: 'must not be above maxScore' })
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) <= Date.parse(q.to), { path: ['from'], message: 'must not be after to' });
export class SearchQueryDto extends createZodDto(SearchQuerySchema) {}
