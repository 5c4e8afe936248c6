import { Injectable } from '@nestjs/common';
import { ObjectStore } from '@torii/storage';

/** Reports received by mail (SPAM14), as the edge stored them under `feedback/`. */
@Injectable()
export class FeedbackMailRepository {
  constructor(private readonly store: ObjectStore) {}

  /** The first `maxBytes` of a report. Throws ObjectNotFoundError when it is gone. */
  async readHead(key: string, maxBytes: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.store.getRange(key, 0, maxBytes)) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  }

  async delete(key: string): Promise<void> {
    await this.store.delete(key);
  }
}
