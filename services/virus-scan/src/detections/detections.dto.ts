import { createZodDto, queryInteger } from '@torii/http';
import { z } from 'zod';
import { DAY_DETAIL, MAX_RANGE_DAYS, parseDay, rangeErrors } from './detections.service';

const day = z.string().refine((value) => parseDay(value) !== undefined, { message: DAY_DETAIL }).meta({ format: 'date' });

export const DetectionsPerDayQuerySchema = z
  .object({
    from: day.optional().describe('first day, YYYY-MM-DD (UTC); default 30 days before to'),
    to: day.optional().describe(`last day, YYYY-MM-DD (UTC), at most ${MAX_RANGE_DAYS} days after from; default today`),
  })
  .superRefine(({ from, to }, ctx) => {
    const fromDay = from === undefined ? undefined : parseDay(from);
    const toDay = to === undefined ? undefined : parseDay(to);
    if (!fromDay || !toDay) return;
    for (const [parameter, message] of rangeErrors(fromDay, toDay)) ctx.addIssue({ code: 'custom', path: [parameter], message });
  });
export class DetectionsPerDayQueryDto extends createZodDto(DetectionsPerDayQuerySchema) {}

/** The most detections `GET …/virus/detections/recent` lists at once. */
export const RECENT_DETECTIONS_MAX = 200;

export const RecentDetectionsQuerySchema = z.object({
  limit: queryInteger({ min: 1, max: RECENT_DETECTIONS_MAX, fallback: 50 }).describe(`at most this many, newest first (1–${RECENT_DETECTIONS_MAX}, default 50)`),
});
export class RecentDetectionsQueryDto extends createZodDto(RecentDetectionsQuerySchema) {}
