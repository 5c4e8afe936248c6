import { Injectable } from '@nestjs/common';
import { ObjectStore } from '@torii/storage';
import type { Readable } from 'node:stream';

/** Raw messages in the object store (claim checks of MailReceived). */
@Injectable()
export class MessageStoreRepository {
  constructor(private readonly store: ObjectStore) {}

  /** The first `maxBytes` of a message: enough for headers and the first parts. */
  async readHead(key: string, maxBytes: number): Promise<Buffer> {
    const stream: Readable = await this.store.getRange(key, 0, maxBytes);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  }
}
