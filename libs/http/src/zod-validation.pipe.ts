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
    // No text a client sends may hold a NUL or half a surrogate pair (JSON's `"\ud800"`): PostgreSQL stores
    // neither, and no name, address or id has one.
    const bad = findBadText(value, metadata.data ? toJsonPointer([metadata.data]) : '');
    if (bad !== undefined) {
      throw new ValidationProblemException([{ ...(PLACE[metadata.type] && { in: PLACE[metadata.type] }), pointer: bad.pointer, detail: bad.detail }]);
    }
    const schema = metadata.schema ?? schemaOfType(metadata.metatype);
    if (!schema) return value;
    const result = await schema['~standard'].validate(value);
    if (result.issues) {
      // `@Query('limit')` validates one field: point at it, not at the root of the query.
      const prefix = metadata.data ? toJsonPointer([metadata.data]) : '';
      throw new ValidationProblemException(issuesToErrors(result.issues, PLACE[metadata.type], prefix));
    }
    // A field the schema does not know would be dropped without a word: a typo (`treshold`) would leave the
    // setting as it was and answer 200, a misspelt filter (`minscore=90`) would list everything. Refuse it,
    // naming the field. (A query read one parameter at a time, `@Query('limit')`, has no whole to compare.)
    if (metadata.type === 'body' || (metadata.type === 'query' && !metadata.data)) {
      const where = metadata.type;
      const unknown = unknownFields(value, result.value);
      if (unknown.length) throw new ValidationProblemException(unknown.map((pointer) => ({ in: where, pointer, detail: where === 'body' ? 'unknown field' : 'unknown query parameter' })));
    }
    return result.value;
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

/**
 * JSON pointers of the keys of `input` that parsing dropped: objects are compared where the parsed value is an
 * object too, arrays item by item; where the schema made something else of a value, nothing is compared.
 */
export function unknownFields(input: unknown, parsed: unknown, pointer = '', depth = 0, out: string[] = []): string[] {
  if (depth > 32 || out.length >= 20) return out;
  if (isPlainObject(input) && isPlainObject(parsed)) {
    for (const [key, item] of Object.entries(input)) {
      const at = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (!Object.prototype.hasOwnProperty.call(parsed, key)) {
        if (item !== undefined) out.push(at);
      } else unknownFields(item, parsed[key], at, depth + 1, out);
    }
  } else if (Array.isArray(input) && Array.isArray(parsed) && input.length === parsed.length) {
    input.forEach((item, i) => unknownFields(item, parsed[i], `${pointer}/${i}`, depth + 1, out));
  }
  return out;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function badTextDetail(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain a NUL character';
  if (LONE_SURROGATE.test(text)) return 'must not contain half of a UTF-16 surrogate pair';
  return undefined;
}

/**
 * The first string (or key) holding U+0000 or a lone surrogate, searched depth-first: its JSON pointer and
 * what is wrong; undefined when none.
 */
export function findBadText(value: unknown, pointer = '', depth = 0): { pointer: string; detail: string } | undefined {
  if (typeof value === 'string') {
    const detail = badTextDetail(value);
    return detail ? { pointer, detail } : undefined;
  }
  if (depth > 32 || value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const at = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    const detail = badTextDetail(key);
    if (detail) return { pointer: at, detail };
    const found = findBadText(item, at, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
