import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { ObjectStore } from '@torii/storage';

/** The raw messages in the object store, and the warnings virus-scan composes. */
@Injectable()
export class MessageSource {
  constructor(private readonly store: ObjectStore) {}

  open(key: string): Promise<Readable> {
    return this.store.get(key);
  }

  async put(key: string, content: Buffer) {
    const { Readable } = await import('node:stream');
    return this.store.put(key, Readable.from([content]), { contentType: 'message/rfc822' });
  }

  get bucket(): string {
    return this.store.bucket;
  }
}
