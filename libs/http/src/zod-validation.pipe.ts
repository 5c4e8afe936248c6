import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { ProblemFieldError, ValidationProblemException } from './problem';
import { schemaOfType } from './zod-dto';

/** RFC 6901 JSON pointer of an issue path, relative to the validated part (`/recipients/0/address`). */
export function toJsonPointer(path: StandardSchemaV1.Issue['path']): string {
  if (!path?.length) return '';
  return path
    .map((segment) => String(typeof segment === 'object' ? segment.key : segment))
    .map((key) => `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`)
    .join('');
}

export function issuesToErrors(
  issues: readonly StandardSchemaV1.Issue[],
  where?: ProblemFieldError['in'],
  prefix = '',
): ProblemFieldError[] {
  return issues.map((issue) => ({
    ...(where && { in: where }),
    pointer: `${prefix}${toJsonPointer(issue.path)}`,
    detail: issue.message,
  }));
}

const PLACE: Partial<Record<ArgumentMetadata['type'], ProblemFieldError['in']>> = {
  body: 'body',
  query: 'query',
  param: 'path',
};

/**
 * Validates body, query and params against the schema their DTO class carries (`createZodDto`) or the one
 * given to the decorator (`@Body({ schema })`, Nest 12), and hands the parsed value to the handler.
 * Failures are 400 problem details whose `errors` point into the request (`{ in: 'body', pointer: '/email' }`).
 */
@Injectable()
export class ZodValidationPipe implements PipeTransform {
  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'custom') return value;
    // No text a client sends may hold a NUL: PostgreSQL cannot store one, and no name, address or id has one.
    const nul = findNul(value, metadata.data ? toJsonPointer([metadata.data]) : '');
    if (nul !== undefined) {
      throw new ValidationProblemException([{ ...(PLACE[metadata.type] && { in: PLACE[metadata.type] }), pointer: nul, detail: 'must not contain a NUL character' }]);
    }
    const schema = metadata.schema ?? schemaOfType(metadata.metatype);
    if (!schema) return value;
    const result = await schema['~standard'].validate(value);
    if (result.issues) {
      // `@Query('limit')` validates one field: point at it, not at the root of the query.
      const prefix = metadata.data ? toJsonPointer([metadata.data]) : '';
      throw new ValidationProblemException(issuesToErrors(result.issues, PLACE[metadata.type], prefix));
    }
    return result.value;
  }
}

/** The JSON pointer of the first string (or key) holding U+0000, searched depth-first; undefined when none. */
export function findNul(value: unknown, pointer = '', depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? pointer : undefined;
  if (depth > 32 || value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const at = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (key.includes('\u0000')) return at;
    const found = findNul(item, at, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
