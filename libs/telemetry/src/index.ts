export { startTelemetry, type Telemetry, type TelemetryOptions } from './tracing';
export { createLogger, traceFields, PinoNestLogger, type Logger, type LoggerOptions } from './logger';
export {
  counter,
  gauge,
  histogram,
  initMetrics,
  metricsHandler,
  metricsRegistry,
  metricsText,
  MetricConflictError,
  METRICS_CONTENT_TYPE,
} from './metrics';
export {
  checkReadiness,
  liveness,
  DEFAULT_CHECK_TIMEOUT_MS,
  type CheckResult,
  type HealthChecks,
  type ReadinessReport,
} from './health';
export {
  startMetricsServer,
  type MetricsServer,
  type MetricsServerOptions,
  type RouteHandler,
} from './metrics-server';
export { HealthModule, HealthController, HealthService } from './nest/health.module';
export { MetricsModule, MetricsController } from './nest/metrics.module';
