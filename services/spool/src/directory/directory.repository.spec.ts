import { Codecs, DomainDirectorySchema, create } from '@torii/contracts';
import { KvStore, KvStores, connectNats } from '@torii/messaging';
import { TEST_NATS_URL, uniqueName } from '@torii/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { SpoolConfig } from '../config/spool.config';
import { DirectoryRepository } from './directory.repository';

describe('spool DirectoryRepository (real NATS KV)', () => {
  let nc: NatsConnection;
  const bucket = uniqueName('dir');

  beforeAll(async () => {
    nc = await connectNats({ servers: TEST_NATS_URL, name: 'spool-directory-test' });
  });

  afterAll(async () => {
    await (await jetstreamManager(nc)).streams.delete(`KV_${bucket}`).catch(() => undefined);
    await nc.close();
  });

  it('answers a tombstone (the tenant service’s mark of a deleted domain) and a deleted key as no such domain', async () => {
    const writer = await KvStore.open(nc, bucket, Codecs.domainDirectory, { create: true });
    const repository = new DirectoryRepository(new KvStores(nc), { DIRECTORY_BUCKET: bucket } as SpoolConfig);
    await writer.put('live.test', create(DomainDirectorySchema, { domain: 'live.test', tenantId: 't1', revision: 2n }));
    expect((await repository.domain('LIVE.test'))?.tenantId).toBe('t1');
    await writer.put('live.test', create(DomainDirectorySchema, { revision: 3n }));
    expect(await repository.domain('live.test')).toBeUndefined();
    await writer.put('old.test', create(DomainDirectorySchema, { domain: 'old.test', tenantId: 't1', revision: 2n }));
    await writer.delete('old.test');
    expect(await repository.domain('old.test')).toBeUndefined();
  });
});
