import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NatsServerOptions {
  /** Enable JetStream (default true). */
  jetstream?: boolean;
  /** 0 (the default) picks a free port; restarts keep the port chosen. */
  port?: number;
  /** The nats-server binary; /usr/sbin/nats-server when it exists, else `nats-server` from PATH. */
  binary?: string;
  /** How long start() waits for the server to accept connections. Default 10 s. */
  startTimeoutMs?: number;
}

export interface NatsServer {
  /** e.g. `nats://127.0.0.1:41234`, for NATS_URL. */
  readonly url: string;
  readonly port: number;
  /** The JetStream store folder (kept across stop()/start()). */
  readonly storeDir: string;
  readonly isRunning: boolean;
  /** Stops the server (SIGTERM, SIGKILL after 5 s); the store and the port stay for start(). */
  stop(): Promise<void>;
  /** Starts it again on the same port and store: a broker restart, as clients see it. */
  start(): Promise<void>;
  /** Stops the server and removes the store. */
  close(): Promise<void>;
}

/**
 * A nats-server of the caller's own, for tests: the standard streams (MAIL, VERDICTS…) have fixed
 * subjects that would overlap between test files sharing one server. Resolves once it accepts connections.
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const binary =
    options.binary ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server');
  const port = options.port || (await freePort());
  const storeDir = await mkdtemp(join(tmpdir(), 'torii-nats-'));
  const args = [
    '-a',
    '127.0.0.1',
    '-p',
    String(port),
    ...(options.jetstream === false ? [] : ['-js', '-sd', storeDir]),
  ];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let closed = false;

  const start = async (): Promise<void> => {
    if (closed) throw new Error('nats-server was closed');
    if (child) return;
    const proc = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4_000)));
    child = proc;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    proc.once('exit', () => {
      if (child === proc) child = undefined;
    });
    proc.once('error', () => undefined);
    const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
    while (!(await accepts(port))) {
      if (proc.exitCode !== null || proc.signalCode !== null || Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`nats-server did not start on port ${port}: ${stderr.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    if (!proc) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    get isRunning() {
      return child !== undefined;
    },
    stop,
    start,
    async close() {
      closed = true;
      await stop();
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
