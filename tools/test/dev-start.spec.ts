// dev/supervisor.js, the process management of `npm start` (dev/start.js), driven as start.js drives it but
// with fake services: a crashed service is restarted, a crash loop stops everything, Ctrl-C always ends the
// script (also after a service was killed by a signal, which once hung it for ever), a second Ctrl-C at once.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const supervisorModule = join(__dirname, '..', '..', 'dev', 'supervisor.js');

/** What dev/start.js does, minus Postgres, NATS and the real services. */
const DRIVER = `
const { createSupervisor } = require(${JSON.stringify(supervisorModule)});
// Stands for the in-process development SMTP sink and S3 server: it keeps the script alive until closed.
const sink = require('node:net').createServer().listen(0, '127.0.0.1');
const say = (line) => process.stdout.write('[torii] ' + line + '\\n');
const cleanup = () => new Promise((resolve) => sink.close(() => (say('sink closed'), resolve())));
const supervisor = createSupervisor({ say, cleanup, ...JSON.parse(process.env.OPTIONS) });
supervisor.installSignalHandlers();
for (const fake of JSON.parse(process.env.FAKES)) {
  supervisor.start({ name: fake.name, command: process.execPath, args: ['-e', fake.code] });
  if (fake.healthy !== false) supervisor.healthy(fake.name);
}
process.stdout.write('[torii] up\\n');
`;

const STEADY = "console.log('pid', process.pid); setInterval(() => {}, 1000)";
const STUBBORN = "process.on('SIGTERM', () => console.log('ignoring SIGTERM')); console.log('pid', process.pid); setInterval(() => {}, 1000)";

interface Run {
  child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with the exit code, or 'timeout' when the script is still running after timeoutMs. */
  exit(timeoutMs: number): Promise<number | string | null>;
  /** pids of a fake service, in start order (one per restart). */
  pids(name: string): number[];
}

const dir = mkdtempSync(join(tmpdir(), 'torii-dev-start-'));
const driver = join(dir, 'driver.js');
writeFileSync(driver, DRIVER);
const runs: Run[] = [];

function run(fakes: { name: string; code: string; healthy?: boolean }[], options: Record<string, number>): Run {
  const child = spawn(process.execPath, [driver], {
    env: { PATH: process.env.PATH, FAKES: JSON.stringify(fakes), OPTIONS: JSON.stringify(options) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const result: Run = {
    child,
    output: () => output,
    async waitFor(pattern, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(output);
        if (match) return match;
        if (Date.now() > deadline) throw new Error(`no ${pattern} in:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async exit(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
      const code = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      return code;
    },
    pids(name) {
      const pattern = new RegExp(`^${name}\\s*\\| pid (\\d+)$`, 'gm');
      return [...output.matchAll(pattern)].map((m) => Number(m[1]));
    },
  };
  runs.push(result);
  return result;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function started(r: Run, names: string[]): Promise<Record<string, number>> {
  const pids: Record<string, number> = {};
  for (const name of names) pids[name] = Number((await r.waitFor(new RegExp(`^${name}\\s*\\| pid (\\d+)$`, 'm')))[1]);
  return pids;
}

afterEach(() => {
  // A failed test must not leave a driver or its fakes behind.
  for (const r of runs.splice(0)) {
    if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    for (const name of ['steady', 'victim', 'stubborn']) for (const pid of r.pids(name)) if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
});

describe('npm start process management (dev/supervisor.js)', () => {
  it('stops and exits on Ctrl-C after a service was killed by SIGKILL (it used to hang for ever)', async () => {
    const r = run(
      [
        { name: 'steady', code: STEADY },
        { name: 'victim', code: STEADY },
      ],
      { restartDelayMs: 60_000 },
    );
    const pids = await started(r, ['steady', 'victim']);
    process.kill(pids.victim, 'SIGKILL');
    await r.waitFor(/victim crashed \(killed by SIGKILL\); restarting it in 60 s, the other services keep running/);
    r.child.kill('SIGINT');
    expect(await r.exit(20_000)).toBe(0);
    expect(r.output()).toContain('[torii] stopping…');
    expect(r.output()).toContain('[torii] sink closed');
    expect(await gone(pids.steady)).toBe(true);
    expect(r.pids('victim')).toHaveLength(1); // the pending restart was cancelled
  });

  it('restarts a crashed service and keeps the others; Ctrl-C then stops the new one too', async () => {
    const r = run(
      [
        { name: 'steady', code: STEADY },
        { name: 'victim', code: STEADY },
      ],
      { restartDelayMs: 100 },
    );
    const pids = await started(r, ['steady', 'victim']);
    process.kill(pids.victim, 'SIGKILL');
    await r.waitFor(/victim restarting/);
    await until(() => r.pids('victim').length === 2);
    const [, second] = r.pids('victim');
    expect(second).not.toBe(pids.victim);
    expect(alive(pids.steady)).toBe(true);
    r.child.kill('SIGINT');
    expect(await r.exit(20_000)).toBe(0);
    expect(await gone(second)).toBe(true);
    expect(await gone(pids.steady)).toBe(true);
  });

  it('stops everything with exit code 1 when a service keeps crashing', async () => {
    const r = run(
      [
        { name: 'steady', code: STEADY },
        { name: 'victim', code: STEADY },
      ],
      { restartDelayMs: 100, maxRestarts: 3, windowMs: 60_000 },
    );
    const pids = await started(r, ['steady', 'victim']);
    for (let crash = 1; crash <= 3; crash++) {
      const victims = r.pids('victim');
      expect(victims).toHaveLength(crash);
      process.kill(victims[crash - 1], 'SIGKILL');
      if (crash < 3) await until(() => r.pids('victim').length === crash + 1);
    }
    expect(await r.exit(20_000)).toBe(1);
    expect(r.output()).toMatch(/victim crashed \(killed by SIGKILL\), 3 times within 60 s; stopping everything/);
    expect(await gone(pids.steady)).toBe(true);
  });

  it('stops everything when a service exits before it became healthy', async () => {
    const r = run(
      [
        { name: 'steady', code: STEADY },
        { name: 'broken', code: 'setTimeout(() => process.exit(3), 500)', healthy: false },
      ],
      {},
    );
    const pids = await started(r, ['steady']);
    expect(await r.exit(20_000)).toBe(1);
    expect(r.output()).toContain('[torii] broken exit code 3 before it became healthy; stopping everything');
    expect(await gone(pids.steady)).toBe(true);
  });

  it('exits at once on a second Ctrl-C, killing a service that ignores SIGTERM', async () => {
    const r = run([{ name: 'stubborn', code: STUBBORN }], { stopTimeoutMs: 60_000 });
    const pids = await started(r, ['stubborn']);
    r.child.kill('SIGINT');
    await r.waitFor(/ignoring SIGTERM/);
    r.child.kill('SIGINT');
    expect(await r.exit(5_000)).toBe(130);
    expect(r.output()).toContain('[torii] SIGINT again: exiting now, killing what is left');
    expect(await gone(pids.stubborn)).toBe(true);
  });
});
