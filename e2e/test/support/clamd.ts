import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, freePort } from './services';

const run = promisify(execFile);
const START = join(REPO_ROOT, 'tools', 'clamd', 'start.sh');

/** A clamd of one test file (tools/clamd/start.sh, the shipped test signatures), on a free port. */
export interface Clamd {
  readonly host: string;
  readonly port: number;
  /** Starts clamd (again) on the same port and waits for PONG. */
  start(): Promise<void>;
  /** Stops clamd (SIGTERM) and waits until the process is gone. */
  stop(): Promise<void>;
  readonly running: boolean;
}

/** Starts clamd with its config, pid file, socket and log in `runDir` (removed by the stack's close()). */
export async function startClamd(runDir: string): Promise<Clamd> {
  const port = await freePort();
  const pidFile = join(runDir, 'clamd.pid');
  let running = false;
  const clamd: Clamd = {
    host: '127.0.0.1',
    port,
    get running() {
      return running;
    },
    async start() {
      await run(START, [String(port)], {
        env: { ...process.env, CLAMD_RUN_DIR: runDir },
        timeout: 60_000,
      });
      running = true;
    },
    async stop() {
      running = false;
      const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
      if (!pid) return;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      for (let i = 0; i < 200; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          await rm(pidFile, { force: true });
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      process.kill(pid, 'SIGKILL');
      await rm(pidFile, { force: true });
    },
  };
  await clamd.start();
  return clamd;
}
