import { Injectable } from '@nestjs/common';
import { ObjectStore } from '@torii/storage';

/** Raw messages in the object store (claim checks of MailReceived). */
@Injectable()
export class MessageStoreRepository {
  constructor(private readonly store: ObjectStore) {}

  /** The first `maxBytes` of a message: enough for headers and the first parts (nothing of an empty one). */
  readHead(key: string, maxBytes: number): Promise<Buffer> {
    return this.store.readHead(key, maxBytes);
  }
}
