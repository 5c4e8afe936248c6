// The edge MTA: Haraka 3 with the Torii plugins, in this process. Reads the environment, writes a Haraka
// home into STATE_DIR, starts the SMTP listeners and the health/metrics endpoint, and shuts down gracefully.
import './instrument';
import { join } from 'node:path';
import { startMetricsServer } from '@torii/telemetry';
import { loadEdgeConfig } from './config/edge-config';
import { TORII_PLUGINS, writeHarakaHome } from './haraka/haraka-config';
import { EdgeRuntime, setEdgeRuntime } from './runtime';

interface HarakaServerModule {
  createServer(params?: Record<string, unknown>): void;
  stopListeners(): void;
  listeners: unknown[];
  ready?: number;
}

async function main(): Promise<void> {
  const config = loadEdgeConfig();
  const runtime = new EdgeRuntime(config);
  setEdgeRuntime(runtime);
  const { logger } = runtime;

  // Resolves to dist/plugins/*.js when built, src/plugins/*.ts under a TypeScript loader (tests).
  const plugins = Object.fromEntries(TORII_PLUGINS.map((name) => [name, require.resolve(join(__dirname, 'plugins', name))]));
  process.env.HARAKA = writeHarakaHome(config, plugins);
  // Haraka reads process.env.HARAKA when its modules load, so it is required only now (it ships no types).
  const server = require('haraka/server') as HarakaServerModule;
  server.createServer({});

  const http = await startMetricsServer(config.HTTP_PORT, {
    host: config.HTTP_BIND_ADDRESS,
    checks: {
      smtp: () => (server.ready ? Promise.resolve() : Promise.reject(new Error('SMTP listeners not ready'))),
      directory: () => (runtime.directory.isLoaded ? Promise.resolve() : Promise.reject(new Error('directory not loaded'))),
      nats: () => (runtime.natsConnected ? Promise.resolve() : Promise.reject(new Error('NATS not connected'))),
    },
  });
  logger.info(
    { inbound: config.SMTP_INBOUND_PORT, relay: config.SMTP_RELAY_PORT, bind: config.SMTP_BIND_ADDRESS, http: http.port },
    'edge-mta started',
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'edge-mta: stopping (no new connections; finishing open sessions)');
    server.stopListeners();
    const deadline = Date.now() + config.SHUTDOWN_GRACE;
    const waitForSessions = setInterval(() => {
      const done = runtime.inFlight === 0 && runtime.openConnections <= 0;
      if (!done && Date.now() < deadline) return;
      clearInterval(waitForSessions);
      if (!done) logger.warn({ open: runtime.openConnections, inFlight: runtime.inFlight }, 'edge-mta: grace period over');
      void Promise.allSettled([runtime.stop(), http.close()]).then(() => process.exit(0));
    }, 100);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`edge-mta: failed to start: ${String(error)}\n`);
  process.exit(1);
});
