import { TEST_NATS_URL, startS3Server, uniqueName, type S3Server } from '@torii/testing';
import { directoryEntry } from './support/directory';
import { dialog, queuedId, startEdge, type EdgeProcess } from './support/edge';
import { createTestNats, type TestNats } from './support/nats';

/**
 * Behind a TCP load balancer the edge sees the balancer's address; the PROXY protocol (v1) tells it the
 * real client's, which relay rules, SPF and the Received header depend on. Only the configured balancers
 * may send it: from anyone else a PROXY line is just a bad command, so a client cannot fake its address.
 */
describe('edge-mta behind a load balancer (PROXY protocol)', () => {
  const BALANCER = '127.0.0.5';
  let nats: TestNats;
  let s3: S3Server;
  let edge: EdgeProcess;
  const name = uniqueName('edgeproxy');

  beforeAll(async () => {
    nats = await createTestNats(TEST_NATS_URL, name);
    s3 = await startS3Server();
    await nats.putDomain(directoryEntry({ domain: 'open.test', tenantId: 't_open', hostname: 'mx.open.test', ips: ['127.0.0.3'] }));
    edge = await startEdge({
      NATS_URL: TEST_NATS_URL,
      DIRECTORY_BUCKET: nats.bucket,
      SUBJECT_PREFIX: nats.subjectPrefix,
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: `mail-${name.replace(/_/g, '-')}`,
      PROXY_PROTOCOL_FROM: BALANCER,
    });
  });

  afterAll(async () => {
    await edge?.stop();
    await nats?.close();
    await s3?.close();
  });

  const mail = ['MAIL FROM:<sender@outside.test>', 'RCPT TO:<bob@open.test>', 'DATA', 'Subject: via proxy\r\n\r\nHi.\r\n.', 'QUIT'];

  it('records the real client address sent by a configured balancer', async () => {
    const replies = await dialog(
      edge.inboundPort,
      ['EHLO client.outside.test', ...mail],
      BALANCER,
      15_000,
      `PROXY TCP4 198.51.100.7 127.0.0.1 40000 ${edge.inboundPort}\r\n`,
    );
    expect(replies[0].code).toBe(220);
    const queued = replies.find((r) => r.code === 250 && r.text.startsWith('2.0.0 Ok queued'));
    const id = queuedId(queued);
    const found = (await nats.events()).find((e) => e.msgId === id);
    expect(found?.event.client?.ip).toBe('198.51.100.7');
    expect(found?.event.client?.proxiedFrom).toBe(BALANCER);
  });

  it('does not let an ordinary client claim another address', async () => {
    const before = (await nats.events()).length;
    const replies = await dialog(edge.inboundPort, [
      'PROXY TCP4 198.51.100.8 127.0.0.1 40000 2525',
      'EHLO client.outside.test',
      ...mail,
    ]);
    // Haraka answers a PROXY header from a host that is not a configured balancer with 421 and hangs up.
    expect(replies[1].code).toBe(421);
    expect(replies).toHaveLength(2);
    expect(await nats.events()).toHaveLength(before);
  });
});
