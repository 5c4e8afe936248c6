import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { uniqueName } from '@torii/testing';

const run = promisify(execFile);
const START = join(__dirname, '../../../../tools/clamd/start.sh');

export interface TestClamd {
  host: string;
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** SIGSTOP / SIGCONT: clamd keeps its port open (connections are accepted by the kernel) but answers nothing. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Stops clamd and removes its run directory. */
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * A clamd of this test file's own (tools/clamd/start.sh on a free port, test signatures), so it can be stopped
 * and started without touching anyone else's. Limits can be lowered through `env` (bomb tests).
 */
export async function startClamd(env: Record<string, string> = {}): Promise<TestClamd> {
  const port = await freePort();
  const runDir = join(tmpdir(), uniqueName('clamd'));
  const pidFile = join(runDir, 'clamd.pid');
  const clamd: TestClamd = {
    host: '127.0.0.1',
    port,
    async start() {
      await run(START, [String(port)], { env: { ...process.env, CLAMD_RUN_DIR: runDir, ...env }, timeout: 30_000 });
    },
    async stop() {
      const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
      if (!pid) return;
      try {
        process.kill(pid, 'SIGTERM');
        process.kill(pid, 'SIGCONT'); // a paused clamd acts on SIGTERM only once it runs again
      } catch {
        return;
      }
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          await rm(pidFile, { force: true });
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async pause() {
      const pid = Number((await readFile(pidFile, 'utf8')).trim());
      process.kill(pid, 'SIGSTOP');
    },
    async resume() {
      const pid = Number((await readFile(pidFile, 'utf8')).trim());
      process.kill(pid, 'SIGCONT');
    },
    async close() {
      await clamd.stop();
      await rm(runDir, { recursive: true, force: true });
    },
  };
  await clamd.start();
  return clamd;
}
