import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  S3RVER_ACCESS_KEY,
  S3RVER_SECRET_KEY,
  startS3Server,
  uniqueName,
  type S3Server,
} from '@torii/testing';
import { InvalidObjectKeyError, ObjectNotFoundError, ObjectStore, ObjectStoreError } from '../src/index';

/** `total` pseudo-random bytes in 64 KiB chunks, never held in memory at once; hashes what it emits. */
function generated(total: number): { stream: Readable; sha256: () => string } {
  const hash = createHash('sha256');
  let sent = 0;
  let counter = 0;
  const stream = new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const size = Math.min(65_536, total - sent);
      const chunk = Buffer.alloc(size);
      for (let i = 0; i < size; i += 4) chunk.writeUInt32LE((counter++ * 2654435761) >>> 0, i);
      sent += size;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, sha256: () => hash.digest('hex') };
}

async function drain(stream: Readable): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}

describe('ObjectStore against s3rver', () => {
  let server: S3Server;
  let store: ObjectStore;

  beforeAll(async () => {
    server = await startS3Server();
    store = new ObjectStore({
      endpoint: server.endpoint,
      region: 'us-east-1',
      accessKey: S3RVER_ACCESS_KEY,
      secretKey: S3RVER_SECRET_KEY,
      bucket: uniqueName('mail').replace(/_/g, '-'),
      partSize: 5 * 1024 * 1024,
    });
    await store.ensureBucket();
  });

  afterAll(() => server.close());

  it('ensureBucket can run again', async () => {
    await expect(store.ensureBucket()).resolves.toBeUndefined();
  });

  it('round-trips a 50 MB stream with its sha256 and size (multipart)', async () => {
    const total = 50 * 1024 * 1024;
    const input = generated(total);
    const result = await store.put('big/fifty.eml', input.stream, { contentType: 'message/rfc822' });
    expect(result).toMatchObject({ key: 'big/fifty.eml', size: total, sha256: input.sha256() });
    expect(result.etag).toBeTruthy();
    expect(await drain(await store.get('big/fifty.eml'))).toEqual({ size: total, sha256: result.sha256 });
    expect((await store.stat('big/fifty.eml'))?.size).toBe(total);
  });

  it('stores a small message in one PUT, with content type and metadata', async () => {
    const body = Buffer.from('Subject: hi\r\n\r\nhello\r\n');
    const result = await store.put('small/a.eml', Readable.from([body]), {
      contentType: 'message/rfc822',
      metadata: { tenant: 't1' },
    });
    expect(result.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(result.size).toBe(body.length);
    const stat = await store.stat('small/a.eml');
    expect(stat).toMatchObject({
      size: body.length,
      contentType: 'message/rfc822',
      metadata: { tenant: 't1' },
    });
    expect(stat?.lastModified).toBeInstanceOf(Date);
    expect((await drain(await store.getRange('small/a.eml', 0, 7))).size).toBe(7);
  });

  it('stores an empty stream', async () => {
    const result = await store.put('small/empty', Readable.from([]));
    expect(result.size).toBe(0);
    expect((await store.stat('small/empty'))?.size).toBe(0);
    // The head of an empty message is empty, not an error to retry (QA: an empty DATA was retried, then dead-lettered).
    expect(await store.readHead('small/empty', 2 * 1024 * 1024)).toEqual(Buffer.alloc(0));
  });

  it('reads the head of a message: the first bytes, all of a shorter one; ObjectNotFoundError when it is gone', async () => {
    await store.put('small/head.eml', Readable.from([Buffer.from('Subject: hi\r\n\r\nbody')]));
    expect((await store.readHead('small/head.eml', 7)).toString()).toBe('Subject');
    expect((await store.readHead('small/head.eml', 1_000)).toString()).toBe('Subject: hi\r\n\r\nbody');
    await expect(store.readHead('small/not-there.eml', 10)).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('lists from a key on (startAfter): the keys before it are skipped', async () => {
    for (const key of ['list/t1/2026/11/30/a.eml', 'list/t1/2026/12/01/b.eml', 'list/t1/2026/12/02/c.eml', 'list/t2/2026/12/01/d.eml']) await store.put(key, Readable.from([Buffer.from('x')]));
    const keys = async (prefix: string, startAfter?: string) => {
      const out: string[] = [];
      for await (const o of store.list(prefix, { startAfter })) out.push(o.key);
      return out;
    };
    expect(await keys('list/t1/', 'list/t1/2026/12/01')).toEqual(['list/t1/2026/12/01/b.eml', 'list/t1/2026/12/02/c.eml']);
    expect(await keys('list/', 'list/t1/~')).toEqual(['list/t2/2026/12/01/d.eml']);
    expect(await keys('list/')).toHaveLength(4);
  });

  it('stat of a missing key is null; get of it is ObjectNotFoundError', async () => {
    expect(await store.stat('nope/missing.eml')).toBeNull();
    await expect(store.get('nope/missing.eml')).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('delete is idempotent', async () => {
    await store.put('del/x', Readable.from([Buffer.from('x')]));
    await store.delete('del/x');
    await store.delete('del/x');
    expect(await store.stat('del/x')).toBeNull();
  });

  it('lists by prefix with dates', async () => {
    for (const key of ['list/a/1', 'list/a/2', 'list/b/1'])
      await store.put(key, Readable.from([Buffer.from(key)]));
    const listed = [];
    for await (const item of store.list('list/a/')) listed.push(item);
    expect(listed.map((i) => i.key)).toEqual(['list/a/1', 'list/a/2']);
    expect(listed[0].lastModified).toBeInstanceOf(Date);
    expect(listed[0].size).toBe(8);
  });

  it('presigns a URL that downloads the object', async () => {
    await store.put('signed/x', Readable.from([Buffer.from('signed body')]));
    const url = await store.presignedGet('signed/x', 60);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('signed body');
  });

  it('refuses unsafe keys before any request', async () => {
    await expect(store.put('../x', Readable.from([]))).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(store.stat('/abs')).rejects.toBeInstanceOf(InvalidObjectKeyError);
  });

  it('fails a put temporarily when the source stream breaks, leaving no object', async () => {
    const input = generated(12 * 1024 * 1024);
    // Fed by the generator; read() has nothing to do.
    const broken = new Readable({ read: () => undefined });
    input.stream.on('data', (chunk: Buffer) => broken.push(chunk));
    input.stream.on('end', () => broken.destroy(new Error('client went away')));
    await expect(store.put('broken/x', broken)).rejects.toBeInstanceOf(ObjectStoreError);
    expect(await store.stat('broken/x')).toBeNull();
  });

  it('ping (readiness): passes for the bucket, fails for a missing bucket or a store that does not answer', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
    const missing = new ObjectStore({ endpoint: server.endpoint, region: 'us-east-1', accessKey: S3RVER_ACCESS_KEY, secretKey: S3RVER_SECRET_KEY, bucket: 'no-such-bucket' });
    await expect(missing.ping()).rejects.toThrow(/bucket no-such-bucket does not exist/);
    const down = new ObjectStore({ endpoint: 'http://127.0.0.1:1', region: 'us-east-1', accessKey: 'S3RVER', secretKey: 'S3RVER', bucket: 'nope' });
    await expect(down.ping()).rejects.toBeInstanceOf(ObjectStoreError);
  });

  it('reports an unreachable store as a temporary ObjectStoreError', async () => {
    const down = new ObjectStore({
      endpoint: 'http://127.0.0.1:1',
      region: 'us-east-1',
      accessKey: 'S3RVER',
      secretKey: 'S3RVER',
      bucket: 'nope',
    });
    const error = await down.stat('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectStoreError);
    expect((error as ObjectStoreError).permanent).toBe(false);
    expect((error as Error).cause).toBeDefined();
  });
});
