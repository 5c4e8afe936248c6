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
