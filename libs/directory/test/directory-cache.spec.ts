import { Codecs, DomainDirectorySchema, create } from '@torii/contracts';
import { KvStore, KvStores, connectNats } from '@torii/messaging';
import { TEST_NATS_URL, uniqueName } from '@torii/testing';
import type { NatsConnection } from '@nats-io/transport-node';
import { TemporaryError } from '@torii/errors';
import { KvDirectoryCache } from '../src';

const entry = (domain: string, hostname: string) =>
  create(DomainDirectorySchema, { domain, tenantId: 't1', active: true, server: { hostname, ips: ['192.0.2.1'], port: 25 } });

async function eventually<T>(probe: () => Promise<T | undefined>, ms = 3000): Promise<T | undefined> {
  const until = Date.now() + ms;
  let value = await probe();
  while (value === undefined && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    value = await probe();
  }
  return value;
}

describe('KvDirectoryCache (real NATS KV)', () => {
  let nc: NatsConnection;
  let writer: KvStore<ReturnType<typeof Codecs.domainDirectory.decode>>;
  let cache: KvDirectoryCache;
  const bucket = uniqueName('dir');

  beforeAll(async () => {
    nc = await connectNats({ servers: TEST_NATS_URL, name: 'directory-test' });
    writer = await KvStore.open(nc, bucket, Codecs.domainDirectory, { create: true });
    await writer.put('before.test', entry('before.test', 'mx.before.test'));
    cache = new KvDirectoryCache(new KvStores(nc), bucket);
    await cache.onApplicationBootstrap();
  });

  afterAll(async () => {
    cache.onApplicationShutdown();
    await nc.close();
  });

  it('serves what was there at start, case-insensitively', async () => {
    expect((await cache.lookup('BEFORE.test'))?.server?.hostname).toBe('mx.before.test');
  });

  it('follows puts and deletes without a restart', async () => {
    await writer.put('later.test', entry('later.test', 'mx.later.test'));
    expect(await eventually(async () => (await cache.lookup('later.test'))?.server?.hostname)).toBe('mx.later.test');
    await writer.delete('later.test');
    const gone = await eventually(async () => ((await cache.lookup('later.test')) ? undefined : true));
    expect(gone).toBe(true);
  });

  it('answers a tombstone (how the tenant service marks a deleted domain) as unknown, watched or read directly', async () => {
    const tombstone = create(DomainDirectorySchema, { revision: 7n });
    await writer.put('gone.test', entry('gone.test', 'mx.gone.test'));
    expect(await eventually(async () => (await cache.lookup('gone.test'))?.server?.hostname)).toBe('mx.gone.test');
    await writer.put('gone.test', tombstone);
    expect(await eventually(async () => ((await cache.lookup('gone.test')) ? undefined : true))).toBe(true);
    // A cache that never saw the domain reads the bucket: the tombstone there is "unknown" too.
    const fresh = new KvDirectoryCache(new KvStores(nc), bucket);
    await fresh.onApplicationBootstrap();
    await writer.put('gone-before.test', tombstone);
    expect(await fresh.lookup('gone-before.test')).toBeUndefined();
    expect(await fresh.lookup('gone.test')).toBeUndefined();
    fresh.onApplicationShutdown();
  });

  it('answers nothing for names that cannot be domains', async () => {
    expect(await cache.lookup('not a domain')).toBeUndefined();
    expect(await cache.lookup('unknown.test')).toBeUndefined();
  });

  it('refuses to answer before it is open: an early lookup is a temporary error, never "unknown domain"', async () => {
    const early = new KvDirectoryCache(new KvStores(nc), bucket);
    await expect(early.lookup('before.test')).rejects.toBeInstanceOf(TemporaryError);
    await early.onApplicationBootstrap();
    expect((await early.lookup('before.test'))?.server?.hostname).toBe('mx.before.test');
    early.onApplicationShutdown();
  });

  it('tells "cannot ask" from "unknown": a broken directory is a temporary error, not an empty answer', async () => {
    const other = await connectNats({ servers: TEST_NATS_URL, name: 'directory-test-broken' });
    const broken = new KvDirectoryCache(new KvStores(other), bucket);
    await broken.onApplicationBootstrap();
    expect((await broken.lookup('before.test'))?.domain).toBe('before.test'); // cached: still served
    broken.onApplicationShutdown();
    await other.close();
    await expect(broken.lookup('never-seen.test')).rejects.toBeInstanceOf(TemporaryError);
    expect((await broken.lookup('before.test'))?.domain).toBe('before.test');
  });
});
