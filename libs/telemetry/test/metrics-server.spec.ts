import { counter, startMetricsServer, type MetricsServer } from '../src/index';

describe('startMetricsServer (plain node:http, over a real socket)', () => {
  let healthy = true;
  let server: MetricsServer;
  const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;

  beforeAll(async () => {
    server = await startMetricsServer(0, {
      host: '127.0.0.1',
      checks: {
        queue: async () => {
          if (!healthy) throw new Error('queue unreachable');
        },
      },
      extraRoutes: { '/status': (_req, res) => void res.end('edge up') },
    });
  });
  afterAll(() => server.close());

  it('serves counters on /metrics in the text format', async () => {
    counter('torii_edge_spec_connections_total', 'Connections').inc();
    const res = await fetch(url('/metrics'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toMatch(/^torii_edge_spec_connections_total 1$/m);
  });

  it('answers /healthz, /readyz (200, then 503 naming the failed check) and extra routes', async () => {
    expect((await fetch(url('/healthz'))).status).toBe(200);
    expect((await fetch(url('/readyz'))).status).toBe(200);
    healthy = false;
    const res = await fetch(url('/readyz'));
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: 'unavailable',
      checks: { queue: { status: 'failed', error: 'Error: queue unreachable' } },
    });
    healthy = true;
    expect(await (await fetch(url('/status'))).text()).toBe('edge up');
    expect((await fetch(url('/nothing'))).status).toBe(404);
  });
});
