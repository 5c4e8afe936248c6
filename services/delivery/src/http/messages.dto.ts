import { createZodDto, queryInteger } from '@torii/http';
import { z } from 'zod';

/** The most messages `GET …/domains/{domain}/messages` lists at once. */
export const RECENT_MESSAGES_MAX = 200;

export const RecentMessagesQuerySchema = z.object({
  limit: queryInteger({ min: 1, max: RECENT_MESSAGES_MAX, fallback: 50 }).describe(`at most this many messages, newest first (1–${RECENT_MESSAGES_MAX}, default 50)`),
});
export class RecentMessagesQueryDto extends createZodDto(RecentMessagesQuerySchema) {}

export const DeliveryAuditQuerySchema = z.object({
  limit: queryInteger({ min: 1, max: 1000, fallback: 100 }).describe('entries per page (1–1000, default 100)'),
  before: z
    .string()
    .regex(/^[1-9][0-9]{0,17}$/, 'an entry id from an earlier page')
    .optional()
    .describe('only entries older than this id (the `id` of the last entry of the previous page)'),
});
export class DeliveryAuditQueryDto extends createZodDto(DeliveryAuditQuerySchema) {}
