import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { ObjectStore, type PutResult } from '@torii/storage';

/** The object store as the spool uses it: the original's headers in, delay DSNs out. */
@Injectable()
export class MessageObjects {
  constructor(private readonly store: ObjectStore) {}

  /** The first `bytes` bytes of a stored message (enough for its header section). */
  head(key: string, bytes: number): Promise<Buffer> {
    return this.store.readHead(key, bytes);
  }

  put(key: string, content: Buffer): Promise<PutResult> {
    return this.store.put(key, Readable.from([content]), { contentType: 'message/rfc822' });
  }

  get bucket(): string {
    return this.store.bucket;
  }
}
