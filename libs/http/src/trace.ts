import { trace } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';

interface HeaderBag {
  headers?: Record<string, string | string[] | undefined>;
}

/**
 * The id that ties a response to its logs: the active OpenTelemetry trace when tracing runs, else the
 * caller's `traceparent` or `x-request-id`, else a fresh one.
 */
export function currentTraceId(request?: HeaderBag): string {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (spanContext && spanContext.traceId !== '00000000000000000000000000000000') return spanContext.traceId;
  const header = (name: string) => {
    const value = request?.headers?.[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const traceparent = /^[\da-f]{2}-([\da-f]{32})-/.exec(header('traceparent') ?? '');
  if (traceparent) return traceparent[1];
  const requestId = header('x-request-id');
  if (requestId && /^[\w.-]{1,128}$/.test(requestId)) return requestId;
  return randomUUID().replace(/-/g, '');
}
