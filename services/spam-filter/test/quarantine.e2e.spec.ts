/**
 * The quarantine box end to end: spam-filter in process, delivery's build as a child process, a private
 * nats-server, Postgres, s3rver and an SMTP sink (the tenant's server). Same harness as spam-filter.e2e.
 */
import {
  Codecs,
  Direction,
  Subjects,
  VerdictKind,
  VirusStatus,
  VirusVerdictSchema,
  create,
  timestampNow,
  type MailReceived,
} from '@torii/contracts';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '@torii/testing';
import { simpleParser } from 'mailparser';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import request from 'supertest';
import { PrismaService } from '../src/db/prisma.service';
import { QuarantineRepository } from '../src/quarantine/quarantine.repository';
import { QuarantineService } from '../src/quarantine/quarantine.service';
import { startDelivery, startTestbed, until, type Testbed } from './support/testbed';

const FIXTURES = join(dirname(require.resolve('@torii/spam-engine/package.json')), 'fixtures');
const SPAM = readFileSync(join(FIXTURES, 'spam-en.eml'));
const DOMAIN = 'quarantine-e2e.test';
const TENANT = '7a1f0c2e-0000-4000-8000-000000000005';
// grace and heidi: the forward and release-and-allow tests; ivan, judy and kim: the released verdict, the double
// release and the infected message (their own sink traffic, no other test's counts).
const BOXES = ['bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'kim'];
const JA_SUBJECT = '=?ISO-2022-JP?B?GyRCJVYlbSVDJS9CUD5dJE43bxsoQg==?='; // 「ブロック対象の件」

jest.setTimeout(120_000);

describe('quarantine box end to end', () => {
  let bed: Testbed;
  let sink: SmtpSink;
  let delivery: { stop: () => Promise<void> } | undefined;
  let publisher: Testbed['publisher'];
  let store: Testbed['store'];
  let app: Testbed['app'];
  let sign: Testbed['sign'];
  let admin: string;

  beforeAll(async () => {
    sink = await startSmtpSink({ tls: true });
    bed = await startTestbed({
      name: 'quarantine-e2e',
      directory: {
        domain: DOMAIN,
        tenantId: TENANT,
        tenantName: 'Quarantine E2E',
        active: true,
        planAddresses: 10,
        // Virus checking too: a release must be judged by the original's virus verdict (delivery inherits it).
        services: { spam: { subscribed: true }, virus: { subscribed: true } },
        addresses: BOXES.map((localPart) => ({ localPart, kind: 1 })),
        server: { hostname: 'mail.quarantine-e2e.test', ips: ['127.0.0.1'], port: sink.port },
        spamPolicy: { settings: { quarantineCapacityBytes: String(50 * 1024 * 1024) } },
      },
      config: {
        GATEWAY_HOSTNAME: 'gw.torii.test',
        QUARANTINE_PUBLIC_URL: 'http://quarantine.torii.test',
        QUARANTINE_LINK_SECRET: 'a-test-secret-of-enough-length',
        QUARANTINE_JOB_INTERVAL: '0',
      },
    });
    ({ publisher, store, app, sign } = bed);
    admin = await sign({ sub: 'admin-1', role: 'admin', tid: TENANT, email: `admin@${DOMAIN}` });
    delivery = await startDelivery({ ...bed.common, VERDICT_TIMEOUT_SPAM: '30s', VERDICT_TIMEOUT_VIRUS: '5m' });

    // Every address quarantines spam.
    for (const who of BOXES) {
      await api().put(`${spamBase}/addresses/${who}@${DOMAIN}/policy`).set('Authorization', `Bearer ${admin}`).send({ action: 'quarantine' }).expect(200);
    }
  });

  afterAll(async () => {
    await delivery?.stop();
    await bed?.close();
    await sink?.close();
  });

  const api = () => request(app.getHttpServer());
  const spamBase = `/v1/tenants/${TENANT}/domains/${DOMAIN}/spam`;
  const box = (who: string) => `${spamBase}/quarantine/addresses/${who}@${DOMAIN}`;
  const withId = (raw: Buffer, id: string, subject?: string) => {
    let s = `Message-ID: <${id}>\r\n` + raw.toString('latin1').replace(/^Message-ID:.*\r?\n/im, '');
    if (subject) s = s.replace(/^Subject:.*$/im, `Subject: ${subject}`);
    return Buffer.from(s, 'latin1');
  };
  const db = () => app.get(PrismaService);

  /** `authenticated`: the edge found DMARC pass for the From domain (an allow entry on From only counts then). */
  async function send(raw: Buffer, to: string[], { authenticated = false } = {}): Promise<MailReceived> {
    const event = await bed.receive({
      raw,
      to,
      tenantId: TENANT,
      domain: DOMAIN,
      auth: authenticated
        ? { spf: { result: 'fail', domain: 'sender.example' }, dmarc: { result: 'pass', policy: 'reject', domain: 'cheap-meds-online.example' }, authenticationResultsHeader: 'gw.torii.test; spf=fail smtp.mailfrom=sender.example; dmarc=pass header.from=cheap-meds-online.example' }
        : { spf: { result: 'fail', domain: 'sender.example' }, authenticationResultsHeader: 'gw.torii.test; spf=fail smtp.mailfrom=sender.example' },
    });
    const { messageId } = event;
    // virus-scan's part, played by the test: every message is clean.
    const virus = create(VirusVerdictSchema, { messageId, tenantId: TENANT, outcome: { kind: VerdictKind.VIRUS, decidedAt: timestampNow(), failed: false }, status: VirusStatus.CLEAN, engine: 'test' });
    await publisher.publish(Subjects.verdictVirus, Codecs.virusVerdict, virus, { msgId: `virus:${messageId}` });
    return event;
  }

  const itemsOf = async (messageId: string) => db().quarantineItem.findMany({ where: { messageId }, orderBy: { address: 'asc' } });
  const filed = (messageId: string, n: number) => until(`${n} item(s) of ${messageId}`, async () => ((await itemsOf(messageId)).length === n ? itemsOf(messageId) : undefined));
  const copyFor = (rcpt: string, marker: string) => (m: SinkMessage) => m.envelope.rcptTo.includes(rcpt) && m.raw.toString('latin1').includes(marker);

  it('files quarantined spam for each recipient, not in the sink; scoped per box and tenant; release keeps the bytes', async () => {
    const raw = withId(SPAM, 'q-multi@e2e');
    const event = await send(raw, [`dave@${DOMAIN}`, `erin@${DOMAIN}`]);
    const [dave, erin] = await filed(event.messageId, 2);
    expect(dave.objectKey).toBe(erin.objectKey);
    expect(sink.messages.some((m) => m.raw.toString('latin1').includes('q-multi@e2e'))).toBe(false);

    const daveToken = await sign({ sub: 'user-dave', role: 'user', tid: TENANT, email: `dave@${DOMAIN}` });
    const bobToken = await sign({ sub: 'user-bob', role: 'user', tid: TENANT, email: `bob@${DOMAIN}` });
    const list = await api().get(`${box('dave')}/items`).set('Authorization', `Bearer ${daveToken}`).expect(200);
    expect(list.body.items.map((i: { id: string }) => i.id)).toEqual([dave.id]);
    expect(list.body.items[0]).toMatchObject({ subject: 'FREE VIAGRA!!! LIMITED TIME OFFER - ACT NOW', size: raw.length });
    await api().get(`${box('dave')}/items`).set('Authorization', `Bearer ${bobToken}`).expect(404);
    await api().get(`${box('dave')}/items/${dave.id}`).set('Authorization', `Bearer ${bobToken}`).expect(404);
    await api().get(`${box('bob')}/items/${dave.id}`).set('Authorization', `Bearer ${bobToken}`).expect(404);
    const otherAdmin = await sign({ sub: 'admin-x', role: 'admin', tid: 'other-tenant' });
    await api().get(`${box('dave')}/items`).set('Authorization', `Bearer ${otherAdmin}`).expect(404);
    await api().get(`${spamBase}/quarantine/usage`).set('Authorization', `Bearer ${otherAdmin}`).expect(404);

    const view = await api().get(`${box('dave')}/items/${dave.id}`).set('Authorization', `Bearer ${admin}`).expect(200);
    expect(view.body.headers).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'Message-ID', value: '<q-multi@e2e>' })]));
    expect(view.body.text).not.toMatch(/<(img|script|a)\b/i);
    const eml = await api().get(`${box('dave')}/items/${dave.id}/eml`).set('Authorization', `Bearer ${admin}`).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    }).expect(200);
    expect(Buffer.compare(eml.body as Buffer, raw)).toBe(0);

    // Release: a new delivery of the stored bytes; only trace and verdict header fields are added in front.
    await api().post(`${box('dave')}/items/${dave.id}/release`).set('Authorization', `Bearer ${daveToken}`).expect(202);
    const released = await sink.waitFor(copyFor(`dave@${DOMAIN}`, 'q-multi@e2e'), 30_000);
    const got = released.raw.toString('latin1');
    expect(got).toMatch(/^X-Acme-Spam-Check: \d+\.\d\d%\r$/m);
    const original = raw.toString('latin1');
    const at = got.indexOf(original.slice(0, 40));
    expect(got.slice(at)).toBe(original);
    expect(sink.messages.some(copyFor(`erin@${DOMAIN}`, 'q-multi@e2e'))).toBe(false);
    expect(await itemsOf(event.messageId)).toHaveLength(1);
    expect(await store.stat(erin.objectKey)).not.toBeNull(); // erin's item still refers to the copy

    await api().delete(`${box('erin')}/items/${erin.id}`).set('Authorization', `Bearer ${admin}`).expect(204);
    expect(await store.stat(erin.objectKey)).toBeNull();
    const audit = await api().get(`${spamBase}/audit`).set('Authorization', `Bearer ${admin}`).expect(200);
    expect(audit.body.map((a: { action: string }) => a.action)).toEqual(expect.arrayContaining(['spam.quarantine.release', 'spam.quarantine.delete', 'spam.quarantine.view', 'spam.quarantine.download']));
  });

  it('a released copy carries the original verdict: score and reasons, Received-SPF, the sender hop; not quarantined again', async () => {
    // QA: a DMARC-failing spoof came out of the box with none of what its first pass would have carried.
    const raw = withId(SPAM, 'q-verdict@e2e');
    const event = await bed.receive({
      raw,
      to: [`ivan@${DOMAIN}`],
      tenantId: TENANT,
      domain: DOMAIN,
      auth: {
        spf: { result: 'fail', domain: 'sender.example' },
        dmarc: { result: 'fail', policy: 'reject', domain: 'cheap-meds-online.example' },
        authenticationResultsHeader: 'gw.torii.test; spf=fail smtp.mailfrom=sender.example; dmarc=fail header.from=cheap-meds-online.example',
      },
    });
    const virus = create(VirusVerdictSchema, { messageId: event.messageId, tenantId: TENANT, outcome: { kind: VerdictKind.VIRUS, decidedAt: timestampNow(), failed: false }, status: VirusStatus.CLEAN, engine: 'test' });
    await publisher.publish(Subjects.verdictVirus, Codecs.virusVerdict, virus, { msgId: `virus:${event.messageId}` });
    const [item] = await filed(event.messageId, 1);
    const record = await db().scoredMessage.findUniqueOrThrow({ where: { messageId: event.messageId } });
    const first = Codecs.spamVerdict.decode(record.verdict);
    expect(first.headerValue).toMatch(/^\d+\.\d\d%$/);

    const res = await api().post(`${box('ivan')}/items/${item.id}/release`).set('Authorization', `Bearer ${admin}`).expect(202);
    const released = await sink.waitFor(copyFor(`ivan@${DOMAIN}`, 'q-verdict@e2e'), 30_000);
    const got = released.raw.toString('latin1');
    const head = got.slice(0, got.indexOf('\r\n\r\n'));
    const field = (name: string) => [...head.replace(/\r\n[ \t]+/g, ' ').matchAll(new RegExp(`^${name}: (.*)$`, 'gim'))].map((m) => m[1].trim());
    // SPAM4: the score as the first pass had it, and the evidence (DMARC_FAIL among it), stamped by delivery.
    expect(field('X-Acme-Spam-Check')).toEqual([first.headerValue]);
    expect(field('X-Acme-Spam-Reasons')).toEqual([first.explanation]);
    // SPAM3: the SPF result of the arrival, and where it came from: the sender's hop into the gateway.
    const [spf] = field('Received-SPF');
    expect(spf).toMatch(/^fail \(/);
    expect(spf).toContain('client-ip=192.0.2.7;');
    expect(spf).toContain('receiver=gw.torii.test;');
    const received = field('Received');
    expect(received.some((r) => r.startsWith('from mx.sender.example (mx.sender.example [192.0.2.7]) by edge.torii.test (Torii)') && r.includes(`id ${event.messageId}`) && r.includes(`for <ivan@${DOMAIN}>`))).toBe(true);
    // Delivery's own hop of the release sits above the rebuilt ones; the original's bytes follow unchanged.
    expect(head.indexOf(`id ${res.body.submitId}`)).toBeLessThan(head.indexOf('Received-SPF:'));
    expect(got.slice(got.indexOf(raw.toString('latin1').slice(0, 40)))).toBe(raw.toString('latin1'));
    // The verdict says "deliver" for the address: delivered once, not filed again.
    expect(await itemsOf(event.messageId)).toHaveLength(0);
  });

  it('two releases of one item at once: both answered 202 with the one submit id, one copy delivered', async () => {
    const raw = withId(SPAM, 'q-twice@e2e');
    const event = await send(raw, [`judy@${DOMAIN}`]);
    const [item] = await filed(event.messageId, 1);
    const release = () => api().post(`${box('judy')}/items/${item.id}/release`).set('Authorization', `Bearer ${admin}`);
    // Before: the later of two overlapping releases failed on the outbox's unique submit id (500).
    const answers = await Promise.all([release(), release(), release()]);
    for (const a of answers) expect([202, 404]).toContain(a.status);
    const accepted = answers.filter((a) => a.status === 202);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(new Set(accepted.map((a) => a.body.submitId))).toEqual(new Set([`quarantine-release-${item.id}`]));
    await sink.waitFor(copyFor(`judy@${DOMAIN}`, 'q-twice@e2e'), 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(sink.messages.filter(copyFor(`judy@${DOMAIN}`, 'q-twice@e2e'))).toHaveLength(1);
    expect(await db().auditLog.count({ where: { target: item.id, action: 'spam.quarantine.release' } })).toBe(1);
    await release().expect(404); // once it is gone
  });

  it('searches by a Japanese subject, sender and score', async () => {
    const event = await send(withId(SPAM, 'q-ja@e2e', JA_SUBJECT), [`frank@${DOMAIN}`]);
    await filed(event.messageId, 1);
    const bad = await api().get(`${box('frank')}/items`).query({ from: 'notadate', pageSize: 0 }).set('Authorization', `Bearer ${admin}`).expect(400);
    expect(bad.body).toMatchObject({ code: 'validation-failed' });
    expect(bad.body.errors.map((e: { in: string; pointer: string }) => `${e.in}${e.pointer}`).sort()).toEqual(['query/from', 'query/pageSize']);
    // A misspelt filter or an inverted range would answer an empty or unfiltered page that looks like a real one.
    const typo = await api().get(`${box('frank')}/items`).query({ minscore: 50 }).set('Authorization', `Bearer ${admin}`).expect(400);
    expect(typo.body.errors).toEqual([{ in: 'query', pointer: '/minscore', detail: 'unknown query parameter' }]);
    const inverted = await api().get(`${box('frank')}/items`).query({ minScore: 90, maxScore: 10 }).set('Authorization', `Bearer ${admin}`).expect(400);
    expect(inverted.body.errors).toEqual([{ in: 'query', pointer: '/minScore', detail: 'must not be above maxScore' }]);
    const backwards = await api().get(`${box('frank')}/items`).query({ from: '2026-12-02T00:00:00Z', to: '2026-12-01T00:00:00+09:00' }).set('Authorization', `Bearer ${admin}`).expect(400);
    expect(backwards.body.errors).toEqual([{ in: 'query', pointer: '/from', detail: 'must not be after to' }]);
    await api().get(`${box('frank')}/items`).query({ minScore: 50, maxScore: 50, from: '2026-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }).set('Authorization', `Bearer ${admin}`).expect(200);
    // Numbers as typed: an empty value, hex or exponent forms are not quietly read as numbers.
    for (const query of [{ minScore: '' }, { minScore: '0x10' }, { maxScore: '1e1' }, { page: '1e1' }, { pageSize: '2.5' }]) {
      const loose = await api().get(`${box('frank')}/items`).query(query).set('Authorization', `Bearer ${admin}`).expect(400);
      expect(loose.body.errors).toEqual([expect.objectContaining({ in: 'query', pointer: `/${Object.keys(query)[0]}` })]);
    }
    await api().get(`${box('frank')}/items`).query({ minScore: '97.5', page: '1', pageSize: '10' }).set('Authorization', `Bearer ${admin}`).expect(200);
    const hit = await api().get(`${box('frank')}/items`).query({ subject: 'ブロック対象', minScore: 50 }).set('Authorization', `Bearer ${admin}`).expect(200);
    expect(hit.body.items.map((i: { subject: string }) => i.subject)).toEqual(['ブロック対象の件']);
    const none = await api().get(`${box('frank')}/items`).query({ subject: '存在しない' }).set('Authorization', `Bearer ${admin}`).expect(200);
    expect(none.body.total).toBe(0);
    const bySender = await api().get(`${box('frank')}/items`).query({ sender: 'NOBODY-HERE' }).set('Authorization', `Bearer ${admin}`).expect(200);
    expect(bySender.body.total).toBe(0);

    // What the user types is literal text: `%` and `_` are not wildcards.
    const percent = await send(withId(SPAM, 'q-pct@e2e', 'Save 50%_off today'), [`frank@${DOMAIN}`]);
    await filed(percent.messageId, 1);
    const search = async (query: Record<string, string>) =>
      ((await api().get(`${box('frank')}/items`).query(query).set('Authorization', `Bearer ${admin}`).expect(200)).body as { items: { subject: string }[] }).items.map((i) => i.subject);
    expect(await search({ sender: '%' })).toEqual([]);
    expect(await search({ sender: '_' })).toEqual([]);
    expect(await search({ subject: '50%_off' })).toEqual(['Save 50%_off today']);
    expect(await search({ subject: '50_off' })).toEqual([]);
    expect(await search({ subject: 'Save%today' })).toEqual([]);
    expect(await search({ subject: 'back\\slash' })).toEqual([]);
  });

  it('warns once at 80% of the quota and bounces spam to the sender when the box is full', async () => {
    const size = withId(SPAM, 'q-quota-1@e2e').length;
    const quota = Math.floor(size * 2.4);
    await api().put(box('carol')).set('Authorization', `Bearer ${admin}`).send({ quotaBytes: quota }).expect(200);
    await api().put(box('carol')).set('Authorization', `Bearer ${admin}`).send({ quotaBytes: 51 * 1024 * 1024 }).expect(422);
    const first = await send(withId(SPAM, 'q-quota-1@e2e'), [`carol@${DOMAIN}`]);
    await filed(first.messageId, 1);
    const second = await send(withId(SPAM, 'q-quota-2@e2e'), [`carol@${DOMAIN}`]);
    await filed(second.messageId, 1);
    const warning = await sink.waitFor((m) => m.envelope.rcptTo.includes(`carol@${DOMAIN}`) && /Auto-Submitted: auto-generated/i.test(m.raw.toString('latin1')), 30_000);
    expect((await simpleParser(warning.raw)).subject).toMatch(/Quarantine box 8\d% full/);

    const third = await send(withId(SPAM, 'q-quota-3@e2e'), [`carol@${DOMAIN}`]);
    const refusal = await until('the refusal', () => db().quarantineRefusal.findFirst({ where: { messageId: third.messageId } }).then((r) => r ?? undefined));
    expect(refusal.address).toBe(`carol@${DOMAIN}`);
    expect(await itemsOf(third.messageId)).toHaveLength(0);
    const dsnRow = await until('the DSN', () => db().quarantineOutbox.findFirst({ where: { submitId: { startsWith: 'quarantine-full-' } } }).then((r) => r ?? undefined));
    const dsn = Codecs.mailSubmit.decode(dsnRow.payload);
    expect(dsn).toMatchObject({ purpose: 'dsn-failure', direction: Direction.OUTBOUND, relatedMessageId: third.messageId });
    expect(dsn.envelope?.mailFrom).toBe('');
    expect(dsn.envelope?.rcptTo.map((r) => r.address)).toEqual(['bounce@sender.example']);
    const report = (await simpleParser(await readAll(await store.get(dsn.objectKey)))).text ?? '';
    expect(report).toMatch(/could not be delivered/);

    const usage = await api().get(`${spamBase}/quarantine/usage`).set('Authorization', `Bearer ${admin}`).expect(200);
    expect(usage.body).toMatchObject({ capacityBytes: 50 * 1024 * 1024 });
    expect(usage.body.addresses.find((a: { address: string }) => a.address === `carol@${DOMAIN}`)).toMatchObject({ usedBytes: 2 * size, items: 2, quotaBytes: quota });
    // Once per crossing: exactly one warning, though two messages were above 80%.
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.messages.filter((m) => m.envelope.rcptTo.includes(`carol@${DOMAIN}`))).toHaveLength(1);
  });

  it('retention deletes the record and the object', async () => {
    await api().put(box('bob')).set('Authorization', `Bearer ${admin}`).send({ retentionDays: 1 }).expect(200);
    const event = await send(withId(SPAM, 'q-old@e2e'), [`bob@${DOMAIN}`]);
    const [item] = await filed(event.messageId, 1);
    expect(item.expiresAt.getTime() - item.quarantinedAt.getTime()).toBe(86_400_000);
    const service = app.get(QuarantineService);
    expect(await service.removeExpired(new Date(Date.now() + 3_600_000))).toBe(0);
    expect(await service.removeExpired(new Date(Date.now() + 2 * 86_400_000))).toBeGreaterThanOrEqual(1);
    expect(await itemsOf(event.messageId)).toHaveLength(0);
    expect(await store.stat(item.objectKey)).toBeNull();
  });

  it('a removal that fails keeps the copy: the item can still be released (the copy goes only after the commit)', async () => {
    const event = await send(withId(SPAM, 'q-rollback@e2e'), [`bob@${DOMAIN}`]);
    const [item] = await filed(event.messageId, 1);
    const repository = app.get(QuarantineRepository);
    const db = app.get(PrismaService);
    const deleteObject = (key: string) => store.delete(key);
    const quota = async () => 10_000_000;
    // Any failure after the items went (a lost connection, the timeout): here an outbox row that cannot be written.
    await db.quarantineOutbox.create({ data: { submitId: 'q-rollback-taken', payload: Buffer.from('x') } });
    await expect(repository.remove([item.id], deleteObject, quota, { notices: [{ submitId: 'q-rollback-taken', payload: new Uint8Array([1]) }] })).rejects.toThrow();
    await db.quarantineOutbox.deleteMany({ where: { submitId: 'q-rollback-taken' } });
    expect(await itemsOf(event.messageId)).toHaveLength(1);
    expect(await store.stat(item.objectKey)).not.toBeNull();
    // Removed for real, the copy goes with its last item.
    await repository.remove([item.id], deleteObject, quota);
    expect(await itemsOf(event.messageId)).toHaveLength(0);
    expect(await store.stat(item.objectKey)).toBeNull();
  });

  it('a copy whose delete failed after its removal is swept later; a copy an item still references stays', async () => {
    const gone = await send(withId(SPAM, 'q-sweep-1@e2e'), [`bob@${DOMAIN}`]);
    const kept = await send(withId(SPAM, 'q-sweep-2@e2e'), [`bob@${DOMAIN}`]);
    const [item] = await filed(gone.messageId, 1);
    const [other] = await filed(kept.messageId, 1);
    const repository = app.get(QuarantineRepository);
    const service = app.get(QuarantineService);
    // The removal commits; the copy's delete fails (S3 away for a moment): the copy is left behind.
    await repository.remove([item.id], async () => Promise.reject(new Error('S3 unavailable')), async () => 10_000_000);
    expect(await itemsOf(gone.messageId)).toHaveLength(0);
    expect(await store.stat(item.objectKey)).not.toBeNull();
    // Within the grace nothing is swept (an admission may be writing its copy); after it, only the orphan goes.
    expect(await service.sweepCopies(new Date())).toBe(0);
    expect(await service.sweepCopies(new Date(Date.now() + 2 * 3_600_000))).toBe(1);
    expect(await store.stat(item.objectKey)).toBeNull();
    expect(await store.stat(other.objectKey)).not.toBeNull();
  });

  it('mails a digest with links: a GET changes nothing, the POST releases once', async () => {
    const erinToken = await sign({ sub: 'user-erin', role: 'user', tid: TENANT, email: `erin@${DOMAIN}` });
    await api().put(box('erin')).set('Authorization', `Bearer ${erinToken}`).send({ digestHours: 24 }).expect(200);
    await api().put(box('erin')).set('Authorization', `Bearer ${erinToken}`).send({ retentionDays: 3 }).expect(403);
    const event = await send(withId(SPAM, 'q-digest@e2e', JA_SUBJECT), [`erin@${DOMAIN}`]);
    const [item] = await filed(event.messageId, 1);
    await api().post(`${box('erin')}/digest`).set('Authorization', `Bearer ${erinToken}`).expect(202);
    const digest = await sink.waitFor((m) => m.envelope.rcptTo.includes(`erin@${DOMAIN}`) && /quarantine-digest/.test(m.raw.toString('latin1')), 30_000);
    expect(digest.raw.toString('latin1')).toMatch(/^Auto-Submitted: auto-generated/im);
    expect(digest.raw.toString('latin1')).toMatch(/^Subject: =\?UTF-8\?/im);
    const parsed = await simpleParser(digest.raw);
    expect(parsed.subject).toContain('隔離メールのお知らせ');
    expect(parsed.html).toContain('ブロック対象の件');
    expect(parsed.text).toContain('ブロック対象の件');
    const links = [...(parsed.text ?? '').matchAll(/http:\/\/quarantine\.torii\.test(\/v1\/quarantine\/links\/[A-Za-z0-9_.-]+)/g)].map((m) => m[1]);
    expect(links).toHaveLength(2);
    const [release] = links;

    const page = await api().get(release).expect(200);
    expect(page.text).toContain('<form method="post">');
    expect(page.text).toContain('ブロック対象の件');
    // What a tracker or a mail gateway appends to the link is ignored (the page's form posts back to it).
    await api().get(`${release}?utm_source=digest&utm_source=again`).expect(200);
    expect(await itemsOf(event.messageId)).toHaveLength(1);
    expect(sink.messages.some(copyFor(`erin@${DOMAIN}`, 'q-digest@e2e'))).toBe(false);

    await api().post(`${release}?utm_source=digest`).expect(200);
    await sink.waitFor(copyFor(`erin@${DOMAIN}`, 'q-digest@e2e'), 30_000);
    expect(await itemsOf(event.messageId)).toHaveLength(0);
    await api().post(release).expect(409);
    await api().get(`${release.slice(0, -3)}abc`).expect(404);
    expect(item.address).toBe(`erin@${DOMAIN}`);
  });

  it('the digest\'s allow-sender link releases and allows the sender, audited as the box\'s user', async () => {
    const erinToken = await sign({ sub: 'user-erin', role: 'user', tid: TENANT, email: `erin@${DOMAIN}` });
    const event = await send(withId(SPAM, 'q-digest-allow@e2e', 'allow me'), [`erin@${DOMAIN}`]);
    const [item] = await filed(event.messageId, 1);
    await api().post(`${box('erin')}/digest`).set('Authorization', `Bearer ${erinToken}`).expect(202);
    // This digest lists only what came since the previous one: the item of this test.
    const parsed = await until('a digest listing "allow me"', async () => {
      for (const m of sink.messages.filter((x) => x.envelope.rcptTo.includes(`erin@${DOMAIN}`) && /quarantine-digest/.test(x.raw.toString('latin1')))) {
        const p = await simpleParser(m.raw);
        if ((p.text ?? '').includes('allow me')) return p;
      }
      return undefined;
    });
    const links = [...(parsed.text ?? '').matchAll(/http:\/\/quarantine\.torii\.test(\/v1\/quarantine\/links\/[A-Za-z0-9_.-]+)/g)].map((m) => m[1]);
    expect(links).toHaveLength(2);
    await api().post(links[1]).expect(200);
    await sink.waitFor(copyFor(`erin@${DOMAIN}`, 'q-digest-allow@e2e'), 30_000);
    expect(await itemsOf(event.messageId)).toHaveLength(0);
    const allow = await api().get(`${spamBase}/addresses/erin@${DOMAIN}/lists/allow`).set('Authorization', `Bearer ${erinToken}`).expect(200);
    expect(allow.body).toEqual([expect.objectContaining({ field: 'from-address', match: 'exact', value: 'offers@cheap-meds-online.example', createdBy: `digest-link:erin@${DOMAIN}` })]);
    expect(item.sender).toContain('offers@cheap-meds-online.example');
    const audit = await api().get(`${spamBase}/audit`).set('Authorization', `Bearer ${admin}`).expect(200);
    const added = (audit.body as { actor: string; actorRole: string; action: string }[]).find((a) => a.action === 'spam.allow-list.add' && a.actor.startsWith('digest-link:'));
    expect(added).toMatchObject({ actorRole: 'user' });
    // The user still cannot add an allow entry through the API (P6): the link is the one way.
    await api().post(`${spamBase}/addresses/erin@${DOMAIN}/lists/allow`).set('Authorization', `Bearer ${erinToken}`).send({ field: 'from-address', match: 'exact', value: 'x@partner.example' }).expect(403);
  });

  it('forwards a quarantined message to another address: delivered there, the item stays, audited', async () => {
    const raw = withId(SPAM, 'q-forward@e2e');
    const event = await send(raw, [`frank@${DOMAIN}`]);
    const [item] = await filed(event.messageId, 1);
    const frankToken = await sign({ sub: 'user-frank', role: 'user', tid: TENANT, email: `frank@${DOMAIN}` });

    // A malformed target is refused with a problem, and nothing is submitted.
    for (const to of ['not-an-address', 'grace@', '', 'a b@quarantine-e2e.test']) {
      const bad = await api().post(`${box('frank')}/items/${item.id}/forward`).set('Authorization', `Bearer ${frankToken}`).send({ to });
      expect([400, 422]).toContain(bad.status);
      expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(bad.body).toMatchObject({ status: bad.status });
    }
    await api().post(`${box('frank')}/items/${item.id}/forward`).set('Authorization', `Bearer ${frankToken}`).send({}).expect((r) => expect([400, 422]).toContain(r.status));
    // RFC 5321 §4.5.3.1: a local part of at most 64 characters (QA: 300 were taken, 202), 254 in all.
    for (const to of [`${'a'.repeat(300)}@outside.example`, `${'a'.repeat(65)}@outside.example`, `a@${'b'.repeat(62)}.${'c'.repeat(62)}.${'d'.repeat(62)}.${'e'.repeat(62)}.example`]) {
      const long = await api().post(`${box('frank')}/items/${item.id}/forward`).set('Authorization', `Bearer ${frankToken}`).send({ to }).expect(400);
      expect(long.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect(await db().quarantineOutbox.count({ where: { submitId: { startsWith: 'quarantine-forward-' } } })).toBe(0);

    // The user forwards from their own box (README: admin, the user) to a colleague of the domain (inbound).
    const res = await api().post(`${box('frank')}/items/${item.id}/forward`).set('Authorization', `Bearer ${frankToken}`).send({ to: `Grace@${DOMAIN}` }).expect(202);
    // A random id: the item's id (a digest link's claim) must not show in the Received field delivery stamps.
    expect(res.body.submitId).toMatch(/^quarantine-forward-[0-9a-f-]{36}$/);
    // No virus verdict is published for the forward: delivery must judge it by the original's (same bytes).
    const forwarded = await sink.waitFor(copyFor(`grace@${DOMAIN}`, 'q-forward@e2e'), 30_000);
    expect(forwarded.envelope.mailFrom).toBe(''); // null sender (README)
    const got = forwarded.raw.toString('latin1');
    const original = raw.toString('latin1');
    expect(got.slice(got.indexOf(original.slice(0, 40)))).toBe(original); // the box's bytes; only prepended to
    expect(got).toMatch(new RegExp(`^Resent-From: frank@${DOMAIN}\r$`, 'm')); // who forwarded it (RFC 5322 resent block)
    expect(got).toContain(`id ${res.body.submitId}`); // delivery's Received names the submit id
    expect(got).not.toContain(item.id);
    expect(got).not.toMatch(/^X-Acme-Spam-Check:/im); // bypasses the spam filter: not re-judged, not re-quarantined
    // Only to the given address: the box's owner gets nothing.
    expect(sink.messages.some(copyFor(`frank@${DOMAIN}`, 'q-forward@e2e'))).toBe(false);

    // Forward is not release: the README removes the item only on release/delete/expiry, so it stays with its copy.
    expect((await itemsOf(event.messageId)).map((i) => i.id)).toEqual([item.id]);
    expect(await store.stat(item.objectKey)).not.toBeNull();
    await api().get(`${box('frank')}/items/${item.id}`).set('Authorization', `Bearer ${frankToken}`).expect(200);

    // Another user cannot forward frank's item, whichever box they name.
    const graceToken = await sign({ sub: 'user-grace', role: 'user', tid: TENANT, email: `grace@${DOMAIN}` });
    await api().post(`${box('frank')}/items/${item.id}/forward`).set('Authorization', `Bearer ${graceToken}`).send({ to: `grace@${DOMAIN}` }).expect(404);
    await api().post(`${box('grace')}/items/${item.id}/forward`).set('Authorization', `Bearer ${graceToken}`).send({ to: `grace@${DOMAIN}` }).expect(404);

    const audit = await api().get(`${spamBase}/audit`).set('Authorization', `Bearer ${admin}`).expect(200);
    const entry = (audit.body as AuditView[]).find((a) => a.action === 'spam.quarantine.forward' && a.target === item.id);
    expect(entry).toBeDefined();
    expect(JSON.stringify(entry)).toContain(`grace@${DOMAIN}`);
    expect(JSON.stringify(entry)).toContain('user-frank');
    expect((audit.body as AuditView[]).filter((a) => a.action === 'spam.quarantine.forward' && a.target === item.id)).toHaveLength(1);
  });

  it('a digest link acting on an item deleted after it was read: the "not in quarantine" page, nothing released', async () => {
    const event = await send(withId(SPAM, 'q-link-race@e2e'), [`judy@${DOMAIN}`]);
    const [item] = await filed(event.messageId, 1);
    const path = new URL(app.get(QuarantineService).linkUrl(item, 'release', new Date())).pathname;
    // The link's page read the item (the stale row below); the admin deletes it (item and copy) before the release.
    await api().delete(`${box('judy')}/items/${item.id}`).set('Authorization', `Bearer ${admin}`).expect(204);
    const stale = jest.spyOn(app.get(QuarantineRepository), 'item').mockResolvedValueOnce(item);
    try {
      const page = await api().post(path).expect(404);
      expect(page.text).toContain('no longer in quarantine');
    } finally {
      stale.mockRestore();
    }
    expect(await db().quarantineOutbox.count({ where: { submitId: `quarantine-release-${item.id}` } })).toBe(0);
    expect((await db().auditLog.findMany({ where: { target: item.id }, select: { action: true } })).map((a) => a.action)).toEqual(['spam.quarantine.delete']);
  });

  it('release-and-allow: admin only (403 to the user, 404 elsewhere); delivers and allows the authenticated sender', async () => {
    const sender = 'offers@cheap-meds-online.example';
    const allowList = `${spamBase}/addresses/heidi@${DOMAIN}/lists/allow`;
    const event = await send(withId(SPAM, 'q-allow-1@e2e'), [`heidi@${DOMAIN}`]);
    const [item] = await filed(event.messageId, 1);
    const frankItem = (await db().quarantineItem.findFirst({ where: { address: `frank@${DOMAIN}` } }))!;
    const heidiToken = await sign({ sub: 'user-heidi', role: 'user', tid: TENANT, email: `heidi@${DOMAIN}` });

    // P6: a user never adds to an allow list over REST, not even through their own box; nothing happens.
    const forbidden = await api().post(`${box('heidi')}/items/${item.id}/release-and-allow`).set('Authorization', `Bearer ${heidiToken}`).expect(403);
    expect(forbidden.headers['content-type']).toMatch(/^application\/problem\+json/);
    await api().post(`${box('frank')}/items/${frankItem.id}/release-and-allow`).set('Authorization', `Bearer ${heidiToken}`).expect(404);
    await api().post(`${box('heidi')}/items/${frankItem.id}/release-and-allow`).set('Authorization', `Bearer ${heidiToken}`).expect(404);
    await api().post(`${box('heidi')}/items/${frankItem.id}/release-and-allow`).set('Authorization', `Bearer ${admin}`).expect(404); // frank's item is not in heidi's box
    expect(await itemsOf(event.messageId)).toHaveLength(1);
    expect(await itemsOf(frankItem.messageId)).toHaveLength(1);
    expect((await api().get(allowList).set('Authorization', `Bearer ${admin}`).expect(200)).body).toEqual([]);
    expect(sink.messages.some(copyFor(`heidi@${DOMAIN}`, 'q-allow-1@e2e'))).toBe(false);

    const res = await api().post(`${box('heidi')}/items/${item.id}/release-and-allow`).set('Authorization', `Bearer ${admin}`).expect(202);
    expect(res.body).toMatchObject({ submitId: `quarantine-release-${item.id}`, allowed: sender });
    const released = await sink.waitFor(copyFor(`heidi@${DOMAIN}`, 'q-allow-1@e2e'), 30_000);
    expect(released.envelope.mailFrom).toBe('bounce@sender.example'); // the original envelope sender
    expect(await itemsOf(event.messageId)).toHaveLength(0);

    // The allow entry is the exact From address, on heidi's list, and the user can see it.
    const entries = (await api().get(allowList).set('Authorization', `Bearer ${heidiToken}`).expect(200)).body as { field: string; match: string; value: string }[];
    expect(entries).toEqual([expect.objectContaining({ field: 'from-address', match: 'exact', value: sender })]);
    const audit = await api().get(`${spamBase}/audit`).set('Authorization', `Bearer ${admin}`).expect(200);
    expect((audit.body as AuditView[]).filter((a) => a.action === 'spam.quarantine.release-allow' && a.target === item.id)).toHaveLength(1);

    // The next spam from that sender, From authenticated (DMARC pass), is delivered unchanged, not quarantined.
    const next = await send(withId(SPAM, 'q-allow-2@e2e'), [`heidi@${DOMAIN}`], { authenticated: true });
    const delivered = await sink.waitFor(copyFor(`heidi@${DOMAIN}`, 'q-allow-2@e2e'), 30_000);
    expect(delivered.raw.toString('latin1')).not.toMatch(/^Subject: \[SPAM!!\]/im);
    const scored = await until('the allow verdict', () => db().scoredMessage.findUnique({ where: { messageId: next.messageId } }).then((r) => r ?? undefined));
    const verdict = Codecs.spamVerdict.decode(scored.verdict);
    expect(JSON.stringify(verdict, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).toContain('allow-list:address');
    expect(await itemsOf(next.messageId)).toHaveLength(0);

    // The same From without authentication is still quarantined: the entry is no pass for forgeries (README).
    const forged = await send(withId(SPAM, 'q-allow-3@e2e'), [`heidi@${DOMAIN}`]);
    await filed(forged.messageId, 1);
    expect(sink.messages.some(copyFor(`heidi@${DOMAIN}`, 'q-allow-3@e2e'))).toBe(false);

    // Once more on a second item from the same sender: the existing entry is fine, still one entry.
    const [again] = await itemsOf(forged.messageId);
    await api().post(`${box('heidi')}/items/${again.id}/release-and-allow`).set('Authorization', `Bearer ${admin}`).expect(202);
    await sink.waitFor(copyFor(`heidi@${DOMAIN}`, 'q-allow-3@e2e'), 30_000);
    expect((await api().get(allowList).set('Authorization', `Bearer ${admin}`).expect(200)).body).toHaveLength(1);
  });

  it('release can report the message as wrongly flagged (the released copy has a new id); the report is audited once; the audit log pages', async () => {
    const graceToken = await sign({ sub: 'user-grace', role: 'user', tid: TENANT, email: `grace@${DOMAIN}` });
    const event = await send(withId(SPAM, 'q-report-1@e2e'), [`grace@${DOMAIN}`]);
    const [item] = await filed(event.messageId, 1);
    await api().post(`${box('grace')}/items/${item.id}/release?report=not-spam`).set('Authorization', `Bearer ${graceToken}`).expect(400);
    const res = await api().post(`${box('grace')}/items/${item.id}/release?report=false-positive`).set('Authorization', `Bearer ${graceToken}`).expect(202);
    expect(res.body).toMatchObject({ submitId: `quarantine-release-${item.id}`, feedback: { messageId: event.messageId, learned: 'ham', applied: true } });
    await sink.waitFor(copyFor(`grace@${DOMAIN}`, 'q-report-1@e2e'), 30_000);
    expect(await itemsOf(event.messageId)).toHaveLength(0);

    // A second report of the same message teaches nothing and says what the first one taught.
    const again = await api().post(`${spamBase}/feedback`).set('Authorization', `Bearer ${admin}`).send({ messageId: event.messageId, kind: 'false-negative' }).expect(200);
    expect(again.body).toMatchObject({ messageId: event.messageId, learned: null, applied: false, earlier: { kind: 'false-positive', at: expect.any(String) } });

    // Audited once, as the user who reported it; the release too.
    const feedback = await api().get(`${spamBase}/audit?action=spam.feedback`).set('Authorization', `Bearer ${admin}`).expect(200);
    expect((feedback.body as AuditView[]).filter((a) => a.target === event.messageId)).toEqual([
      expect.objectContaining({ action: 'spam.feedback', actor: 'user-grace', actorRole: 'user', details: { kind: 'false-positive' } }),
    ]);

    // Pages: newest first, `before` = the last id of the previous page, no entry twice, none lost.
    const all = (await api().get(`${spamBase}/audit?limit=1000`).set('Authorization', `Bearer ${admin}`).expect(200)).body as AuditView[];
    expect(all.length).toBeGreaterThan(4);
    const paged: AuditView[] = [];
    let before: string | undefined;
    for (;;) {
      const page = (await api().get(`${spamBase}/audit`).query({ limit: 3, ...(before && { before }) }).set('Authorization', `Bearer ${admin}`).expect(200)).body as AuditView[];
      paged.push(...page);
      if (page.length < 3) break;
      before = page[page.length - 1].id;
    }
    expect(paged.map((a) => a.id)).toEqual(all.map((a) => a.id));
    expect(all.map((a) => BigInt(a.id!))).toEqual([...all.map((a) => BigInt(a.id!))].sort((x, y) => (x > y ? -1 : x < y ? 1 : 0)));
    await api().get(`${spamBase}/audit?limit=0`).set('Authorization', `Bearer ${admin}`).expect(400);
    await api().get(`${spamBase}/audit?limit=1e1`).set('Authorization', `Bearer ${admin}`).expect(400);
    await api().get(`${spamBase}/audit?before=abc`).set('Authorization', `Bearer ${admin}`).expect(400);
    const action = await api().get(`${spamBase}/audit?action=spam.nope`).set('Authorization', `Bearer ${admin}`).expect(400);
    expect(action.body.errors).toEqual([expect.objectContaining({ in: 'query', pointer: '/action' })]);
    const typo = await api().get(`${spamBase}/audit?limt=5`).set('Authorization', `Bearer ${admin}`).expect(400);
    expect(typo.body.errors).toEqual([{ in: 'query', pointer: '/limt', detail: 'unknown query parameter' }]);
    await api().get(`${spamBase}/audit`).set('Authorization', `Bearer ${graceToken}`).expect(403);
  });

  it('a message found infected: not forwarded out of the domain (409, nothing sent); within it and released, the part is replaced', async () => {
    // QA: the forward out of the domain answered 202, then delivery dropped the copy (AV3) and nobody was told.
    const [spamHead, ...rest] = SPAM.toString('latin1').split(/\r?\n\r?\n/);
    const raw = Buffer.from(
      [
        'Message-ID: <q-infected@e2e>',
        ...spamHead.split(/\r?\n/).filter((l) => !/^(Content-Type|MIME-Version):/i.test(l)),
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/html; charset=us-ascii',
        '',
        rest.join('\r\n\r\n').trim(),
        '--b1',
        'Content-Type: application/octet-stream; name="invoice.exe"',
        'Content-Disposition: attachment; filename="invoice.exe"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('pretend this is a virus').toString('base64'),
        '--b1--',
        '',
      ].join('\r\n'),
      'latin1',
    );
    const event = await bed.receive({ raw, to: [`kim@${DOMAIN}`], tenantId: TENANT, domain: DOMAIN });
    const findings = [{ part: '2', filename: 'invoice.exe', signature: 'Win.Test.Torii-E2E' }];
    const virus = create(VirusVerdictSchema, { messageId: event.messageId, tenantId: TENANT, outcome: { kind: VerdictKind.VIRUS, decidedAt: timestampNow(), failed: false }, status: VirusStatus.INFECTED, engine: 'test', findings });
    await publisher.publish(Subjects.verdictVirus, Codecs.virusVerdict, virus, { msgId: `virus:${event.messageId}` });
    const [item] = await filed(event.messageId, 1);
    await until('the infected verdict kept', async () => (await db().infectedMessage.findUnique({ where: { messageId: event.messageId } })) ?? undefined);
    const forward = (to: string) => api().post(`${box('kim')}/items/${item.id}/forward`).set('Authorization', `Bearer ${admin}`).send({ to });

    const refused = await forward('someone@outside.example').expect(409);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ status: 409, code: 'message-infected', findings });
    expect(refused.body.detail).toContain('Win.Test.Torii-E2E in invoice.exe');
    expect(await db().quarantineForward.count({ where: { itemId: item.id } })).toBe(0);
    expect(await db().auditLog.count({ where: { target: item.id, action: 'spam.quarantine.forward' } })).toBe(0);

    // Within the domain (as a release) delivery applies the original's verdict: the part becomes a notice.
    await forward(`judy@${DOMAIN}`).expect(202);
    const forwarded = (await sink.waitFor(copyFor(`judy@${DOMAIN}`, 'q-infected@e2e'), 30_000)).raw.toString('latin1');
    expect(forwarded).toContain('Resent-From:');
    expect(forwarded).not.toContain(Buffer.from('pretend this is a virus').toString('base64'));
    const notice = Buffer.from('Acme removed the attachment').toString('base64'); // 27 bytes: a whole base64 prefix
    expect(forwarded).toContain(notice);
    await api().post(`${box('kim')}/items/${item.id}/release`).set('Authorization', `Bearer ${admin}`).expect(202);
    const released = (await sink.waitFor(copyFor(`kim@${DOMAIN}`, 'q-infected@e2e'), 30_000)).raw.toString('latin1');
    expect(released).not.toContain(Buffer.from('pretend this is a virus').toString('base64'));
    expect(released).toContain(notice);
    expect(released).toMatch(/^X-Acme-Virus-Check: infected, removed: invoice\.exe/m);
  });
});

interface AuditView {
  id?: string;
  action: string;
  target?: string;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
