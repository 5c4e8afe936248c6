import { auditPageQuery, createZodDto, queryInteger } from '@torii/http';
import { z } from 'zod';

/** The most messages `GET …/domains/{domain}/messages` lists at once. */
export const RECENT_MESSAGES_MAX = 200;

export const RecentMessagesQuerySchema = z.object({
  limit: queryInteger({ min: 1, max: RECENT_MESSAGES_MAX, fallback: 50 }).describe(`at most this many messages, newest first (1–${RECENT_MESSAGES_MAX}, default 50)`),
});
export class RecentMessagesQueryDto extends createZodDto(RecentMessagesQuerySchema) {}

export const DeliveryAuditQuerySchema = z.object(auditPageQuery);
export class DeliveryAuditQueryDto extends createZodDto(DeliveryAuditQuerySchema) {}
