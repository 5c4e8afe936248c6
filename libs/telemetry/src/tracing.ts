import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NestInstrumentation } from '@opentelemetry/instrumentation-nestjs-core';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { initMetrics } from './metrics';

export interface TelemetryOptions {
  serviceName: string;
  serviceVersion?: string;
  /** Base URL of an OTLP/HTTP collector, e.g. http://otel-collector:4318. Defaults to OTEL_EXPORTER_OTLP_ENDPOINT. */
  otlpEndpoint?: string;
}

export interface Telemetry {
  readonly serviceName: string;
  /** True when spans are exported to a collector; false when they only give ids to the logs. */
  readonly exporting: boolean;
  /** Flushes pending spans and stops the SDK. Safe to call more than once. */
  shutdown(): Promise<void>;
}

let started: Telemetry | undefined;

/**
 * Starts tracing for this process. Call it before Nest, pg or the HTTP server are loaded, from the first
 * import of `main.ts` (`import './instrument'`): instrumentations patch modules as they are required, so
 * whatever was loaded before stays invisible.
 *
 * Without an OTLP endpoint nothing is exported, but a real tracer provider is still installed so spans have
 * ids and every log line can carry `trace_id` (a message can be followed through the logs alone).
 * A second call returns the first handle and changes nothing.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  if (started) return started;
  const endpoint = (options.otlpEndpoint ?? process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] ?? '').trim();
  const spanProcessor: SpanProcessor = endpoint
    ? new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` }))
    : new NoopSpanProcessor();

  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.serviceName,
      ...(options.serviceVersion ? { [ATTR_SERVICE_VERSION]: options.serviceVersion } : {}),
    }),
    spanProcessors: [spanProcessor],
    // Metrics go through prom-client (scraped), logs through pino (stdout): the SDK exports traces only.
    metricReaders: [],
    logRecordProcessors: [],
    textMapPropagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
    instrumentations: [
      // Probes and scrapes would otherwise be most of the traces.
      // A digest link's token is a credential (it releases mail without a login): spans carry its route instead.
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => isProbe(req.url), startIncomingSpanHook: (req) => incomingSpanAttributes(req.url) }),
      // Patches @nestjs/core < 12 only for now; kept so Nest spans appear as soon as upstream supports 12.
      new NestInstrumentation(),
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  initMetrics(options.serviceName);

  let stopping: Promise<void> | undefined;
  started = {
    serviceName: options.serviceName,
    exporting: endpoint !== '',
    shutdown: () => (stopping ??= sdk.shutdown()),
  };
  return started;
}

/**
 * Path segments that are credentials: what follows the route prefix up to the next `/`, `?` or `#` becomes the
 * placeholder (`/v1/quarantine/links/<token>` → `/v1/quarantine/links/{token}`). Case-insensitive, as Express
 * routes: `/V1/QUARANTINE/LINKS/<token>` reaches the same handler.
 */
const SECRET_SEGMENTS: readonly (readonly [RegExp, string])[] = [[/(\/v1\/quarantine\/links\/)[^/?#]+/gi, '$1{token}']];

/** The URL (path and query) with its secret path segments replaced by their placeholder. */
export function redactUrlPath(url: string): string {
  return SECRET_SEGMENTS.reduce((out, [pattern, placeholder]) => out.replace(pattern, placeholder), url);
}

/**
 * The incoming span's `url.path`, redacted; the instrumentation applies these over what it computed. Parsed as it
 * parses (`new URL`), so a path it would normalise (`/v1/quarantine/./links/…`) is redacted in that form too.
 */
export function incomingSpanAttributes(url: string | undefined): Record<string, string> {
  let path: string;
  try {
    path = new URL(url ?? '/', 'http://localhost').pathname;
  } catch {
    return {};
  }
  const redacted = redactUrlPath(path);
  return redacted === path ? {} : { 'url.path': redacted };
}

function isProbe(url: string | undefined): boolean {
  const path = (url ?? '').split('?')[0];
  return path === '/metrics' || path === '/healthz' || path === '/readyz';
}
