import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { incomingSpanAttributes, redactUrlPath, startTelemetry } from './tracing';

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

describe('link tokens stay out of spans (security review F9b)', () => {
  it.each([
    ['/v1/quarantine/links/eyJhbGciOi.abc_-123', '/v1/quarantine/links/{token}'],
    ['/v1/quarantine/links/tok?utm_source=x', '/v1/quarantine/links/{token}?utm_source=x'],
    ['/V1/Quarantine/LINKS/tok/', '/V1/Quarantine/LINKS/{token}/'],
    ['/v1/tenants/t/domains/d/spam/quarantine/addresses/a@d/items', '/v1/tenants/t/domains/d/spam/quarantine/addresses/a@d/items'],
  ])('redactUrlPath(%s) = %s', (url, expected) => {
    expect(redactUrlPath(url)).toBe(expected);
  });

  it('gives the span the redacted path, also in the form the instrumentation normalises to', () => {
    expect(incomingSpanAttributes('/v1/quarantine/links/tok?x=1')).toEqual({ 'url.path': '/v1/quarantine/links/{token}' });
    expect(incomingSpanAttributes('/v1/quarantine/./links/tok')).toEqual({ 'url.path': '/v1/quarantine/links/{token}' });
    expect(incomingSpanAttributes('/v1/other/path')).toEqual({});
  });

  // A real instrumented server exporting to a collector played by the test: the exported spans are searched (the
  // token comes through the environment: the script's text is exported too, as process.command_args).
  it('exports the span of a link request without its token', async () => {
    const token = 'SECRET-LINK-TOKEN-4c2f9e';
    const bodies: Buffer[] = [];
    const collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    const script = `
      const { startTelemetry } = require('./src/index.ts');
      const telemetry = startTelemetry({ serviceName: 'child' });
      const http = require('node:http');
      const server = http.createServer((req, res) => res.end('ok'));
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address();
        const socket = require('node:net').connect(port, '127.0.0.1', () =>
          socket.write('POST /v1/quarantine/links/' + process.env.LINK_TOKEN + '?utm_source=mail HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n'));
        socket.resume();
        socket.on('end', () => server.close(() => setTimeout(() => telemetry.shutdown().then(() => process.exit(0)), 100)));
      });
    `;
    const child = spawn(process.execPath, ['-r', '@swc-node/register', '-e', script], { cwd: join(__dirname, '..'), env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, LINK_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve) => collector.close(() => resolve()));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const exported = Buffer.concat(bodies).toString('latin1');
    expect(exported).toContain('/v1/quarantine/links/{token}');
    expect(exported).not.toContain(token);
  }, 30_000);
});
