import { eventually, rawMessage, startHarness, type Harness } from './support/harness';

/**
 * A graceful shutdown (SIGTERM in production, `app.close()` here) while deliveries are in flight: consumers
 * and the worker stop first and finish what they hold, the database and NATS close last. It must end, and
 * what was in hand must be recorded, so nothing is delivered twice after the restart.
 */
describe('graceful shutdown while delivering', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await h.putDomain('tenant.test');
  }, 60_000);
  afterAll(async () => h?.close());

  it('stops mid-work, and after restarts every message arrives exactly once', async () => {
    const ids: string[] = [];
    for (let round = 0; round < 6; round++) {
      await h.startApp();
      const events = await Promise.all(
        Array.from({ length: 6 }, (_, i) => {
          const id = `shutdown-${round}-${i}@sender.test`;
          ids.push(id);
          return h.storeMessage({ domain: 'tenant.test', from: 'alice@sender.test', to: ['bob@tenant.test'], raw: rawMessage(id) });
        }),
      );
      await Promise.all(events.map((e) => h.publishReceived(e)));
      await new Promise((r) => setTimeout(r, round * 40)); // stop at a different point of the work each time
      await h.stopApp();
    }
    await h.startApp();
    await eventually(() => ids.every((id) => h.tenantSink.messages.some((m) => m.messageId === id)), 30_000, 'every message delivered');
    await new Promise((r) => setTimeout(r, 500));
    const duplicates = ids.filter((id) => h.tenantSink.messages.filter((m) => m.messageId === id).length > 1);
    expect(duplicates).toEqual([]);
  });
});
