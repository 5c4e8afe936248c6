import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

/**
 * The one Prometheus registry of this process. Every series carries a `service` label (set by
 * `startTelemetry` or `initMetrics`), so dashboards can tell services apart without relabelling.
 */
export const metricsRegistry = new Registry();

let defaultMetricsOn = false;

/** Labels every series with the service name and turns on the default process metrics (once). */
export function initMetrics(serviceName: string): void {
  metricsRegistry.setDefaultLabels({ service: serviceName });
  ensureDefaultMetrics();
}

function ensureDefaultMetrics(): void {
  if (defaultMetricsOn) return;
  defaultMetricsOn = true;
  collectDefaultMetrics({ register: metricsRegistry });
}

/** Raised when a name is declared twice with different kinds (a counter and a gauge, say). */
export class MetricConflictError extends Error {
  constructor(name: string, wanted: string) {
    super(`metric ${name} is already registered and is not a ${wanted}`);
    this.name = 'MetricConflictError';
  }
}

type Kind<M> = abstract new (...args: never[]) => M;

function declare<M extends Metric>(name: string, kind: Kind<M>, create: () => M): M {
  const existing = metricsRegistry.getSingleMetric(name);
  if (existing === undefined) return create();
  if (existing instanceof kind) return existing;
  throw new MetricConflictError(name, kind.name);
}

/**
 * Declares (or returns the already declared) counter. Declaring at import time is fine: a second
 * declaration of the same name returns the same metric instead of throwing as prom-client would.
 */
export function counter<L extends string = string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
): Counter<L> {
  return declare(
    name,
    Counter<L>,
    () => new Counter<L>({ name, help, labelNames, registers: [metricsRegistry] }),
  );
}

export function gauge<L extends string = string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
): Gauge<L> {
  return declare(
    name,
    Gauge<L>,
    () => new Gauge<L>({ name, help, labelNames, registers: [metricsRegistry] }),
  );
}

/** Buckets default to prom-client's (seconds, 5 ms to 10 s): name durations `*_seconds`. */
export function histogram<L extends string = string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
  buckets?: number[],
): Histogram<L> {
  return declare(
    name,
    Histogram<L>,
    () =>
      new Histogram<L>({
        name,
        help,
        labelNames,
        registers: [metricsRegistry],
        ...(buckets ? { buckets } : {}),
      }),
  );
}

export const METRICS_CONTENT_TYPE = metricsRegistry.contentType;

/** The Prometheus text exposition of every metric of this process. */
export async function metricsText(): Promise<string> {
  ensureDefaultMetrics();
  return metricsRegistry.metrics();
}

/** `GET /metrics` for processes without Nest (a plain node:http handler). */
export async function metricsHandler(_req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const body = await metricsText();
    res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE }).end(body);
  } catch (error) {
    res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`metrics collection failed: ${String(error)}`);
  }
}
