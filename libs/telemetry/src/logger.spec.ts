import { Writable } from 'node:stream';
import { trace } from '@opentelemetry/api';
import { createLogger, PinoNestLogger } from './logger';
import { startTelemetry } from './tracing';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  const telemetry = startTelemetry({ serviceName: 'telemetry-spec' });
  afterAll(() => telemetry.shutdown());

  it('writes the trace and span ids of the active span on every line', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ name: 'logger-spec', destination });
    let ids = { traceId: '', spanId: '' };
    trace.getTracer('spec').startActiveSpan('work', (span) => {
      ids = span.spanContext();
      logger.info({ messageId: 'm1' }, 'accepted');
      span.end();
    });
    expect(ids.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(lines[0]).toMatchObject({
      level: 'info',
      msg: 'accepted',
      service: 'logger-spec',
      messageId: 'm1',
      trace_id: ids.traceId,
      span_id: ids.spanId,
    });
    expect(new Date(lines[0]['time'] as string).toISOString()).toBe(lines[0]['time']);
  });

  it('writes no trace id outside a span', () => {
    const { lines, destination } = capture();
    createLogger({ name: 'logger-spec', destination }).warn('idle');
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'idle' });
    expect(lines[0]).not.toHaveProperty('trace_id');
  });

  it('respects the level', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ name: 'logger-spec', level: 'warn', destination });
    logger.info('hidden');
    logger.error('shown');
    expect(lines.map((l) => l['msg'])).toEqual(['shown']);
  });
});

describe('PinoNestLogger', () => {
  it('turns Nest calls into JSON lines with the context', () => {
    const { lines, destination } = capture();
    const nest = new PinoNestLogger(createLogger({ name: 'nest-spec', level: 'trace', destination }));
    nest.log('Mapped {/healthz, GET} route', 'RouterExplorer');
    nest.error('boom', 'Error: boom\n    at handler (x.ts:1:1)', 'ExceptionsHandler');
    nest.verbose({ detail: 1 });
    nest.error(new Error('failed'));
    expect(lines[0]).toMatchObject({
      level: 'info',
      msg: 'Mapped {/healthz, GET} route',
      context: 'RouterExplorer',
      service: 'nest-spec',
    });
    expect(lines[1]).toMatchObject({ level: 'error', msg: 'boom', context: 'ExceptionsHandler' });
    expect(lines[1]['stack']).toContain('at handler');
    expect(lines[2]).toMatchObject({ level: 'trace', detail: 1 });
    expect(lines[3]).toMatchObject({
      level: 'error',
      msg: 'failed',
      err: { message: 'failed', type: 'Error' },
    });
  });

  it('maps Nest log levels to one pino threshold', () => {
    const logger = createLogger({ name: 'nest-spec', destination: capture().destination });
    const nest = new PinoNestLogger(logger);
    nest.setLogLevels(['error', 'warn', 'log']);
    expect(logger.level).toBe('info');
    nest.setLogLevels([]);
    expect(logger.level).toBe('silent');
  });
});
