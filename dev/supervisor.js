// Process management for `npm start` (dev/start.js): each service is a child process whose output is
// prefixed with its name. Kept apart from start.js so tools/test/dev-start.spec.ts can drive it with fake
// services (start.js itself needs Postgres, NATS and the real services on fixed ports).
//
// - A service that crashes after it became healthy is restarted, as Kubernetes restarts a pod in production:
//   the others keep running and the mail for it waits in its stream. Each crash is reported with its exit code
//   or signal. A service that crashes `maxRestarts` times within `windowMs` (a crash loop: bad config, a
//   failed migration), or exits before it ever became healthy, stops everything with exit code 1, so the
//   error stays the last thing on screen.
// - Ctrl-C (SIGINT) or SIGTERM stops every service (SIGTERM, SIGKILL after `stopTimeoutMs`) and exits. Each
//   child's end is one promise created when it is spawned, so a child that is already dead (also one killed
//   by a signal, whose exitCode stays null) counts as stopped at once. A second Ctrl-C exits at once, killing
//   what is left.
'use strict';
const { spawn } = require('node:child_process');

/**
 * @param {object} options
 * @param {(line: string) => void} options.say          a line from the supervisor itself
 * @param {(line: string) => void} [options.write]      a prefixed line of a service's output
 * @param {() => Promise<void>} [options.cleanup]       after the services stopped, before exit (in-process servers)
 * @param {number} [options.stopTimeoutMs]              SIGTERM → SIGKILL
 * @param {number} [options.restartDelayMs]             crash → restart
 * @param {number} [options.maxRestarts]                crashes within windowMs that stop everything
 * @param {number} [options.windowMs]
 * @param {(code: number) => void} [options.exit]
 */
function createSupervisor(options) {
  const {
    say,
    write = (line) => process.stdout.write(line + '\n'),
    cleanup = async () => undefined,
    stopTimeoutMs = 15_000,
    restartDelayMs = 2_000,
    maxRestarts = 3,
    windowMs = 5 * 60_000,
    exit = (code) => process.exit(code),
  } = options;
  /** @type {Map<string, {spec: object, child?: import('node:child_process').ChildProcess, exited?: Promise<object>, healthy: boolean, crashes: number[], restartTimer?: NodeJS.Timeout}>} */
  const services = new Map();
  let stopping = false;
  let interrupts = 0;

  function describe({ code, signal, error }) {
    if (error) return `could not start: ${error.message}`;
    return signal ? `killed by ${signal}` : `exit code ${code}`;
  }

  function spawnChild(service) {
    const { name, command, args = [], cwd, env } = service.spec;
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const prefix = `${name.padEnd(10)} | `;
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream.on('data', (chunk) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop();
        for (const line of lines) write(prefix + line);
      });
      stream.on('end', () => {
        if (buffered) write(prefix + buffered);
        buffered = '';
      });
    }
    // One promise per child, settled by 'exit' (code or signal) or by a failed spawn ('error' without 'exit').
    const exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.on('error', (error) => {
        if (child.pid === undefined) resolve({ code: null, signal: null, error });
        else say(`${name}: ${error.message}`);
      });
    });
    service.child = child;
    service.exited = exited;
    void exited.then((result) => onExit(service, child, result));
    return exited;
  }

  function onExit(service, child, result) {
    if (stopping || service.child !== child) return;
    const { name } = service.spec;
    if (!service.healthy) {
      say(`${name} ${describe(result)} before it became healthy; stopping everything`);
      return void shutdown(1);
    }
    const now = Date.now();
    service.crashes = service.crashes.filter((at) => now - at < windowMs);
    service.crashes.push(now);
    if (service.crashes.length >= maxRestarts) {
      say(`${name} crashed (${describe(result)}), ${service.crashes.length} times within ${Math.round(windowMs / 1000)} s; stopping everything`);
      return void shutdown(1);
    }
    say(`${name} crashed (${describe(result)}); restarting it in ${restartDelayMs / 1000} s, the other services keep running`);
    service.restartTimer = setTimeout(() => {
      service.restartTimer = undefined;
      if (stopping) return;
      say(`${name} restarting`);
      const exited = spawnChild(service);
      const { waitHealthy } = service.spec;
      if (!waitHealthy) return;
      void Promise.race([waitHealthy(), exited.then(() => undefined)]).then((up) => {
        if (up && !stopping && service.child?.exitCode === null) say(`${name} ready again`);
      });
    }, restartDelayMs);
  }

  /**
   * Starts a service: { name, command, args, cwd, env, waitHealthy? } (waitHealthy: resolves true once a
   * restarted instance serves, for the "ready again" line). Returns the promise of this first instance's exit
   * ({ code, signal }), for a caller waiting for its health to race; undefined once stopping.
   */
  function start(spec) {
    if (stopping) return undefined;
    const service = { spec, healthy: false, crashes: [] };
    services.set(spec.name, service);
    return spawnChild(service);
  }

  function healthy(name) {
    const service = services.get(name);
    if (service) service.healthy = true;
  }

  async function stopAll() {
    await Promise.all(
      [...services.values()].map(async (service) => {
        clearTimeout(service.restartTimer);
        const { child, exited } = service;
        if (!child || !exited) return;
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const timer = setTimeout(() => {
          say(`${service.spec.name} did not stop within ${Math.round(stopTimeoutMs / 1000)} s of SIGTERM; killing it (SIGKILL)`);
          child.kill('SIGKILL');
        }, stopTimeoutMs);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  /** Synchronous last resort (a forced exit, process 'exit'): SIGKILL every child still running. */
  function killAll() {
    for (const { child } of services.values()) {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }

  async function shutdown(code) {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    try {
      await stopAll();
      await cleanup();
    } catch (error) {
      say(`while stopping: ${error?.stack ?? error}`);
      code ||= 1;
    }
    exit(code);
  }

  function onSignal(signal) {
    interrupts += 1;
    if (interrupts === 1) return void shutdown(0);
    say(`${signal} again: exiting now, killing what is left`);
    killAll();
    exit(130);
  }

  /** SIGINT/SIGTERM stop everything; a second one exits at once. Children never outlive this process. */
  function installSignalHandlers() {
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    process.on('exit', killAll);
  }

  return {
    start,
    healthy,
    shutdown,
    killAll,
    installSignalHandlers,
    get stopping() {
      return stopping;
    },
  };
}

module.exports = { createSupervisor };
