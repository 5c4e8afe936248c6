import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Codecs, Direction, FeedbackKind, type FeedbackMail, type MailReceived } from '@torii/contracts';
import { createLogger } from '@torii/telemetry';
import { AbortJournal } from './abort-journal';
import { QueueAttempt, QueueFailedError, QueueService, type MailEventPublisher, type MessageStore } from './queue.service';

/** The queue's ordering and undo rules; the real store and broker are exercised by test/edge-*.spec.ts. */
class MemoryStore implements MessageStore {
  readonly bucket = 'mail';
  readonly objects = new Map<string, Buffer>();
  async put(key: string, stream: Readable) {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
    this.objects.set(key, Buffer.concat(chunks));
    return { size: this.objects.get(key)!.length, sha256: 'x' };
  }
  async delete(key: string) {
    this.objects.delete(key);
  }
}

class RecordingPublisher implements MailEventPublisher {
  readonly published: string[] = [];
  async publish(_subject: string, event: MailReceived) {
    this.published.push(event.messageId);
  }
  async publishFeedback(_subject: string, event: FeedbackMail) {
    this.published.push(event.reportId);
  }
}

const facts = { tenantId: 't1', domain: 'd.test', direction: Direction.INBOUND, envelope: {}, client: {}, auth: {} };
const logger = createLogger({ name: 'test', level: 'silent' });

function queue(store: MemoryStore, publisher: RecordingPublisher) {
  const journal = new AbortJournal(join(mkdtempSync(join(tmpdir(), 'q-')), 'journal'), (k) => store.delete(k), logger);
  return new QueueService(store, publisher, journal, 'edge.test', logger);
}

describe('QueueService', () => {
  it('stores the message and its sidecar, then publishes', async () => {
    const store = new MemoryStore();
    const publisher = new RecordingPublisher();
    await queue(store, publisher).enqueue('01A', new Date(), Readable.from([Buffer.from('Subject: x\r\n\r\nhi')]), facts);
    expect(publisher.published).toEqual(['01A']);
    expect([...store.objects.keys()].sort()).toEqual([expect.stringMatching(/01A\.eml$/), expect.stringMatching(/01A\.json$/)].sort());
  });

  it('does not start a publish that could outlive the SMTP timeout, and removes what it stored', async () => {
    const store = new MemoryStore();
    const publisher = new RecordingPublisher();
    const late = new QueueAttempt(Date.now() - 1);
    await expect(
      queue(store, publisher).enqueue('01B', new Date(), Readable.from([Buffer.from('Subject: x\r\n\r\nhi')]), facts, late),
    ).rejects.toMatchObject({ step: 'aborted' } satisfies Partial<QueueFailedError>);
    expect(publisher.published).toEqual([]);
    expect(store.objects.size).toBe(0);
  });

  it('gives up once the SMTP side has answered (timeout)', async () => {
    const store = new MemoryStore();
    const publisher = new RecordingPublisher();
    const attempt = new QueueAttempt();
    attempt.aborted = true;
    await expect(
      queue(store, publisher).enqueue('01C', new Date(), Readable.from([Buffer.from('x')]), facts, attempt),
    ).rejects.toBeInstanceOf(QueueFailedError);
    expect(publisher.published).toEqual([]);
    expect(store.objects.size).toBe(0);
  });

  const report = { tenantId: 't1', domain: 'd.test', reporter: 'alice@d.test', kind: FeedbackKind.FALSE_NEGATIVE };

  it('stores a feedback report outside mail/ (nothing delivers it) with its sidecar, then publishes', async () => {
    const store = new MemoryStore();
    const publisher = new RecordingPublisher();
    const event = await queue(store, publisher).enqueueFeedback('01D', new Date('2026-12-07T10:00:00Z'), Readable.from([Buffer.from('Subject: fwd\r\n\r\nhi')]), report);
    expect(publisher.published).toEqual(['01D']);
    expect([...store.objects.keys()]).toEqual(['feedback/t1/2026/12/07/01D.eml', 'feedback/t1/2026/12/07/01D.json']);
    expect(Codecs.feedbackMail.decode(store.objects.get('feedback/t1/2026/12/07/01D.json')!)).toEqual(event);
    expect(event).toMatchObject({ reportId: '01D', objectKey: 'feedback/t1/2026/12/07/01D.eml', reporter: 'alice@d.test', kind: FeedbackKind.FALSE_NEGATIVE, bucket: 'mail' });
  });

  it('removes a feedback report it could not publish', async () => {
    const store = new MemoryStore();
    const publisher = new RecordingPublisher();
    await expect(
      queue(store, publisher).enqueueFeedback('01E', new Date(), Readable.from([Buffer.from('x')]), report, new QueueAttempt(Date.now() - 1)),
    ).rejects.toMatchObject({ step: 'aborted' } satisfies Partial<QueueFailedError>);
    expect(publisher.published).toEqual([]);
    expect(store.objects.size).toBe(0);
  });
});
