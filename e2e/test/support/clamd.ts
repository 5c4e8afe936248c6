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
      await stopClamd(runDir);
    },
  };
  await clamd.start();
  return clamd;
}

/** Stops the clamd whose pid file is in `runDir` (if any) and waits until it is gone. */
export async function stopClamd(runDir: string): Promise<void> {
  const pidFile = join(runDir, 'clamd.pid');
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!pid) return;
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (alive()) process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 200 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
  if (alive()) process.kill(pid, 'SIGKILL');
  await rm(pidFile, { force: true });
}
