import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkReadiness, liveness, type HealthChecks } from './health';
import { metricsHandler } from './metrics';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface MetricsServerOptions {
  /** Readiness checks for `/readyz` (none: always ready). */
  checks?: HealthChecks;
  /** More `GET` routes by exact path, e.g. a status page. They cannot replace the three built-in ones. */
  extraRoutes?: Record<string, RouteHandler>;
  /** Defaults to all interfaces, so Prometheus and the orchestrator's probes can reach it. */
  host?: string;
}

export interface MetricsServer {
  readonly server: Server;
  /** The bound port (useful when asked for port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * `/metrics`, `/healthz` and `/readyz` on a plain node:http server, for processes that are not Nest
 * applications (the Haraka edge).
 */
export async function startMetricsServer(
  port: number,
  options: MetricsServerOptions = {},
): Promise<MetricsServer> {
  const checks = options.checks ?? {};
  const routes: Record<string, RouteHandler> = {
    ...options.extraRoutes,
    '/metrics': metricsHandler,
    '/healthz': (_req, res) => sendJson(res, 200, liveness()),
    '/readyz': async (_req, res) => {
      const report = await checkReadiness(checks);
      sendJson(res, report.status === 'ok' ? 200 : 503, report);
    },
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = routes[path];
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendJson(res, 405, { error: 'method not allowed' });
    if (!route) return sendJson(res, 404, { error: 'not found' });
    Promise.resolve()
      .then(() => route(req, res))
      .catch((error: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: String(error) });
        else res.destroy();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}
