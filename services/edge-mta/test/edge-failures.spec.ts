import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObjectStore, messagePrefix } from '@torii/storage';
import {
  S3RVER_ACCESS_KEY,
  S3RVER_SECRET_KEY,
  startNatsServer,
  startS3Server,
  uniqueName,
  type NatsServer,
  type S3Server,
} from '@torii/testing';
import { directoryEntry } from './support/directory';
import { dialog, freePort, queuedId, startEdge, type EdgeProcess } from './support/edge';
import { createTestNats, type TestNats } from './support/nats';

const raw = (subject: string) =>
  `From: <sender@outside.test>\r\nTo: <a@fail.test>\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@outside.test>\r\n\r\nbody\r\n`;

describe('edge-mta when a backend fails (O4: 451 4.3.0, nothing half-done)', () => {
  const name = uniqueName('edgef');
  const s3Bucket = `mail-${name.replace(/_/g, '-')}`;
  const s3Dir = mkdtempSync(join(tmpdir(), 'edge-s3-'));
  let s3Port: number;
  let natsServer: NatsServer;
  let nats: TestNats;
  let s3: S3Server | undefined;
  let store: ObjectStore;
  let edge: EdgeProcess;

  const send = (subject: string) =>
    dialog(edge.inboundPort, ['EHLO client.outside.test', 'MAIL FROM:<sender@outside.test>', 'RCPT TO:<a@fail.test>', 'DATA', `${raw(subject)}.`, 'QUIT']);

  const storedKeys = async () => {
    const keys: string[] = [];
    for await (const item of store.list(messagePrefix('t_fail'))) keys.push(item.key);
    return keys;
  };

  beforeAll(async () => {
    s3Port = await freePort();
    natsServer = await startNatsServer({ jetstream: true });
    nats = await createTestNats(natsServer.url, name);
    await nats.putDomain(directoryEntry({ domain: 'fail.test', tenantId: 't_fail' }));
    s3 = await startS3Server({ port: s3Port, directory: s3Dir });
    store = new ObjectStore({ endpoint: s3.endpoint, region: 'us-east-1', accessKey: S3RVER_ACCESS_KEY, secretKey: S3RVER_SECRET_KEY, bucket: s3Bucket });
    edge = await startEdge({
      NATS_URL: natsServer.url,
      DIRECTORY_BUCKET: nats.bucket,
      SUBJECT_PREFIX: nats.subjectPrefix,
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: s3Bucket,
      PUBLISH_TIMEOUT: '2s',
    });
  });

  afterAll(async () => {
    await edge?.stop();
    await nats?.nc.close();
    await natsServer?.close();
    await s3?.close();
  });

  it('answers 451 4.3.0 while the object store is down, and 250 once it is back', async () => {
    await s3?.close();
    s3 = undefined;
    const refused = await send('s3-down');
    expect(refused[5]).toMatchObject({ code: 451, text: expect.stringMatching(/^4\.3\.0 /) });
    expect((await nats.events()).length).toBe(0);

    s3 = await startS3Server({ port: s3Port, directory: s3Dir });
    const accepted = await send('s3-back');
    expect(accepted[5].code).toBe(250);
    const events = await nats.events();
    expect(events.map((e) => e.msgId)).toEqual([queuedId(accepted[5])]);
  });

  it('answers 451 4.3.0 while NATS is down, leaves no stored object, and keeps serving the last directory', async () => {
    const before = await storedKeys();
    await natsServer.stop();
    const refused = await send('nats-down');
    // RCPT was answered from the cached directory; the publish could not be acknowledged.
    expect(refused[3].code).toBe(250);
    expect(refused[5]).toMatchObject({ code: 451, text: expect.stringMatching(/^4\.3\.0 /) });
    expect(await storedKeys()).toEqual(before);

    await natsServer.start();
    let reply = refused[5];
    for (let i = 0; i < 40 && reply.code !== 250; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      reply = (await send('nats-back'))[5];
    }
    expect(reply.code).toBe(250);
    const id = queuedId(reply);
    // The test's own client may still be reconnecting to the restarted server.
    let events: Awaited<ReturnType<TestNats['events']>> = [];
    for (let i = 0; i < 10 && events.length === 0; i++) {
      events = await nats.events().catch(async () => {
        await new Promise((resolve) => setTimeout(resolve, 500));
        return [];
      });
    }
    expect(events.some((e) => e.msgId === id)).toBe(true);
    // The message and its sidecar.
    expect((await storedKeys()).filter((k) => !before.includes(k))).toHaveLength(2);
  });

  it('shuts down gracefully on SIGTERM', async () => {
    expect(await edge.stop()).toBe(0);
    expect(edge.output()).toContain('edge-mta: stopping');
  });
});
