import { Direction, VirusStatus } from '@torii/contracts';
import { metricsText } from '@torii/telemetry';
import { startScanHarness, type ScanHarness } from './support/harness';
import { EICAR, encryptedZip, mimeMessage, nestedZip, zip, zip64EndRecordZip, zip64LocalHeaderZip, zipBomb } from './support/zips';

const STATUS = { [VirusStatus.CLEAN]: 'clean', [VirusStatus.INFECTED]: 'infected', [VirusStatus.UNSCANNABLE]: 'unscannable', [VirusStatus.UNSPECIFIED]: '?' };

describe('virus-scan against a real clamd', () => {
  let h: ScanHarness;
  beforeAll(async () => {
    // Small limits so the bomb needs megabytes; the recursion limit is the production one.
    h = await startScanHarness({ CLAMD_MAX_SCAN_SIZE: '20M', CLAMD_MAX_FILE_SIZE: '10M', CLAMD_STREAM_MAX_LENGTH: '30M' });
    await h.putDomain('tenant.test');
    await h.putDomain('nosub.test', { services: { virus: { subscribed: false } } });
  }, 60_000);
  afterAll(async () => h?.close());

  const scan = async (raw: Buffer, direction = Direction.INBOUND) => {
    const event = await h.publish({ domain: 'tenant.test', raw, direction });
    const v = await h.verdictOf(event.messageId);
    return { event, status: STATUS[v.status], findings: v.findings.map((f) => ({ part: f.part, filename: f.filename, signature: f.signature })), engine: v.engine };
  };

  it('a clean multipart message is clean', async () => {
    const out = await scan(mimeMessage({ subject: 'clean', attachments: [{ filename: 'notes.txt', data: Buffer.from('nothing here') }] }));
    expect(out.status).toBe('clean');
    expect(out.engine).toMatch(/^ClamAV /);
  });

  it('EICAR in the body: the body is infected', async () => {
    const out = await scan(mimeMessage({ subject: 'body', body: EICAR }));
    expect(out).toMatchObject({ status: 'infected', findings: [{ part: '', filename: '', signature: 'Eicar-Signature' }] });
  });

  it('EICAR in an attachment: names attachment 2 and its file', async () => {
    const out = await scan(mimeMessage({ subject: 'att', attachments: [{ filename: 'eicar.com', data: EICAR }] }));
    expect(out).toMatchObject({ status: 'infected', findings: [{ part: '2', filename: 'eicar.com', signature: 'Eicar-Signature' }] });
  });

  it('EICAR in a zip, and in a zip 20 levels deep', async () => {
    const one = await scan(mimeMessage({ subject: 'zip', attachments: [{ filename: 'a.txt', data: Buffer.from('ok') }, { filename: 'eicar.zip', data: await zip([{ name: 'eicar.com', data: EICAR }]) }] }));
    expect(one).toMatchObject({ status: 'infected', findings: [{ part: '3', filename: 'eicar.zip', signature: 'Eicar-Signature' }] });
    const deep = await scan(mimeMessage({ subject: 'deep', attachments: [{ filename: 'deep.zip', data: await nestedZip('eicar.com', EICAR, 20) }] }));
    expect(deep.status).toBe('infected');
    expect(deep.findings).toContainEqual({ part: '2', filename: 'deep.zip', signature: 'Eicar-Signature' });
  });

  it('a password-protected zip is unscannable', async () => {
    const out = await scan(mimeMessage({ subject: 'enc', attachments: [{ filename: 'secret.zip', data: encryptedZip('doc.txt', Buffer.from('quarterly figures'), 'pw') }] }));
    expect(out).toMatchObject({ status: 'unscannable', findings: [{ part: '2', filename: 'secret.zip', signature: 'Heuristics.Encrypted.Zip' }] });
  });

  it('S/MIME, PGP and message/partial are unscannable', async () => {
    const smime = Buffer.from('From: a@x.test\r\nTo: b@tenant.test\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQAxggE=\r\n');
    const pgp = Buffer.from('From: a@x.test\r\nTo: b@tenant.test\r\nSubject: p\r\nMIME-Version: 1.0\r\nContent-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b"\r\n\r\n--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\n-----BEGIN PGP MESSAGE-----\r\nhQEMA\r\n-----END PGP MESSAGE-----\r\n--b--\r\n');
    const partial = Buffer.from('From: a@x.test\r\nTo: b@tenant.test\r\nSubject: part\r\nMIME-Version: 1.0\r\nContent-Type: message/partial; id="abc@x.test"; number=1; total=2\r\n\r\nFrom: a@x.test\r\nSubject: inner\r\n\r\nhalf\r\n');
    expect((await scan(smime)).findings).toEqual([{ part: 'TEXT', filename: 'smime.p7m', signature: 'Torii.Unscannable.SMIME-Encrypted' }]);
    expect((await scan(pgp)).status).toBe('unscannable');
    expect((await scan(partial)).status).toBe('unscannable');
  });

  it('a zip bomb is bounded: unscannable, quickly, and clamd keeps answering', async () => {
    const started = Date.now();
    const out = await scan(mimeMessage({ subject: 'bomb', attachments: [{ filename: 'bomb.zip', data: await zipBomb(12, 4 * 1024 * 1024) }] }));
    expect(out.status).toBe('unscannable');
    expect(out.findings[0].signature).toMatch(/^Heuristics\.Limits\.Exceeded\./);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect((await scan(mimeMessage({ subject: 'after-bomb' }))).status).toBe('clean');
  });

  it('a message of more than 1000 MIME parts is unscannable on its first delivery, not retried', async () => {
    const before = await h.consumerCounts();
    const parts = Array.from({ length: 1001 }, (_, i) => ({ filename: `p${i}.txt`, type: 'text/plain', data: Buffer.from(`part ${i}`) }));
    const out = await scan(mimeMessage({ subject: 'many-parts', attachments: parts }));
    expect(out.status).toBe('unscannable');
    expect(out.findings).toEqual([{ part: '', filename: '', signature: 'Torii.Unscannable.Too-Many-Parts' }]);
    await new Promise((r) => setTimeout(r, 1_000)); // a nak would be redelivered after SCAN_RETRY_BASE (200 ms)
    expect(await h.consumerCounts()).toEqual({ redelivered: before.redelivered, ackPending: 0 });
  });

  it('too many parts with EICAR among the first: infected, and the message (not a part) is what is infected', async () => {
    const parts = Array.from({ length: 1001 }, (_, i) => ({ filename: `p${i}.txt`, type: 'text/plain', data: Buffer.from(`part ${i}`) }));
    parts[3] = { filename: 'eicar.com', type: 'application/octet-stream', data: EICAR };
    const out = await scan(mimeMessage({ subject: 'many-parts-eicar', attachments: parts }));
    expect(out.status).toBe('infected');
    expect(out.findings).toContainEqual({ part: '', filename: 'eicar.com', signature: 'Eicar-Signature' });
    expect(out.findings).toContainEqual({ part: '', filename: '', signature: 'Torii.Unscannable.Too-Many-Parts' });
  });

  it('a MIME header over 256 KiB is unscannable at once', async () => {
    const raw = mimeMessage({ subject: 'big-header', attachments: [{ filename: 'a.txt', data: Buffer.from('ok') }] })
      .toString()
      .replace('Content-Disposition: attachment;', `X-Filler: ${Array.from({ length: 3_500 }, () => 'x'.repeat(76)).join('\r\n ')}\r\nContent-Disposition: attachment;`);
    const out = await scan(Buffer.from(raw));
    expect(out).toMatchObject({ status: 'unscannable', findings: [{ part: '', signature: 'Torii.Unscannable.Header-Too-Large' }] });
  });

  it('EICAR in a ZIP64 zip clamd cannot open (central directory, or local header sizes): unscannable, not clean', async () => {
    const central = await scan(mimeMessage({ subject: 'zip64-central', attachments: [{ filename: 'c.zip', data: await zip([{ name: 'eicar.com', data: EICAR }], { zip64: true }) }] }));
    expect(central).toMatchObject({ status: 'unscannable', findings: [{ part: '2', filename: 'c.zip', signature: 'Torii.Unscannable.Zip64-Entry' }] });
    const local = await scan(mimeMessage({ subject: 'zip64-local', attachments: [{ filename: 'l.zip', data: zip64LocalHeaderZip('eicar.com', EICAR) }] }));
    expect(local).toMatchObject({ status: 'unscannable', findings: [{ part: '2', filename: 'l.zip', signature: 'Torii.Unscannable.Zip64-Entry' }] });
    const end = await scan(mimeMessage({ subject: 'zip64-end', attachments: [{ filename: 'e.zip', data: await zip64EndRecordZip([{ name: 'eicar.com', data: EICAR }]) }] }));
    expect(end).toMatchObject({ status: 'unscannable', findings: [{ part: '2', filename: 'e.zip', signature: 'Torii.Unscannable.Zip64-Entry' }] });
  });

  it('the stored message is gone: a failed verdict at once (delivery applies on_failure), not a dead letter', async () => {
    const before = await h.consumerCounts();
    const event = await h.publish({ domain: 'tenant.test', raw: mimeMessage({ subject: 'gone' }), stored: false });
    const v = await h.verdictOf(event.messageId);
    expect(v.outcome).toMatchObject({ failed: true, failureReason: 'message object not found' });
    expect(v.findings).toEqual([]);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await h.consumerCounts()).toEqual({ redelivered: before.redelivered, ackPending: 0 });
  });

  it('infected mail warns (inbound: admin and recipient, not the sender; outbound: sender and admin)', async () => {
    const inbound = await scan(mimeMessage({ subject: 'warn-in', attachments: [{ filename: 'eicar.com', data: EICAR }] }));
    const outbound = await h.publish({ domain: 'tenant.test', raw: mimeMessage({ subject: 'warn-out', attachments: [{ filename: 'eicar.com', data: EICAR }] }), direction: Direction.OUTBOUND, from: 'carol@tenant.test', to: ['far@elsewhere.test'] });
    await h.verdictOf(outbound.messageId);
    const forIn = h.submits.filter((s) => s.relatedMessageId === inbound.event.messageId);
    expect(forIn.flatMap((s) => (s.envelope?.rcptTo ?? []).map((r) => r.address)).sort()).toEqual(['admin@tenant.test', 'bob@tenant.test']);
    expect(forIn.every((s) => s.purpose === 'virus-warning' && s.bypass.includes('virus') && s.direction === Direction.INBOUND)).toBe(true);
    const forOut = h.submits.filter((s) => s.relatedMessageId === outbound.messageId);
    expect(forOut.flatMap((s) => (s.envelope?.rcptTo ?? []).map((r) => r.address)).sort()).toEqual(['admin@tenant.test', 'carol@tenant.test']);
    const body = await new Response((await h.store.get(forIn[0].objectKey)) as unknown as ReadableStream).text();
    expect(body).toContain('eicar.com');
    expect(body).toContain('Eicar-Signature');
  });

  it('a domain without the subscription gets no verdict', async () => {
    const event = await h.publish({ domain: 'nosub.test', raw: mimeMessage({ subject: 'nosub', body: EICAR }) });
    await expect(h.verdictOf(event.messageId, 1_500)).rejects.toThrow(/no verdict/);
  });

  it('clamd stopped: the message waits (no verdict); clamd started: it is scanned, none lost', async () => {
    await h.clamd.stop();
    const events = await Promise.all([1, 2, 3].map((i) => h.publish({ domain: 'tenant.test', raw: mimeMessage({ subject: `down-${i}`, attachments: i === 2 ? [{ filename: 'eicar.com', data: EICAR }] : [] }) })));
    await new Promise((r) => setTimeout(r, 1_500));
    expect(events.filter((e) => h.verdicts.has(e.messageId))).toEqual([]);
    expect(await metricsText()).toMatch(/torii_virus_scan_deferred_total\{reason="clamd"\} [1-9]/);
    await h.clamd.start();
    const statuses = await Promise.all(events.map(async (e) => STATUS[(await h.verdictOf(e.messageId, 20_000)).status]));
    expect(statuses).toEqual(['clean', 'infected', 'clean']);
  });
});
