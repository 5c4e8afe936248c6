import { Injectable } from '@nestjs/common';
import { ObjectStore, submitKey, type ListedObject } from '@torii/storage';
import { Readable } from 'node:stream';

/**
 * The quarantine's objects: its own copy of each quarantined message (`quarantine/<tenant>/<message>.eml`,
 * so delivery's object keeps its own lifecycle and a release never races a deletion) and composed mails.
 */
@Injectable()
export class QuarantineObjects {
  constructor(private readonly store: ObjectStore) {}

  get bucket(): string {
    return this.store.bucket;
  }

  static copyKey(tenantId: string, messageId: string): string {
    return `quarantine/${tenantId}/${messageId}.eml`;
  }

  /** The message id of a copy's key, or undefined for any other key. */
  static messageOfCopy(key: string): string | undefined {
    return /^quarantine\/[^/]+\/([^/]+)\.eml$/.exec(key)?.[1];
  }

  /** Every copy the box holds (for the sweep of copies no item references). */
  copies(): AsyncGenerator<ListedObject> {
    return this.store.list('quarantine/');
  }

  static submitKey(tenantId: string, submitId: string, now: Date): string {
    return submitKey({ tenantId, submittedAt: now, submitId });
  }

  async size(key: string): Promise<number | null> {
    return (await this.store.stat(key))?.size ?? null;
  }

  async copy(from: string, to: string): Promise<void> {
    await this.store.put(to, await this.store.get(from), { contentType: 'message/rfc822' });
  }

  async read(key: string): Promise<Buffer> {
    return readAll(await this.store.get(key));
  }

  async head(key: string, bytes: number): Promise<Buffer> {
    return this.store.readHead(key, bytes);
  }

  async put(key: string, raw: Buffer): Promise<{ size: number; sha256: string }> {
    const stored = await this.store.put(key, Readable.from([raw]), { contentType: 'message/rfc822' });
    return { size: stored.size, sha256: stored.sha256 };
  }

  async delete(key: string): Promise<void> {
    await this.store.delete(key);
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}
