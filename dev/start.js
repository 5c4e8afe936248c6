#!/usr/bin/env node
// `npm start`: runs the whole gateway on one machine with embedded defaults.
// - Postgres and NATS are expected on localhost (found, or clearly reported with how to start them).
// - With no S3_ENDPOINT, a development S3 server is started (data in .torii/s3).
// - The demo tenant's "mail server" is a development SMTP sink on 2526 that keeps each message as an
//   .eml file in .torii/sink and logs one line per message.
// - Each service runs as its own process with its default ports; migrations apply at boot.
'use strict';
const net = require('node:net');
const path = require('node:path');
const fs = require('node:fs');
const { createSupervisor } = require('./supervisor');

const root = path.resolve(__dirname, '..');
const state = path.join(root, '.torii');
const env = { ...process.env };
env.DATABASE_URL ??= 'postgresql://postgres@127.0.0.1:5432/torii';
env.NATS_URL ??= 'nats://127.0.0.1:4222';
env.TORII_SEED ??= path.join(root, 'dev', 'seed.example.yaml');
env.LOG_LEVEL ??= 'info';

/** Services in start order; `ready` is the HTTP port polled before the next one starts. */
const SERVICES = [
  // The demo domain's server is the local sink (127.0.0.1:2526): loopback and high ports are refused by default.
  { name: 'tenant', port: 3001, env: { MAIL_SERVER_ALLOWED_RANGES: process.env.MAIL_SERVER_ALLOWED_RANGES ?? '127.0.0.0/8,::1', MAIL_SERVER_PORTS: process.env.MAIL_SERVER_PORTS ?? '25,465,587,1024-65535' } },
  // With the spool running, it owns deferred mail (SEC1-SEC4); delivery hands it over.
  { name: 'delivery', port: 3002, env: { DEFERRAL_MODE: 'spool' } },
  { name: 'spam-filter', port: 3004 },
  { name: 'virus-scan', port: 3005 },
  { name: 'spool', port: 3007 },
  // SPAM14 by mail: spam@ / not-spam@feedback.torii.local through the relay port (docs/spam-filtering.md).
  { name: 'edge-mta', port: 3003, docs: false, env: { STATE_DIR: path.join(state, 'edge-mta'), FEEDBACK_DOMAIN: process.env.FEEDBACK_DOMAIN ?? 'feedback.torii.local' } },
].filter((s) => fs.existsSync(path.join(root, 'services', s.name, 'dist', 'main.js')));
if (!SERVICES.some((s) => s.name === 'spool')) {
  for (const s of SERVICES) if (s.name === 'delivery') s.env = {}; // no spool: delivery retries itself
}

function say(line) {
  process.stdout.write(`[torii] ${line}\n`);
}

function reachable(host, port, timeoutMs = 1500) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function requireService(label, url, defaultPort, hint) {
  const { hostname, port } = new URL(url);
  if (await reachable(hostname, Number(port || defaultPort))) return;
  say(`${label} is not reachable at ${hostname}:${port || defaultPort}.`);
  say(`  ${hint}`);
  process.exit(1);
}

async function ensureDatabase() {
  const { Client } = require('pg');
  const target = new URL(env.DATABASE_URL);
  const dbName = decodeURIComponent(target.pathname.slice(1)) || 'torii';
  const admin = new URL(env.DATABASE_URL);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [dbName]);
    if (!rowCount) {
      await client.query(`create database "${dbName.replace(/"/g, '""')}"`);
      say(`created database ${dbName}`);
    }
  } finally {
    await client.end();
  }
}

async function waitForHttp(port, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) return true;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}

/** clamd on the project's test signatures (production runs freshclam; see docs/operations/virus-scanning.md). */
function startClamd() {
  if (env.CLAMD_HOSTS) return;
  const result = require('node:child_process').spawnSync(path.join(root, 'tools', 'clamd', 'start.sh'), ['3310'], {
    encoding: 'utf8',
  });
  if (result.status === 0) say('clamd on 127.0.0.1:3310 (test signatures: EICAR and ClamAV test files)');
  else say(`clamd is not available (${(result.stderr || '').trim()}); virus scans wait until it is`);
  // Ours to stop at the end (a clamd that already answered there belongs to someone else: it stays).
  if (result.status === 0 && !/already answers/.test(result.stdout || '')) {
    clamdPidFile = path.join(env.CLAMD_RUN_DIR || path.join(env.TMPDIR || '/tmp', 'torii-clamd-3310'), 'clamd.pid');
  }
}

/** Stops the clamd this run started (it daemonizes, so the supervisor's process group does not hold it). */
function stopClamd() {
  if (!clamdPidFile) return;
  try {
    const pid = Number(require('node:fs').readFileSync(clamdPidFile, 'utf8').trim());
    if (pid > 0) process.kill(pid, 'SIGTERM');
  } catch {
    /* gone already */
  }
}

let clamdPidFile;

let devS3;
let sink;

// A crashed service is restarted (a crash loop stops everything); Ctrl-C stops all, a second Ctrl-C at once.
const supervisor = createSupervisor({
  say,
  cleanup: async () => {
    await sink?.close();
    await devS3?.close();
    stopClamd();
  },
});
const shutdown = (code) => supervisor.shutdown(code);

async function main() {
  await requireService('PostgreSQL', env.DATABASE_URL, 5432,
    'Start it (Debian: pg_ctlcluster <version> main start) or set DATABASE_URL.');
  await requireService('NATS', env.NATS_URL, 4222,
    'Start nats-server with JetStream (nats-server -js -sd /var/lib/nats-server) or set NATS_URL.');
  await ensureDatabase();

  const testing = require(path.join(root, 'libs', 'testing'));
  fs.mkdirSync(state, { recursive: true });
  if (!env.S3_ENDPOINT) {
    devS3 = await testing.startS3Server({ port: Number(env.DEV_S3_PORT ?? 9000), directory: path.join(state, 's3') });
    env.S3_ENDPOINT = devS3.endpoint;
    say(`development S3 server on ${devS3.endpoint} (data in .torii/s3)`);
  }
  sink = await testing.startSmtpSink({
    port: Number(env.DEV_SINK_PORT ?? 2526),
    directory: path.join(state, 'sink'),
    log: true,
  });
  say(`development mail server (the demo tenant's) on 127.0.0.1:${sink.port}, messages in .torii/sink`);

  if (SERVICES.some((s) => s.name === 'virus-scan')) startClamd();

  for (const service of SERVICES) {
    const exited = supervisor.start({
      name: service.name,
      command: process.execPath,
      args: ['--enable-source-maps', 'dist/main.js'],
      cwd: path.join(root, 'services', service.name),
      env: { ...env, ...service.env },
      waitHealthy: () => waitForHttp(service.port),
    });
    if (!exited) return; // Ctrl-C during start-up
    // An exit before it is healthy stops everything (the supervisor says so); no need to wait out the minute.
    const up = await Promise.race([waitForHttp(service.port), exited.then(() => undefined)]);
    if (up === undefined || supervisor.stopping) return;
    if (!up) {
      say(`${service.name} did not become healthy on port ${service.port}`);
      return shutdown(1);
    }
    supervisor.healthy(service.name);
    say(`${service.name} ready: http://127.0.0.1:${service.port}${service.docs === false ? ' (health and metrics; SMTP on 2525 and 2587)' : ' (API docs at /docs)'}`);
  }
  say('Torii is up. Ctrl-C stops it.');
}

supervisor.installSignalHandlers();
main().catch((error) => {
  say(`start failed: ${error.stack ?? error}`);
  void shutdown(1);
});
