import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { startTelemetry } from './tracing';

describe('startTelemetry', () => {
  it('is idempotent and shuts down cleanly', async () => {
    const first = startTelemetry({ serviceName: 'tracing-spec' });
    const second = startTelemetry({ serviceName: 'another-name' });
    expect(second).toBe(first);
    expect(first.exporting).toBe(false);
    const span = trace.getTracer('spec').startSpan('x');
    expect(span.spanContext().traceId).not.toBe('00000000000000000000000000000000');
    span.end();
    await expect(first.shutdown()).resolves.toBeUndefined();
    await expect(second.shutdown()).resolves.toBeUndefined();
  });

  // In a real process (not Jest's module registry), as a service starts: telemetry first, then http.
  it('continues the caller’s W3C trace in an instrumented HTTP server and its logs', () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const script = `
      const { startTelemetry, createLogger } = require('./src/index.ts');
      startTelemetry({ serviceName: 'child' });
      const http = require('node:http');
      const logger = createLogger({ name: 'child' });
      const server = http.createServer((req, res) => { logger.info('handled'); res.end('ok'); });
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address();
        // A raw socket: an instrumented http client would start its own trace and replace the header.
        const socket = require('node:net').connect(port, '127.0.0.1', () =>
          socket.write('GET /x HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\ntraceparent: 00-${traceId}-00f067aa0ba902b7-01\\r\\n\\r\\n'));
        socket.resume();
        socket.on('end', () => server.close(() => process.exit(0)));
      });
    `;
    const result = spawnSync(process.execPath, ['-r', '@swc-node/register', '-e', script], {
      cwd: join(__dirname, '..'),
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.stderr).toBe('');
    const line = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({ msg: 'handled', service: 'child', trace_id: traceId });
    expect(line['span_id']).not.toBe('00f067aa0ba902b7');
  });
});
