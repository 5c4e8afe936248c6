import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { ObjectStore, type ListedObject } from '@torii/storage';

/** The object store as delivery uses it: raw messages in, DSNs out, listing for reconciliation. */
@Injectable()
export class MessageObjects {
  constructor(private readonly store: ObjectStore) {}

  open(key: string): Promise<Readable> {
    return this.store.get(key);
  }

  /** The first `bytes` bytes (headers for a RET=HDRS report). */
  async head(key: string, bytes: number): Promise<Buffer> {
    return this.store.readHead(key, bytes);
  }

  async readWhole(key: string): Promise<Buffer> {
    return readAll(await this.store.get(key));
  }

  async put(key: string, content: Buffer, contentType = 'message/rfc822') {
    const { Readable } = await import('node:stream');
    return this.store.put(key, Readable.from([content]), { contentType });
  }

  delete(key: string): Promise<void> {
    return this.store.delete(key);
  }

  async exists(key: string): Promise<boolean> {
    return (await this.store.stat(key)) !== null;
  }

  list(prefix: string, options: { startAfter?: string } = {}): AsyncGenerator<ListedObject> {
    return this.store.list(prefix, options);
  }

  get bucket(): string {
    return this.store.bucket;
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
