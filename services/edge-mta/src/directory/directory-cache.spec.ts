import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Codecs, DomainDirectorySchema, create } from '@torii/contracts';
import { createLogger } from '@torii/telemetry';
import { TEST_NATS_URL, uniqueName } from '@torii/testing';
import { DirectoryCache } from './directory-cache';

const snapshot = (domain: string) => Codecs.domainDirectory.encode(create(DomainDirectorySchema, { domain, tenantId: 't1', active: true, revision: 3n }));
/** How the tenant service marks a deleted domain: a DomainDirectory naming no domain, with the delete's revision. */
const tombstone = Codecs.domainDirectory.encode(create(DomainDirectorySchema, { revision: 4n }));

async function eventually(probe: () => boolean, ms = 3000): Promise<boolean> {
  for (const until = Date.now() + ms; !probe() && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
  return probe();
}

describe('edge DirectoryCache (real NATS KV)', () => {
  let nc: NatsConnection;
  let kv: KV;
  const bucket = uniqueName('dir');
  const caches: DirectoryCache[] = [];
  const logger = createLogger({ name: 'directory-cache-spec', level: 'silent' });

  const loaded = async (): Promise<DirectoryCache> => {
    const cache = new DirectoryCache(bucket, logger, 100);
    caches.push(cache);
    cache.attach(nc);
    await cache.resync();
    expect(cache.isLoaded).toBe(true);
    return cache;
  };

  beforeAll(async () => {
    nc = await connect({ servers: TEST_NATS_URL });
    kv = await new Kvm(nc).create(bucket, { history: 5 });
  });

  afterAll(async () => {
    for (const cache of caches) cache.stop();
    await kv?.destroy().catch(() => undefined);
    await nc?.close();
  });

  it('takes a tombstone for "no such domain" (RCPT then answers 550 as for a missing key), loaded or watched', async () => {
    await kv.put('gone.test', snapshot('gone.test'));
    await kv.put('gone.test', tombstone);
    await kv.put('live.test', snapshot('live.test'));
    const cache = await loaded();
    expect(cache.current.domain('gone.test')).toBeUndefined();
    expect(cache.current.domain('live.test')?.domain).toBe('live.test');
    expect(cache.current.size).toBe(1);

    await kv.put('live.test', tombstone);
    expect(await eventually(() => cache.current.domain('live.test') === undefined)).toBe(true);
    // The domain created again: its snapshot replaces the tombstone.
    await kv.put('gone.test', snapshot('gone.test'));
    expect(await eventually(() => cache.current.domain('gone.test') !== undefined)).toBe(true);
  });

  it('still takes a KV delete (a bucket written before tombstones) for "no such domain"', async () => {
    await kv.put('old-style.test', snapshot('old-style.test'));
    const cache = await loaded();
    expect(cache.current.domain('old-style.test')).toBeDefined();
    await kv.delete('old-style.test');
    expect(await eventually(() => cache.current.domain('old-style.test') === undefined)).toBe(true);
  });
});
