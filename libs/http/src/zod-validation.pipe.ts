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
