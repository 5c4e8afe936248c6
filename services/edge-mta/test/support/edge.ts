import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface EdgeProcess {
  inboundPort: number;
  relayPort: number;
  httpPort: number;
  stateDir: string;
  dnsFile: string;
  /** Everything the process printed, for diagnosing a failed test. */
  output(): string;
  stop(): Promise<number | null>;
}

/**
 * Starts the real edge (src/main.ts through swc) as a child process on free ports and waits until it is
 * ready (/readyz 200: listeners up, directory loaded, NATS connected) unless `waitReady` is false.
 */
export async function startEdge(env: Record<string, string>, options: { waitReady?: boolean; dns?: object } = {}): Promise<EdgeProcess> {
  const stateDir = mkdtempSync(join(tmpdir(), 'torii-edge-'));
  const dnsFile = join(stateDir, 'dns.json');
  writeFileSync(dnsFile, JSON.stringify(options.dns ?? {}));
  const [inboundPort, relayPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  const child: ChildProcess = spawn(process.execPath, ['-r', '@swc-node/register', join(__dirname, '..', '..', 'src', 'main.ts')], {
    cwd: join(__dirname, '..', '..'),
    env: {
      PATH: process.env.PATH,
      SMTP_INBOUND_PORT: String(inboundPort),
      SMTP_RELAY_PORT: String(relayPort),
      HTTP_PORT: String(httpPort),
      SMTP_HOSTNAME: 'edge.torii.test',
      STATE_DIR: stateDir,
      DNS_OVERRIDES_FILE: dnsFile,
      LOG_LEVEL: 'info',
      SHUTDOWN_GRACE: '2s',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const edge: EdgeProcess = {
    inboundPort,
    relayPort,
    httpPort,
    stateDir,
    dnsFile,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`edge exited with ${child.exitCode}:\n${output}`);
    const status = await fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.status, () => 0);
    if (status === 200 || (options.waitReady === false && status !== 0)) break;
    if (Date.now() > deadline) {
      await edge.stop();
      throw new Error(`edge not ready in time:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return edge;
}

export interface Reply {
  code: number;
  text: string;
}

/**
 * SMTP by hand from a chosen source address (127.0.0.x), so a test can be a tenant's "registered server".
 * Sends each line and reads one reply per line; returns the greeting and the replies. Stops when the server
 * closes. For DATA content pass the whole message ending with `\r\n.` as one line.
 */
export async function dialog(
  port: number,
  lines: string[],
  localAddress = '127.0.0.1',
  timeoutMs = 15_000,
  /** Written as soon as the connection opens, before the greeting: a load balancer's PROXY header. */
  preamble?: string,
): Promise<Reply[]> {
  const socket: Socket = connect({ host: '127.0.0.1', port, localAddress });
  if (preamble !== undefined) socket.once('connect', () => socket.write(preamble));
  socket.setEncoding('utf8');
  const replies: Reply[] = [];
  let buffer = '';
  let pending: string[] = [];
  let waiter: (() => void) | undefined;
  let closed = false;
  socket.on('data', (data: string) => {
    buffer += data;
    let index: number;
    while ((index = buffer.indexOf('\n')) !== -1) {
      const line = buffer.slice(0, index).replace(/\r$/, '');
      buffer = buffer.slice(index + 1);
      pending.push(line);
      if (!/^\d{3}-/.test(line)) {
        replies.push({ code: Number(line.slice(0, 3)), text: pending.map((l) => l.slice(4)).join('\n') });
        pending = [];
      }
    }
    waiter?.();
  });
  socket.on('close', () => {
    closed = true;
    waiter?.();
  });
  socket.on('error', () => {
    closed = true;
    waiter?.();
  });
  const waitFor = async (count: number) => {
    const deadline = Date.now() + timeoutMs;
    while (replies.length < count && !closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };
  try {
    await waitFor(1);
    for (const line of lines) {
      if (closed) break;
      const expected = replies.length + 1;
      socket.write(`${line}\r\n`);
      await waitFor(expected);
      if (replies.length < expected) break;
    }
    return replies;
  } finally {
    socket.destroy();
  }
}

/** "250 2.0.0 Ok queued as <id> (...)" → id */
export function queuedId(reply: Reply | undefined): string {
  const match = /^2\.0\.0 Ok queued as ([0-9A-Z]{26})/.exec(reply?.text ?? '');
  if (!match) throw new Error(`not a queued reply: ${JSON.stringify(reply)}`);
  return match[1];
}
