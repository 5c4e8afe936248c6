import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Codecs, Direction, FeedbackKind } from '@torii/contracts';
import { sidecarKey } from '@torii/storage';
import { ObjectStore, messagePrefix } from '@torii/storage';
import { S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, TEST_NATS_URL, sendMail, startS3Server, uniqueName, type S3Server } from '@torii/testing';
import { directoryEntry } from './support/directory';
import { dialog, queuedId, startEdge, type EdgeProcess } from './support/edge';
import { createTestNats, type TestNats } from './support/nats';

const LIMIT = 50_000;

/** A message exactly as the store must keep it; a line starting with a dot exercises dot-stuffing. */
function message(subject: string, body = 'Hello.\r\n.leading dot line\r\n..two dots\r\nend\r\n'): string {
  return `From: <sender@outside.test>\r\nTo: <alice@filtered.test>\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@outside.test>\r\n\r\n${body}`;
}

/** The DATA payload on the wire: dot-stuffed, terminated by the lone dot (dialog adds the last CRLF). */
function wire(raw: string): string {
  return raw.replace(/(^|\r\n)\./g, '$1..') + '.';
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

describe('edge-mta over SMTP (real Haraka, NATS, S3)', () => {
  let nats: TestNats;
  let s3: S3Server;
  let store: ObjectStore;
  let edge: EdgeProcess;
  const name = uniqueName('edge');
  const s3Bucket = `mail-${name.replace(/_/g, '-')}`;

  beforeAll(async () => {
    nats = await createTestNats(TEST_NATS_URL, name);
    s3 = await startS3Server();
    store = new ObjectStore({ endpoint: s3.endpoint, region: 'us-east-1', accessKey: S3RVER_ACCESS_KEY, secretKey: S3RVER_SECRET_KEY, bucket: s3Bucket });
    await nats.putDomain(
      directoryEntry({ domain: 'filtered.test', tenantId: 't_filtered', spam: true, addresses: ['alice'], hostname: 'mx.filtered.test', ips: ['127.0.0.2'] }),
    );
    await nats.putDomain(directoryEntry({ domain: 'open.test', tenantId: 't_open', hostname: 'mx.open.test', ips: ['127.0.0.3'] }));
    // A second domain of t_open, and one whose tenant has not registered its mail server yet.
    await nats.putDomain(directoryEntry({ domain: 'open2.test', tenantId: 't_open', hostname: 'mx.open2.test', ips: ['127.0.0.4'] }));
    await nats.putDomain(directoryEntry({ domain: 'serverless.test', tenantId: 't_open', hostname: '' }));
    edge = await startEdge(
      {
        NATS_URL: TEST_NATS_URL,
        DIRECTORY_BUCKET: nats.bucket,
        SUBJECT_PREFIX: nats.subjectPrefix,
        S3_ENDPOINT: s3.endpoint,
        S3_BUCKET: s3Bucket,
        MAX_MESSAGE_BYTES: String(LIMIT),
        FEEDBACK_DOMAIN: 'Feedback.Torii.Test',
      },
      {
        dns: {
          PTR: { '127.0.0.2': ['mx.filtered.test'], '127.0.0.3': ['dsl-3.isp.test'] },
          A: { 'mx.filtered.test': ['127.0.0.2'], 'dsl-3.isp.test': ['127.0.0.3'] },
        },
      },
    );
  });

  afterAll(async () => {
    await edge?.stop();
    await nats?.close();
    await s3?.close();
  });

  const inbound = (lines: string[]) => dialog(edge.inboundPort, ['EHLO client.outside.test', ...lines, 'QUIT']);

  it('advertises SIZE, STARTTLS and DSN', async () => {
    const [, ehlo] = await inbound([]);
    expect(ehlo.code).toBe(250);
    expect(ehlo.text).toContain(`SIZE ${LIMIT}`);
    expect(ehlo.text).toContain('STARTTLS');
    expect(ehlo.text).toContain('DSN');
  });

  it('refuses an unregistered address of a spam-filtered domain with 550 5.1.1 (SPAM2)', async () => {
    const replies = await inbound(['MAIL FROM:<sender@outside.test>', 'RCPT TO:<nobody@filtered.test>']);
    expect(replies[3]).toEqual({ code: 550, text: '5.1.1 User unknown' });
  });

  it('refuses a domain that is no tenant’s with 550 5.7.1', async () => {
    const replies = await inbound(['MAIL FROM:<sender@outside.test>', 'RCPT TO:<someone@elsewhere.test>']);
    expect(replies[3]).toEqual({ code: 550, text: '5.7.1 Relaying denied' });
  });

  it('accepts any address of a domain without spam filtering', async () => {
    const replies = await inbound(['MAIL FROM:<sender@outside.test>', 'RCPT TO:<whoever@open.test>']);
    expect(replies[3].code).toBe(250);
  });

  it('keeps one tenant per transaction: 452 4.5.3 for recipients of another', async () => {
    const replies = await inbound(['MAIL FROM:<s@outside.test>', 'RCPT TO:<alice@filtered.test>', 'RCPT TO:<x@open.test>']);
    expect(replies[3].code).toBe(250);
    expect(replies[4]).toMatchObject({ code: 452, text: expect.stringMatching(/^4\.5\.3 /) });
  });

  it('keeps one domain per transaction, also within a tenant: 452 4.5.3 for a second domain', async () => {
    const replies = await inbound(['MAIL FROM:<s@outside.test>', 'RCPT TO:<x@open.test>', 'RCPT TO:<y@open2.test>', 'RCPT TO:<z@open.test>']);
    expect(replies[3].code).toBe(250);
    expect(replies[4]).toMatchObject({ code: 452, text: expect.stringMatching(/^4\.5\.3 /) });
    expect(replies[5].code).toBe(250);
  });

  it('answers 451 4.4.4 for a domain without a registered mail server (nothing could deliver it)', async () => {
    const replies = await inbound(['MAIL FROM:<s@outside.test>', 'RCPT TO:<x@serverless.test>']);
    expect(replies[3]).toMatchObject({ code: 451, text: expect.stringMatching(/^4\.4\.4 /) });
  });

  it('stores an accepted message byte for byte and publishes MailReceived before 250', async () => {
    const raw = message('stored');
    const replies = await inbound([
      'MAIL FROM:<sender@outside.test> RET=HDRS ENVID=abc+2Bdef',
      'RCPT TO:<Alice@Filtered.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;alice@filtered.test',
      'DATA',
      wire(raw),
    ]);
    expect(replies[5].code).toBe(250);
    const id = queuedId(replies[5]);

    const events = await nats.events();
    const found = events.find((e) => e.msgId === id);
    expect(found).toBeDefined();
    const { event, subject } = found!;
    expect(subject).toBe(`${nats.subjectPrefix}mail.received.in`);
    expect(event).toMatchObject({ messageId: id, tenantId: 't_filtered', domain: 'filtered.test', direction: Direction.INBOUND, bucket: s3Bucket });
    expect(event.envelope?.mailFrom).toBe('sender@outside.test');
    expect(event.envelope?.envid).toBe('abc+def');
    expect(event.envelope?.rcptTo).toEqual([expect.objectContaining({ address: 'Alice@filtered.test', notify: [1, 2], orcpt: 'rfc822;alice@filtered.test' })]);
    expect(event.client?.ip).toBe('127.0.0.1');
    expect(event.client?.helo).toBe('client.outside.test');
    expect(event.sha256).toBe(sha256(raw));
    expect(Number(event.size)).toBe(Buffer.byteLength(raw));
    expect(event.objectKey).toContain(`${messagePrefix('t_filtered')}`);

    const stored = await readAll(await store.get(event.objectKey));
    expect(stored.toString()).toBe(raw);
    expect(sha256(stored)).toBe(event.sha256);
    // The sidecar that delivery's reconciliation republishes from.
    const sidecar = Codecs.mailReceived.decode(await readAll(await store.get(sidecarKey(event.objectKey))));
    expect(sidecar).toEqual(event);
  });

  it('stores raw 8-bit header bytes as sent: Shift_JIS, EUC-JP, Latin-1 and UTF-8 (nothing becomes U+FFFD)', async () => {
    const sjis = Buffer.from([0x96, 0xb3, 0x97, 0xbf, 0x83, 0x76, 0x83, 0x8c, 0x83, 0x5b, 0x83, 0x93, 0x83, 0x67]); // 無料プレゼント
    const eucjp = Buffer.from([0xcc, 0xb5, 0xce, 0xc1]); // 無料
    const raw = Buffer.concat([
      Buffer.from('From: =?UTF-8?B?5bGx55Sw?= <sender@outside.test>\r\nTo: <someone@open.test>\r\nSubject: '),
      sjis,
      Buffer.from(' sjis\r\nX-Euc: '),
      eucjp,
      Buffer.from('\r\nX-Latin1: caf\xe9 \x85 \xa0\r\nX-Utf8: ', 'latin1'),
      Buffer.from('生のUTF-8 件名'),
      Buffer.from('\r\nMessage-ID: <raw-8bit@outside.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=shift_jis\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'),
      sjis,
      Buffer.from('\r\n'),
    ]);
    const result = await sendMail({ port: edge.inboundPort, from: 'sender@outside.test', to: ['someone@open.test'], raw, tls: false });
    const id = /queued as ([0-9A-Z]{26})/.exec(result.response)?.[1];
    expect(id).toBeDefined();
    const found = (await nats.events()).find((e) => e.msgId === id);
    const stored = await readAll(await store.get(found!.event.objectKey));
    expect(stored.equals(raw)).toBe(true);
    expect(found!.event.sha256).toBe(sha256(raw));
  });

  it('accepts mail over STARTTLS and records the TLS session in the event', async () => {
    const result = await sendMail({ port: edge.inboundPort, from: 'sender@outside.test', to: ['someone@open.test'], tls: 'require' });
    const id = queuedId({ code: 250, text: result.response.replace(/^250 /, '') });
    const found = (await nats.events()).find((e) => e.msgId === id);
    expect(found?.event.tenantId).toBe('t_open');
    expect(found?.event.client?.tls).toMatchObject({ enabled: true, version: expect.stringMatching(/^TLSv1\.[23]$/) });
  });

  it('answers a nested MAIL with 503 5.5.1 (RFC 5321 §3.3), and takes a fresh MAIL after it or after RSET', async () => {
    const replies = await inbound([
      'MAIL FROM:<first@outside.test>',
      'RCPT TO:<alice@filtered.test>',
      'MAIL FROM:<second@outside.test>',
      'RCPT TO:<alice@filtered.test>',
      'MAIL FROM:<third@outside.test>',
      'RCPT TO:<alice@filtered.test>',
      'RSET',
      'MAIL FROM:<fourth@outside.test>',
    ]);
    expect(replies[2].code).toBe(250);
    expect(replies[3].code).toBe(250);
    expect(replies[4]).toEqual({ code: 503, text: '5.5.1 Nested MAIL command: send RSET before starting another transaction' });
    // The nested MAIL left no transaction open: its RCPT is out of sequence, not added to either envelope.
    expect(replies[5].code).toBe(503);
    expect(replies[6].code).toBe(250);
    expect(replies[7].code).toBe(250);
    expect(replies[8].code).toBe(250);
    expect(replies[9].code).toBe(250);
  });

  it('takes the next transaction on the same connection after a message is queued (not a nested MAIL)', async () => {
    const replies = await inbound([
      'MAIL FROM:<one@outside.test>',
      'RCPT TO:<alice@filtered.test>',
      'DATA',
      wire(message('first of two')),
      'MAIL FROM:<two@outside.test>',
      'RCPT TO:<alice@filtered.test>',
      'DATA',
      wire(message('second of two')),
    ]);
    expect(replies.map((r) => r.code)).toEqual([220, 250, 250, 250, 354, 250, 250, 250, 354, 250, 221]);
    expect(queuedId(replies[9])).not.toBe(queuedId(replies[5]));
  });

  it('takes a new MAIL after a refused one (a refused MAIL opens no transaction)', async () => {
    const replies = await inbound([`MAIL FROM:<big@outside.test> SIZE=${LIMIT + 1}`, 'MAIL FROM:<small@outside.test>', 'RCPT TO:<alice@filtered.test>']);
    expect(replies[2].code).toBe(552);
    expect(replies[3].code).toBe(250);
    expect(replies[4].code).toBe(250);
  });

  it('refuses a declared SIZE above the limit with 552 5.3.4', async () => {
    const replies = await inbound([`MAIL FROM:<sender@outside.test> SIZE=${LIMIT + 1}`]);
    expect(replies[2]).toEqual({ code: 552, text: '5.3.4 Message size exceeds fixed maximum message size' });
  });

  it('refuses a message larger than the limit without SIZE (or with a lying SIZE) at the end of DATA, storing nothing', async () => {
    const big = message('big', `${'x'.repeat(76)}\r\n`.repeat(Math.ceil(LIMIT / 78) + 10));
    for (const mail of ['MAIL FROM:<sender@outside.test>', 'MAIL FROM:<sender@outside.test> SIZE=1000']) {
      const replies = await inbound([mail, 'RCPT TO:<alice@filtered.test>', 'DATA', wire(big)]);
      expect(replies[5]).toEqual({ code: 552, text: '5.3.4 Message size exceeds fixed maximum message size' });
    }
    const events = await nats.events();
    expect(events.filter((e) => e.event.envelope?.rcptTo.length && e.event.size > BigInt(LIMIT))).toHaveLength(0);
  });

  it('refuses a bare LF in DATA with a permanent 550 5.5.2 and closes, storing nothing (SMTP smuggling stays out)', async () => {
    const before = (await nats.events()).length;
    const bareLf = await inbound(['MAIL FROM:<sender@outside.test>', 'RCPT TO:<alice@filtered.test>', 'DATA', wire(message('bare lf', 'one\ntwo\r\n'))]);
    expect(bareLf[5]).toEqual({
      code: 550,
      text: '5.5.2 Bare line feed (LF without CR) in the message: SMTP lines end with CRLF (RFC 5321 2.3.8); a retry will fail the same way',
    });
    expect(bareLf).toHaveLength(6); // closed: no reply to QUIT
    // The smuggling shape: <LF>.<CRLF> that a CRLF-only peer would pass on as content, then a second message.
    const smuggled = await inbound([
      'MAIL FROM:<sender@outside.test>',
      'RCPT TO:<alice@filtered.test>',
      'DATA',
      `${message('smuggle', 'hi\r\n')}\n.\r\nMAIL FROM:<evil@outside.test>\r\nRCPT TO:<alice@filtered.test>\r\nDATA\r\n${message('evil', 'x\r\n')}.`,
    ]);
    expect(smuggled[5]).toMatchObject({ code: 550, text: expect.stringMatching(/^5\.5\.2 Bare line feed/) });
    expect(smuggled).toHaveLength(6);
    expect((await nats.events()).length).toBe(before);
  });

  it('refuses a bare CR in DATA with 550 5.5.2: a header hidden behind it would reach the tenant as a real line', async () => {
    const before = (await nats.events()).length;
    // QA's shape: a forged Authentication-Results and spam score behind bare CRs in one header line.
    const forged = message('bare cr', 'hello\r\n').replace(
      'Subject: bare cr\r\n',
      'Subject: bare cr\r\nX-Note: hello\rAuthentication-Results: gw.torii.test; dkim=pass header.d=bank.example; dmarc=pass\rX-Torii-Spam-Check: 0.00%\r\n',
    );
    expect(forged).toContain('\rAuthentication-Results');
    const replies = await inbound(['MAIL FROM:<sender@outside.test>', 'RCPT TO:<alice@filtered.test>', 'DATA', wire(forged)]);
    expect(replies[5]).toEqual({
      code: 550,
      text: '5.5.2 Bare carriage return (CR without LF) in the message: SMTP lines end with CRLF (RFC 5321 2.3.8); a retry will fail the same way',
    });
    expect(replies).toHaveLength(6); // closed
    // In the body too (a MIME boundary could hide there), and as the last byte before the CRLF.
    for (const body of ['one\rtwo\r\n', 'one\r\r\n']) {
      const again = await inbound(['MAIL FROM:<sender@outside.test>', 'RCPT TO:<alice@filtered.test>', 'DATA', wire(message('bare cr body', body))]);
      expect(again[5]).toMatchObject({ code: 550, text: expect.stringMatching(/^5\.5\.2 Bare carriage return/) });
    }
    expect((await nats.events()).length).toBe(before);
    // Ordinary CRLF mail still passes.
    const fine = await inbound(['MAIL FROM:<sender@outside.test>', 'RCPT TO:<alice@filtered.test>', 'DATA', wire(message('crlf only', 'one\r\ntwo\r\n'))]);
    expect(fine[5].code).toBe(250);
  });

  it('takes a quoted local part that needs no quotes as the same mailbox, and records it unquoted (RFC 5321 §4.1.2)', async () => {
    const replies = await inbound([
      'MAIL FROM:<sender@outside.test>',
      'RCPT TO:<"nobody"@filtered.test>',
      'RCPT TO:<"al ice"@filtered.test>',
      'RCPT TO:<"alice"@filtered.test>',
      'DATA',
      wire(message('quoted')),
    ]);
    expect(replies[3]).toEqual({ code: 550, text: '5.1.1 User unknown' });
    expect(replies[4]).toEqual({ code: 550, text: '5.1.1 User unknown' });
    expect(replies[5].code).toBe(250);
    const id = queuedId(replies[7]);
    const found = (await nats.events()).find((e) => e.msgId === id);
    expect(found?.event.envelope?.rcptTo.map((r) => r.address)).toEqual(['alice@filtered.test']);
  });

  it('refuses a non-ASCII address in MAIL or RCPT with 553 5.6.7 unless MAIL declared SMTPUTF8 (RFC 6531)', async () => {
    const refused = { code: 553, text: '5.6.7 Non-ASCII address without SMTPUTF8: send MAIL FROM with the SMTPUTF8 parameter (RFC 6531)' };
    const sender = await inbound(['MAIL FROM:<送信者@例え.jp>', 'MAIL FROM:<sender@例え.jp>']);
    expect(sender[2]).toEqual(refused);
    expect(sender[3]).toEqual(refused);
    const recipient = await inbound(['MAIL FROM:<sender@outside.test>', 'RCPT TO:<ユーザー@open.test>', 'RCPT TO:<user@open.test>']);
    expect(recipient[3]).toEqual(refused);
    expect(recipient[4].code).toBe(250);
    const declared = await inbound(['MAIL FROM:<送信者@例え.jp> SMTPUTF8', 'RCPT TO:<ユーザー@open.test>', 'DATA', wire(message('utf8'))]);
    expect(declared.map((r) => r.code)).toEqual([220, 250, 250, 250, 354, 250, 221]);
    const found = (await nats.events()).find((e) => e.msgId === queuedId(declared[5]));
    expect(found?.event.envelope).toMatchObject({ mailFrom: '送信者@例え.jp', smtputf8: true, rcptTo: [expect.objectContaining({ address: 'ユーザー@open.test' })] });
  });

  describe('outbound relay (P4), from 127.0.0.x source addresses', () => {
    const relay = (from: string, lines: string[]) => dialog(edge.relayPort, ['EHLO mx.filtered.test', ...lines, 'QUIT'], from);

    it('relays from the registered server with the right PTR and its own sender domain', async () => {
      const raw = message('outbound');
      const replies = await relay('127.0.0.2', ['MAIL FROM:<alice@filtered.test>', 'RCPT TO:<friend@gmail.test>', 'DATA', wire(raw)]);
      expect(replies[2].code).toBe(250);
      expect(replies[3].code).toBe(250);
      const id = queuedId(replies[5]);
      const found = (await nats.events()).find((e) => e.msgId === id);
      expect(found?.subject).toBe(`${nats.subjectPrefix}mail.received.out`);
      expect(found?.event).toMatchObject({ direction: Direction.OUTBOUND, tenantId: 't_filtered', domain: 'filtered.test' });
      expect(found?.event.client?.ptr).toBe('mx.filtered.test');
    });

    it('also relays from the registered server on the inbound port', async () => {
      const replies = await dialog(edge.inboundPort, ['EHLO mx.filtered.test', 'MAIL FROM:<alice@filtered.test>', 'RCPT TO:<friend@gmail.test>', 'QUIT'], '127.0.0.2');
      expect(replies[3].code).toBe(250);
    });

    it.each([
      ['an unregistered IP', '127.0.0.5', 'MAIL FROM:<alice@filtered.test>', /not a registered server/],
      // A registered server is told why: its admin can fix it.
      ['a registered IP whose PTR is not the registered host name', '127.0.0.3', 'MAIL FROM:<bob@open.test>', /reverse DNS of this address \(dsl-3\.isp\.test\) is not the registered server name/],
      ['a foreign MAIL FROM', '127.0.0.2', 'MAIL FROM:<someone@gmail.test>', /sender domain is not a domain of this server/],
      ['another tenant’s MAIL FROM', '127.0.0.2', 'MAIL FROM:<bob@open.test>', /sender domain is not a domain of this server/],
    ])('refuses %s with 550 5.7.1, saying why', async (_case, source, mailFrom, why) => {
      const replies = await relay(source, [mailFrom]);
      expect(replies[2]).toMatchObject({ code: 550, text: expect.stringMatching(/^5\.7\.1 /) });
      expect(replies[2].text).toMatch(why);
    });

    it('does not relay for an unregistered IP on the inbound port either', async () => {
      const replies = await dialog(edge.inboundPort, ['EHLO x', 'MAIL FROM:<alice@filtered.test>', 'RCPT TO:<friend@gmail.test>', 'QUIT'], '127.0.0.5');
      expect(replies[3]).toEqual({ code: 550, text: '5.7.1 Relaying denied' });
    });
  });

  describe('feedback by mail (SPAM14): a report relayed by the tenant’s server', () => {
    const relay = (from: string, lines: string[]) => dialog(edge.relayPort, ['EHLO mx.filtered.test', ...lines, 'QUIT'], from);
    /** A forward with the reported message attached, as a mail client writes it. */
    const report = [
      'From: Alice <alice@filtered.test>',
      'To: spam@feedback.torii.test',
      'Subject: Fwd: cheap watches',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain',
      '',
      'This got through.',
      '--b1',
      'Content-Type: message/rfc822',
      '',
      'Received: from mx.spammer.test (unknown [192.0.2.9])\r\n\tby edge.torii.test (Torii) with ESMTP id 01JFEEDBACKTESTAAAAAAAAAAA;\r\n\tMon, 7 Dec 2026 10:00:00 +0000',
      'Subject: cheap watches',
      '',
      'Buy now.',
      '--b1--',
      '',
    ].join('\r\n');

    it('stores a report to spam@ and publishes FeedbackMail (not MailReceived) before 250', async () => {
      const replies = await relay('127.0.0.2', ['MAIL FROM:<Alice@filtered.test>', 'RCPT TO:<Spam@Feedback.Torii.Test>', 'DATA', wire(report)]);
      expect(replies[3].code).toBe(250);
      expect(replies[5].code).toBe(250);
      const id = queuedId(replies[5]);
      const found = (await nats.feedbackEvents()).find((e) => e.msgId === id);
      expect(found?.subject).toBe(`${nats.subjectPrefix}mail.feedback`);
      expect(found?.event).toMatchObject({
        reportId: id,
        tenantId: 't_filtered',
        domain: 'filtered.test',
        reporter: 'Alice@filtered.test',
        kind: FeedbackKind.FALSE_NEGATIVE,
        bucket: s3Bucket,
        objectKey: expect.stringMatching(new RegExp(`^feedback/t_filtered/\\d{4}/\\d{2}/\\d{2}/${id}\\.eml$`)),
        sha256: sha256(report),
      });
      expect((await readAll(await store.get(found!.event.objectKey))).toString()).toBe(report);
      // Relayed nowhere: no MailReceived. Its sidecar (outside mail/, where delivery's reconciliation looks) is
      // what spam-filter's sweep learns from should the event be lost.
      expect((await nats.events()).some((e) => e.msgId === id)).toBe(false);
      expect(Codecs.feedbackMail.decode(await readAll(await store.get(sidecarKey(found!.event.objectKey))))).toEqual(found!.event);
    });

    it('takes not-spam@ as a false positive', async () => {
      const replies = await relay('127.0.0.2', ['MAIL FROM:<alice@filtered.test>', 'RCPT TO:<not-spam@feedback.torii.test>', 'DATA', wire(report)]);
      const id = queuedId(replies[5]);
      expect((await nats.feedbackEvents()).find((e) => e.msgId === id)?.event.kind).toBe(FeedbackKind.FALSE_POSITIVE);
    });

    it('refuses it on the inbound port with 550 5.7.1, saying how to send it', async () => {
      const replies = await inbound(['MAIL FROM:<alice@filtered.test>', 'RCPT TO:<spam@feedback.torii.test>']);
      expect(replies[3]).toMatchObject({ code: 550, text: expect.stringMatching(/^5\.7\.1 .*your own mail server.*relay/) });
      // Also from the registered server itself: the MX port is not where reports go.
      const fromServer = await dialog(edge.inboundPort, ['EHLO mx.filtered.test', 'MAIL FROM:<alice@filtered.test>', 'RCPT TO:<spam@feedback.torii.test>', 'QUIT'], '127.0.0.2');
      expect(fromServer[3]).toMatchObject({ code: 550, text: expect.stringMatching(/^5\.7\.1 /) });
    });

    it('refuses a sender that is not a registered address of the domain with 550 5.7.1', async () => {
      const replies = await relay('127.0.0.2', ['MAIL FROM:<mallory@filtered.test>', 'RCPT TO:<spam@feedback.torii.test>']);
      expect(replies[2].code).toBe(250);
      expect(replies[3]).toEqual({ code: 550, text: '5.7.1 Feedback not accepted: <mallory@filtered.test> is not a registered address of this domain' });
    });

    it('refuses another address of the feedback domain with 550 5.1.1', async () => {
      const replies = await relay('127.0.0.2', ['MAIL FROM:<alice@filtered.test>', 'RCPT TO:<postmaster@feedback.torii.test>']);
      expect(replies[3]).toEqual({ code: 550, text: '5.1.1 User unknown' });
    });

    it('refuses to mix a report with other recipients, either way round, with 452 4.5.3', async () => {
      const after = await relay('127.0.0.2', ['MAIL FROM:<alice@filtered.test>', 'RCPT TO:<friend@gmail.test>', 'RCPT TO:<spam@feedback.torii.test>']);
      expect(after[3].code).toBe(250);
      expect(after[4]).toMatchObject({ code: 452, text: expect.stringMatching(/^4\.5\.3 A feedback report goes in a transaction of its own/) });
      const before = await relay('127.0.0.2', ['MAIL FROM:<alice@filtered.test>', 'RCPT TO:<spam@feedback.torii.test>', 'RCPT TO:<friend@gmail.test>', 'RCPT TO:<not-spam@feedback.torii.test>']);
      expect(before[3].code).toBe(250);
      expect(before[4]).toMatchObject({ code: 452, text: expect.stringMatching(/^4\.5\.3 /) });
      expect(before[5]).toMatchObject({ code: 452, text: expect.stringMatching(/^4\.5\.3 /) });
    });
  });

  it('applies directory changes from KV without a restart', async () => {
    const before = await inbound(['MAIL FROM:<s@outside.test>', 'RCPT TO:<x@new.test>']);
    expect(before[3].code).toBe(550);
    await nats.putDomain(directoryEntry({ domain: 'new.test', tenantId: 't_new' }));
    let code = 0;
    for (let i = 0; i < 50 && code !== 250; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      code = (await inbound(['MAIL FROM:<s@outside.test>', 'RCPT TO:<x@new.test>']))[3].code;
    }
    expect(code).toBe(250);
    await nats.kv.delete('new.test');
    for (let i = 0; i < 50 && code === 250; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      code = (await inbound(['MAIL FROM:<s@outside.test>', 'RCPT TO:<x@new.test>']))[3].code;
    }
    expect(code).toBe(550);
  });
});
