import { z } from 'zod';
import { queryInteger } from './query-schemas';
import { toOpenApiSchema } from './zod-dto';

describe('queryInteger', () => {
  const schema = z.object({ limit: queryInteger({ min: 1, max: 200, fallback: 50 }).describe('rows (1–200, default 50)') });

  it.each([
    [undefined, 50],
    ['7', 7],
    ['1', 1],
    ['200', 200],
    ['007', 7],
  ])('takes %j as %j', (limit, expected) => expect(schema.parse(limit === undefined ? {} : { limit })).toEqual({ limit: expected }));

  it.each(['', '2.5', '-5', 'abc', '0x10', '1e1', ' 5', '5 ', '+5', '0', '201', '99999999999999999999'])('refuses %j', (limit) => {
    expect(schema.safeParse({ limit }).success).toBe(false);
  });

  it('is documented as an integer with its bounds and default', () => {
    expect(toOpenApiSchema(schema).properties).toEqual({
      limit: { type: 'integer', minimum: 1, maximum: 200, description: 'rows (1–200, default 50)' },
    });
  });
});
