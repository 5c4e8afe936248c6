import { sendMail } from '@torii/testing';
import { startStack, type Stack } from './support/stack';

const TOTAL = 200;
const CONNECTIONS = 4;
const KILL_AFTER = 50;

const idOf = (i: number) => `edge-crash-${i}@sender.test`;
const message = (i: number) =>
  `From: <someone@sender.test>\r\nTo: <alice@acme.test>\r\nSubject: crash ${i}\r\nMessage-ID: <${idOf(i)}>\r\n` +
  `Date: Sun, 1 Jun 2025 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nmessage ${i}\r\n`;

/**
 * O4 for the edge: kill -9 of edge-mta while 200 messages are being sent over a few connections. Every
 * message that got 250 must reach the tenant server; a message without 250 is retried by the client (as a
 * sending MTA would) and must arrive too. A duplicate is allowed only for a message that had an attempt
 * without 250 (the kill fell between the publish ack and the reply: RFC 5321 §6.1).
 */
// Each file boots the whole stack; the root config's 60 s is tight for that on a loaded CI machine.
jest.setTimeout(150_000);

describe('kill -9 of edge-mta during a run of 200 messages', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('delivers every acknowledged message, and every retried one, with duplicates only after a lost reply', async () => {
    const acknowledged = new Set<string>();
    const failedAttempt = new Set<string>();
    const queue = Array.from({ length: TOTAL }, (_, i) => i);
    let killed: Promise<void> | undefined;

    const sendOne = async (i: number): Promise<boolean> => {
      try {
        const result = await sendMail({
          port: stack.inboundPort,
          from: 'someone@sender.test',
          to: ['alice@acme.test'],
          raw: message(i),
          tls: false,
          timeoutMs: 10_000,
        });
        if (!result.response.startsWith('250')) throw new Error(result.response);
        acknowledged.add(idOf(i));
        return true;
      } catch {
        failedAttempt.add(idOf(i));
        return false;
      }
    };

    const restart = async () => {
      await stack.edge.kill();
      await stack.edge.start();
    };

    const worker = async () => {
      const deadline = Date.now() + 90_000;
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        while (!(await sendOne(i))) {
          if (Date.now() > deadline) throw new Error(`message ${i} never acknowledged`);
          await new Promise((r) => setTimeout(r, 250));
        }
        if (!killed && acknowledged.size >= KILL_AFTER) killed = restart();
      }
    };
    await Promise.all(Array.from({ length: CONNECTIONS }, worker));
    expect(killed).toBeDefined();
    await killed;
    expect(acknowledged.size).toBe(TOTAL);

    const sink = stack.tenantSink;
    await sink.waitFor(() => new Set(sink.messages.map((m) => m.messageId)).size >= TOTAL, 60_000);
    const counts = new Map<string, number>();
    for (const m of sink.messages) {
      if (m.messageId?.startsWith('edge-crash-')) counts.set(m.messageId, (counts.get(m.messageId) ?? 0) + 1);
    }
    expect(new Set(counts.keys())).toEqual(acknowledged);
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    for (const id of duplicated) expect(failedAttempt).toContain(id);
    process.stderr.write(
      `edge crash test: ${failedAttempt.size} message(s) retried by the client, ${duplicated.length} duplicate(s)\n`,
    );
  });
});
