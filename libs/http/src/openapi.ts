import { applyDecorators, type INestApplication, type Type } from '@nestjs/common';
import { ApiResponse, DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { z } from 'zod';
import { PROBLEM_CONTENT_TYPE } from './problem';
import { toOpenApiSchema, type ZodDto } from './zod-dto';

export interface OpenApiOptions {
  title: string;
  version: string;
  description?: string;
}

/** The problem-details shape, documented once and referenced by error responses. */
const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', example: 'urn:torii:problem:address-limit-reached' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    code: { type: 'string', description: 'Stable machine-readable error code.' },
    traceId: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['pointer', 'detail'],
        properties: {
          in: { type: 'string', enum: ['body', 'query', 'path'] },
          pointer: { type: 'string', description: 'RFC 6901 JSON pointer' },
          detail: { type: 'string' },
        },
      },
    },
  },
};

/**
 * Documents a response with a zod DTO class or a bare zod schema:
 * `@ApiZodResponse(200, TenantResponseDto)`, `@ApiZodResponse(200, z.array(TenantSchema), 'The tenants')`.
 */
export function ApiZodResponse(status: number, body: ZodDto | z.ZodType, description?: string): MethodDecorator & ClassDecorator {
  if (typeof body === 'function') return ApiResponse({ status, type: body as Type<unknown>, description });
  return ApiResponse({ status, description, schema: toOpenApiSchema(body, 'output') });
}

/** Documents an error answer as problem details (`@ApiProblemResponse(409, 'address-limit-reached')`). */
export function ApiProblemResponse(status: number, description?: string): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiResponse({
      status,
      description,
      content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDetails' } } },
    }),
  );
}

export function buildOpenApiDocument(app: INestApplication, options: OpenApiOptions): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(options.title)
    .setVersion(options.version)
    .setDescription(options.description ?? '')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'A JWT from the tenant service, or an API key' }, 'bearer')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
    .addSecurityRequirements('bearer')
    .addSecurityRequirements('api-key')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ProblemDetails: PROBLEM_SCHEMA } };
  return document;
}

/** Swagger UI at `/docs`, the document at `/docs-json`. */
export function setupOpenApi(app: INestApplication, options: OpenApiOptions): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app, options), { jsonDocumentUrl: 'docs-json', raw: ['json'] });
}
