import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { rawMessage, startHarness, type Harness } from './support/harness';

/**
 * O4: kill -9 of delivery in the middle of 200 messages; after a restart every message arrives. A
 * duplicate is allowed only for a message with an attempt that never ended (the crash fell inside an SMTP
 * transaction: RFC 5321 §6.1), which the attempt log shows deterministically.
 * Runs the built service (`node dist/main.js`): build first (`nx run @torii/delivery:build`).
 */
describe('crash of delivery mid-run', () => {
  let h: Harness;
  let child: ChildProcess | undefined;
  const TOTAL = 200;

  const startChild = () => {
    const env = { ...process.env, ...h.env, DELIVERY_LEASE: '2s', DELIVERY_CONCURRENCY: '4', LOG_LEVEL: 'info' };
    const proc = spawn(process.execPath, [join(__dirname, '..', 'dist', 'main.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    child = proc;
    return proc;
  };

  beforeAll(async () => {
    h = await startHarness();
    await h.putDomain('tenant.test');
  }, 60_000);
  afterAll(async () => {
    child?.kill('SIGKILL');
    await h?.close();
  });

  it('delivers all 200 after kill -9 and restart; duplicates only for unfinished attempts', async () => {
    h.tenantSink.delayData(15); // stretch transactions so the kill lands inside some
    startChild();
    for (let i = 0; i < TOTAL; i++) {
      const event = await h.storeMessage({ domain: 'tenant.test', from: 'a@sender.test', to: [`r${i}@tenant.test`], raw: rawMessage(`crash-${i}@sender.test`) });
      await h.publishReceived(event);
    }
    await h.tenantSink.waitFor(40, 60_000);
    child!.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    const atKill = h.tenantSink.messages.length;
    startChild();
    await h.tenantSink.waitFor(() => new Set(h.tenantSink.messages.map((m) => m.messageId)).size >= TOTAL, 90_000);

    const client = new pg.Client({ connectionString: h.db.url });
    await client.connect();
    try {
      // A recipient whose SMTP transaction the kill interrupted stays `delivering` until its lease runs out
      // and is then sent again: wait until every recipient has settled before counting duplicates.
      const deadline = Date.now() + 60_000;
      let states: { state: string; n: string }[] = [];
      while (Date.now() < deadline) {
        ({ rows: states } = await client.query<{ state: string; n: string }>(
          `SELECT state, count(*) AS n FROM delivery.recipient GROUP BY state`,
        ));
        if (states.length === 1 && states[0].state === 'delivered') break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(states).toEqual([{ state: 'delivered', n: String(TOTAL) }]);

      const counts = new Map<string, number>();
      for (const m of h.tenantSink.messages) counts.set(m.messageId ?? '', (counts.get(m.messageId ?? '') ?? 0) + 1);
      expect(counts.size).toBe(TOTAL);
      const duplicated = [...counts].filter(([, n]) => n > 1).map(([id]) => id);

      const { rows } = await client.query<{ subject: string }>(
        `SELECT DISTINCT m.event->'envelope'->'rcptTo'->0->>'address' AS subject
           FROM delivery.attempt a JOIN delivery.message m ON m.id = a.message_id WHERE a.ended_at IS NULL`,
      );
      const unfinished = new Set(rows.map((r) => r.subject.replace(/^r(\d+)@tenant\.test$/, 'crash-$1@sender.test')));
      for (const id of duplicated) expect(unfinished).toContain(id);
      process.stderr.write(`crash test: ${atKill} at kill, ${duplicated.length} duplicate(s): ${duplicated.join(', ')}\n`);
    } finally {
      await client.end();
    }
  }, 180_000);
});
