/**
 * A restart with a backlog: mail received while delivery was down is taken in when it starts. Its consumers must
 * not run before the directory is open, or every domain reads as "subscribes to nothing" and the backlog goes
 * out with no virus or spam check (found by QA: EICAR delivered after a restart).
 */
import type { MailReceived } from '@torii/contracts';
import { DeliveryRepository } from '../src/persistence/delivery.repository';
import { eventually, rawMessage, startHarness, type Harness } from './support/harness';

describe('a backlog taken in at start', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ VERDICT_TIMEOUT_SPAM: '60s', VERDICT_TIMEOUT_VIRUS: '60s' });
    await h.putDomain('backlog.test', { services: { spam: { subscribed: true }, virus: { subscribed: true }, archive: { subscribed: false } } });
  }, 60_000);
  afterAll(async () => h?.close());

  it('waits for the verdicts of every message of the domain, as without a restart', async () => {
    const events: MailReceived[] = [];
    for (let i = 0; i < 30; i++) {
      const event = await h.storeMessage({ domain: 'backlog.test', from: 'a@sender.test', to: [`r${i}@backlog.test`], raw: rawMessage(`backlog-${i}@sender.test`) });
      await h.publishReceived(event);
      events.push(event);
    }
    await h.startApp();
    const repository = h.app!.get(DeliveryRepository);
    const messages = await eventually(async () => {
      const all = await Promise.all(events.map((e) => repository.findMessage(e.messageId)));
      return all.every(Boolean) ? all : undefined;
    }, 30_000, 'every message taken in');
    for (const message of messages) {
      expect([message!.id, [...message!.requiredVerdicts].sort()]).toEqual([message!.id, ['spam', 'virus']]);
      expect(message!.recipients.map((r) => r.state)).toEqual(['awaiting_verdicts']);
    }
    expect(h.tenantSink.messages).toHaveLength(0);
  });
});
