import { Injectable } from '@nestjs/common';
import { Codecs, type FeedbackMail } from '@torii/contracts';
import { ObjectStore, sidecarKey } from '@torii/storage';

/** Reports received by mail (SPAM14), as the edge stored them under `feedback/`. */
@Injectable()
export class FeedbackMailRepository {
  constructor(private readonly store: ObjectStore) {}

  /** The first `maxBytes` of a report. Throws ObjectNotFoundError when it is gone. */
  readHead(key: string, maxBytes: number): Promise<Buffer> {
    return this.store.readHead(key, maxBytes);
  }

  /** The report, then its sidecar (a sidecar without its report is only a marker the sweep clears). */
  async delete(key: string): Promise<void> {
    await this.store.delete(key);
    await this.store.delete(sidecarKey(key));
  }

  /** The events of reports stored before `olderThan` that are still there (their sidecars), oldest first. */
  async *unhandled(olderThan: Date): AsyncGenerator<FeedbackMail> {
    for await (const object of this.store.list('feedback/')) {
      if (!object.key.endsWith('.json') || object.lastModified >= olderThan) continue;
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of await this.store.get(object.key)) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
      } catch {
        continue; // handled meanwhile
      }
      yield Codecs.feedbackMail.decode(Buffer.concat(chunks));
    }
  }
}
