import { z } from 'zod';

/**
 * An integer query parameter, written as plain decimal digits: `''`, `2.5`, `abc`, `0x10`, `1e1` and ` 5` are
 * refused (`z.coerce.number()` takes all but `abc`, some as 0), then `min`..`max` applies; absent, `fallback`.
 * Documented as the integer it is (say the default in `.describe()`: the OpenAPI output leaves it out).
 */
export function queryInteger({ min, max, fallback }: { min: number; max: number; fallback: number }) {
  return z
    .string()
    .regex(/^-?\d{1,15}$/, { message: 'expected a whole number written in decimal digits' })
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .default(fallback)
    .meta({ type: 'integer', minimum: min, maximum: max, pattern: undefined });
}

/**
 * The query of an audit log read newest first a page at a time (spam-filter, delivery, tenant): `limit` entries
 * (1–1000, default 100) older than the entry id `before` (the last id of the previous page).
 */
export const auditPageQuery = {
  limit: queryInteger({ min: 1, max: 1000, fallback: 100 }).describe('entries per page (1–1000, default 100)'),
  before: z
    .string()
    .regex(/^[1-9][0-9]{0,17}$/, 'an entry id from an earlier page')
    .optional()
    .describe('only entries older than this id (the `id` of the last entry of the previous page)'),
};
