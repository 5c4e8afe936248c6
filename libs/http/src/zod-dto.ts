import { ApiSchema } from '@nestjs/swagger';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { z } from 'zod';

/** A DTO class generated from a zod schema: the schema is the one source of type, validation and OpenAPI. */
export interface ZodDto<S extends z.ZodType = z.ZodType> {
  new (): z.output<S>;
  readonly schema: S;
  /** Picked up by @nestjs/swagger when it explores the class (the hook its CLI plugin uses). */
  _OPENAPI_METADATA_FACTORY(): Record<string, unknown>;
}

type JsonSchema = Record<string, unknown>;

/** The OpenAPI 3.0 schema of a zod schema, as the client sends it (`io: 'input'`) or receives it. */
export function toOpenApiSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

/**
 * `class TenantCreateDto extends createZodDto(TenantCreateSchema) {}` gives a class whose static `schema`
 * the global ZodValidationPipe validates with, and whose OpenAPI component (named after the subclass) is
 * the schema's JSON schema.
 */
export function createZodDto<S extends z.ZodType>(schema: S): ZodDto<S> {
  class ZodDtoClass {
    static readonly schema = schema;

    static _OPENAPI_METADATA_FACTORY(this: ZodDto<S>): Record<string, unknown> {
      const json = toOpenApiSchema(this.schema);
      // Swagger spreads the class's last @ApiSchema() options over the component it builds, so the whole
      // JSON schema (nested objects, enums, formats, `required`) replaces the empty property list.
      ApiSchema({ name: this.name, ...json } as Parameters<typeof ApiSchema>[0])(this);
      // Per-property metadata so a DTO used for @Query() still documents one parameter per field.
      const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((json.required ?? []) as string[]);
      return Object.fromEntries(
        Object.entries(properties).map(([key, property]) => [key, { ...property, required: required.has(key) }]),
      );
    }
  }
  return ZodDtoClass as unknown as ZodDto<S>;
}

export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && '~standard' in value;
}

/** The schema a parameter's class carries (a `createZodDto` class), if any. */
export function schemaOfType(type: unknown): StandardSchemaV1 | undefined {
  if (typeof type !== 'function') return undefined;
  const schema = (type as { schema?: unknown }).schema;
  return isStandardSchema(schema) ? schema : undefined;
}
