#!/usr/bin/env node
// Lists and replays the messages consumers gave up on (the DLQ stream, subjects dlq.<stream>.<consumer>).
// A replay publishes the message again to its original subject with its original Nats-Msg-Id and headers, so
// every consumer of that subject sees it again and recognises it by id; the dead letter is then deleted.
// See docs/operations/streams.md. Needs the built libraries (`npm run build`), or run it in a service's
// container: `kubectl exec -i deploy/<release>-delivery -- node - list < tools/dlq.js`.
//
//   node tools/dlq.js list [--stream MAIL] [--consumer NAME] [--limit N] [--json]
//   node tools/dlq.js replay SEQ... [--keep]
//   node tools/dlq.js replay --all [--stream MAIL] [--consumer NAME] [--keep]
//
// NATS_URL (default nats://127.0.0.1:4222) or --server URL. Exit 1 when anything was not replayed.
'use strict';

const { parseArgs } = require('node:util');

const USAGE = `usage: dlq list [--stream S] [--consumer C] [--limit N] [--json]
       dlq replay SEQ... [--keep]
       dlq replay --all [--stream S] [--consumer C] [--keep]
options: --server URL (default $NATS_URL, else nats://127.0.0.1:4222)`;

function fail(message) {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function parse(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        server: { type: 'string' },
        stream: { type: 'string' },
        consumer: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean', default: false },
        all: { type: 'boolean', default: false },
        keep: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    fail(error.message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const [command, ...rest] = positionals;
  if (command !== 'list' && command !== 'replay') fail(`unknown command ${JSON.stringify(command ?? '')}`);
  for (const name of [values.stream, values.consumer]) {
    if (name !== undefined && !/^[A-Za-z0-9_-]+$/.test(name)) fail(`not a stream or consumer name: ${JSON.stringify(name)}`);
  }
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) fail('--limit must be a positive whole number');
  const seqs = rest.map((value) => {
    const seq = Number(value);
    if (!Number.isInteger(seq) || seq <= 0) fail(`not a dead-letter sequence: ${JSON.stringify(value)}`);
    return seq;
  });
  if (command === 'list' && seqs.length > 0) fail('list takes no sequences (filter with --stream/--consumer)');
  if (command === 'replay' && values.all === (seqs.length > 0)) fail('replay takes sequences, or --all (with optional --stream/--consumer)');
  const server = values.server ?? (process.env.NATS_URL || 'nats://127.0.0.1:4222');
  return { command, seqs, server, filter: { stream: values.stream, consumer: values.consumer, limit }, json: values.json, all: values.all, keep: values.keep };
}

function line(d) {
  const id = d.msgId ?? '-';
  return `${d.seq}\t${d.time.toISOString()}\t${d.stream}/${d.consumer}\t${d.subject}\t${d.reason} after ${d.deliveries}\t${id}\t${d.error}`;
}

async function main() {
  const options = parse(process.argv.slice(2));
  const { connectNats, listDeadLetters, replayDeadLetter } = require('@torii/messaging');
  const { jetstream, jetstreamManager } = require('@nats-io/jetstream');
  const nc = await connectNats({ servers: options.server, name: 'dlq-tool' });
  let failed = 0;
  try {
    const jsm = await jetstreamManager(nc);
    if (options.command === 'list') {
      const found = await listDeadLetters(jsm, options.filter);
      if (options.json) {
        for (const d of found) process.stdout.write(`${JSON.stringify(d)}\n`);
      } else {
        process.stdout.write('seq\tdead-lettered\tstream/consumer\tsubject\treason\tmsg-id\terror\n');
        for (const d of found) process.stdout.write(`${line(d)}\n`);
        process.stderr.write(`${found.length} dead letter(s)\n`);
      }
      return;
    }
    const seqs = options.all ? (await listDeadLetters(jsm, options.filter)).map((d) => d.seq) : options.seqs;
    const js = jetstream(nc);
    for (const seq of seqs) {
      try {
        const result = await replayDeadLetter(js, jsm, seq, { keep: options.keep });
        const d = result.deadLetter;
        if (result.outcome === 'replayed') {
          process.stdout.write(`${seq}\treplayed\t${d.subject}\t${d.msgId ?? '-'}\t-> ${result.stream} seq ${result.seq}${options.keep ? ' (dead letter kept)' : ''}\n`);
        } else {
          failed++;
          process.stdout.write(`${seq}\tduplicate\t${d.subject}\t${d.msgId ?? '-'}\tthe stream still remembers this Nats-Msg-Id (duplicate window); kept, try again later\n`);
        }
      } catch (error) {
        failed++;
        process.stdout.write(`${seq}\tfailed\t${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
    process.stderr.write(`${seqs.length - failed} of ${seqs.length} replayed\n`);
  } finally {
    await nc.drain();
  }
  if (failed > 0) process.exitCode = 1;
}

main().catch((error) => {
  process.stderr.write(`dlq: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
