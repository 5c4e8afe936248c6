export {
  ProblemException,
  ValidationProblemException,
  httpExceptionToProblem,
  problemType,
  statusTitle,
  PROBLEM_CONTENT_TYPE,
  type ProblemDetails,
  type ProblemFieldError,
  type ProblemInit,
} from './problem';
export { ProblemDetailsFilter } from './problem.filter';
export { createZodDto, toOpenApiSchema, isStandardSchema, schemaOfType, type ZodDto } from './zod-dto';
export { ZodValidationPipe, issuesToErrors, toJsonPointer } from './zod-validation.pipe';
export { AnyQuery, UnknownQueryInterceptor, declaredQuery } from './query.interceptor';
export { auditPageQuery, queryInteger } from './query-schemas';
export { ApiZodResponse, ApiProblemResponse, buildOpenApiDocument, setupOpenApi, type OpenApiOptions } from './openapi';
export { createServiceApp, bootstrapService, type ServiceAppOptions, type ServiceOptions } from './bootstrap';
export { currentTraceId } from './trace';
