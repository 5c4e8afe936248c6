// tools/dlq.js, the operator's way to see and replay dead letters (docs/operations/streams.md): run as a
// process against the test NATS, on a stream of its own, with dead letters shaped as the consumer runner parks them.
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { DEAD_LETTER_STREAM, DeadLetterHeaders, deadLetterSubject, ensureStreams } from '@torii/messaging';
import { TEST_NATS_URL, uniqueName } from '@torii/testing';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

function dlq(...args: string[]) {
  const run = spawnSync(process.execPath, [join(root, 'tools', 'dlq.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NATS_URL: TEST_NATS_URL },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('tools/dlq.js', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const stream = uniqueName('dlqtool');
  const subject = `${stream}.jobs`;

  beforeAll(async () => {
    nc = await connect({ servers: TEST_NATS_URL });
    jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, [DEAD_LETTER_STREAM, { name: stream, subjects: [`${stream}.>`], storage: 'memory' }]);
  });
  afterAll(async () => {
    await jsm.streams.delete(stream).catch(() => undefined);
    await jsm.streams.purge(DEAD_LETTER_STREAM.name, { filter: `dlq.${stream}.>` }).catch(() => undefined);
    await nc.drain();
  });

  /** Parks a message as the runner does: the original headers plus the dead-letter ones. */
  async function park(consumer: string, body: string, msgId: string, extra: Record<string, string> = {}): Promise<number> {
    const h = natsHeaders();
    for (const [key, value] of Object.entries(extra)) h.set(key, value);
    h.set(DeadLetterHeaders.Subject, subject);
    h.set(DeadLetterHeaders.Stream, stream);
    h.set(DeadLetterHeaders.Consumer, consumer);
    h.set(DeadLetterHeaders.StreamSequence, '7');
    h.set(DeadLetterHeaders.Deliveries, '5');
    h.set(DeadLetterHeaders.Reason, 'max-deliveries');
    h.set(DeadLetterHeaders.Error, 'Error: database down');
    h.set(DeadLetterHeaders.OriginalMsgId, msgId);
    const ack = await jetstream(nc).publish(deadLetterSubject(stream, consumer), body, { headers: h });
    return ack.seq;
  }

  it('lists, replays one with its original id and headers, then the rest with --all', async () => {
    const first = await park('delivery', '{"n":1}', 'msg-1', { 'X-Tenant': 't1' });
    await park('spam', '{"n":2}', 'msg-2');

    const listed = dlq('list', '--stream', stream, '--json');
    expect(listed.code).toBe(0);
    const rows = listed.stdout.trim().split('\n').map((row) => JSON.parse(row) as Record<string, unknown>);
    expect(rows.map(({ consumer, subject: s, msgId, reason, deliveries }) => ({ consumer, s, msgId, reason, deliveries }))).toEqual([
      { consumer: 'delivery', s: subject, msgId: 'msg-1', reason: 'max-deliveries', deliveries: 5 },
      { consumer: 'spam', s: subject, msgId: 'msg-2', reason: 'max-deliveries', deliveries: 5 },
    ]);
    expect(dlq('list', '--stream', stream, '--consumer', 'spam').stdout).toContain('msg-2');
    expect(dlq('list', '--stream', stream, '--consumer', 'spam').stdout).not.toContain('msg-1');

    const replayed = dlq('replay', String(first));
    expect(replayed).toMatchObject({ code: 0 });
    expect(replayed.stdout).toContain(`${first}\treplayed\t${subject}\tmsg-1`);
    const back = await jsm.streams.getMessage(stream, { last_by_subj: subject });
    expect(back?.string()).toBe('{"n":1}');
    expect(back?.header.get('Nats-Msg-Id')).toBe('msg-1');
    expect(back?.header.get('X-Tenant')).toBe('t1');
    expect(back?.header.has(DeadLetterHeaders.Reason)).toBe(false);

    // Parked again and replayed at once: the stream (duplicate window 2 minutes) drops the copy as a duplicate;
    // the tool says so, keeps the dead letter and exits 1. The other one is replayed.
    const second = await park('delivery', '{"n":1}', 'msg-1');
    const rest = dlq('replay', '--all', '--stream', stream);
    expect(rest.code).toBe(1);
    expect(rest.stdout).toContain(`${second}\tduplicate\t${subject}\tmsg-1`);
    expect(rest.stdout).toContain('\treplayed\t' + subject + '\tmsg-2');
    expect(rest.stderr).toContain('1 of 2 replayed');
    const left = dlq('list', '--stream', stream, '--json').stdout.trim().split('\n');
    expect(left.map((row) => (JSON.parse(row) as { seq: number }).seq)).toEqual([second]);
    expect((await jsm.streams.info(stream)).state.messages).toBe(2);
  });

  it('refuses bad arguments without touching NATS', () => {
    expect(dlq('replay').code).toBe(2);
    expect(dlq('replay', '3', '--all').code).toBe(2);
    expect(dlq('list', '--stream', 'dlq.>').code).toBe(2);
    expect(dlq('frobnicate').stderr).toContain('usage');
  });
});
