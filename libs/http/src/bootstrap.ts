import { Logger, Module, type DynamicModule, type LoggerService, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { HealthModule, HealthService, MetricsModule, PinoNestLogger, createLogger } from '@torii/telemetry';
import { setupOpenApi, type OpenApiOptions } from './openapi';
import { ProblemDetailsFilter } from './problem.filter';
import { UnknownQueryInterceptor } from './query.interceptor';
import { ZodValidationPipe } from './zod-validation.pipe';

type HealthChecks = Parameters<typeof HealthModule.forRoot>[0];

export interface ServiceAppOptions {
  /** Service name: the `service` field of every log line. */
  name: string;
  /** The service's root module. */
  module: Type<unknown> | DynamicModule;
  openapi: OpenApiOptions;
  /** Readiness checks for `GET /readyz`; `false` leaves health and metrics routes out (the module has its own). */
  health?: HealthChecks | false;
  /**
   * Readiness checks that need the app's providers (the database client, the NATS connection, the object
   * store), added to `health` once the app is created: `(app) => ({ database: () => app.get(Db).ping() })`.
   */
  readiness?: (app: NestExpressApplication) => HealthChecks;
  /** pino level; defaults to LOG_LEVEL or info. */
  logLevel?: string;
  /** Replaces the pino logger (`false` silences Nest, as some tests want). */
  logger?: LoggerService | false;
  /** Last hook before listening: global prefix, CORS, extra middleware. */
  configure?: (app: NestExpressApplication) => void | Promise<void>;
}

export interface ServiceOptions extends ServiceAppOptions {
  port: number;
  host?: string;
}

@Module({})
class ServiceRootModule {}

/**
 * Builds the Nest app the way every Torii service runs it, without listening: JSON logs, zod validation,
 * no query parameter a route does not read, problem details, health and metrics, OpenAPI at /docs. Tests use
 * it with supertest (`app.getHttpServer()` after `app.init()`).
 */
export async function createServiceApp(options: ServiceAppOptions): Promise<NestExpressApplication> {
  const logger =
    options.logger ?? new PinoNestLogger(createLogger({ name: options.name, level: options.logLevel ?? process.env.LOG_LEVEL }));
  const root: DynamicModule = {
    module: ServiceRootModule,
    imports: [options.module, ...(options.health === false ? [] : [HealthModule.forRoot(options.health ?? {}), MetricsModule])],
  };
  // JSON only (Nest's default also parses HTML form bodies, which turned a form post into `{}` that PATCH
  // endpoints accepted). A service that takes another type adds its parser in `configure` (tenant: CSV).
  const app = await NestFactory.create<NestExpressApplication>(root, { logger, bufferLogs: logger !== false, bodyParser: false });
  app.useBodyParser('json');
  app.disable('x-powered-by');
  app.useGlobalPipes(new ZodValidationPipe());
  app.useGlobalInterceptors(new UnknownQueryInterceptor());
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.enableShutdownHooks();
  if (options.readiness && options.health !== false) {
    const health = app.get(HealthService);
    for (const [name, check] of Object.entries(options.readiness(app) ?? {})) health.register(name, check);
  }
  await options.configure?.(app);
  setupOpenApi(app, options.openapi);
  return app;
}

/** Creates the app and listens on `port`; returns it so the caller can close it. */
export async function bootstrapService(options: ServiceOptions): Promise<NestExpressApplication> {
  const app = await createServiceApp(options);
  await app.listen(options.port, options.host ?? '0.0.0.0');
  new Logger(options.name).log(`listening on ${await app.getUrl()}, API docs at /docs`);
  return app;
}
