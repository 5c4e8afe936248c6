import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Client } from 'minio';
import { S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, startS3Server, uniqueName, type S3Server } from '../src/index';

describe('startS3Server', () => {
  let server: S3Server;
  let client: Client;
  const bucket = uniqueName('b').replace(/_/g, '-');

  beforeAll(async () => {
    server = await startS3Server();
    const url = new URL(server.endpoint);
    client = new Client({
      endPoint: url.hostname,
      port: Number(url.port),
      useSSL: false,
      accessKey: S3RVER_ACCESS_KEY,
      secretKey: S3RVER_SECRET_KEY,
      region: 'us-east-1',
      partSize: 5 * 1024 * 1024,
    });
    await client.makeBucket(bucket, 'us-east-1');
  });
  afterAll(() => server.close());

  it("answers ListMultipartUploads so minio's streamed putObject works", async () => {
    // Unknown size: the client lists incomplete uploads first, then uploads 5 MiB parts.
    const chunk = Buffer.alloc(1024 * 1024, 7);
    const stream = Readable.from(Array.from({ length: 12 }, () => chunk));
    await client.putObject(bucket, 'streamed/x', stream);
    const stat = await client.statObject(bucket, 'streamed/x');
    expect(stat.size).toBe(12 * 1024 * 1024);
    const hash = createHash('sha256');
    for await (const data of await client.getObject(bucket, 'streamed/x')) hash.update(data as Buffer);
    expect(hash.digest('hex')).toBe(
      createHash('sha256')
        .update(Buffer.concat(Array(12).fill(chunk)))
        .digest('hex'),
    );
  });

  it('says NoSuchBucket when listing uploads of a missing bucket', async () => {
    await expect(
      client.putObject('missing-bucket', 'x', Readable.from([Buffer.from('x')])),
    ).rejects.toMatchObject({ code: 'NoSuchBucket' });
  });

  it('keeps its data in the directory and restarts on it', async () => {
    await client.putObject(bucket, 'kept', Buffer.from('kept'));
    expect(await readdir(server.directory)).toContain(bucket);
    const again = await startS3Server({ directory: server.directory });
    try {
      const response = await fetch(`${again.endpoint}/${bucket}/kept`);
      expect(await response.text()).toBe('kept');
    } finally {
      await again.close();
    }
  });
});
