/**
 * End to end over the bus: MailReceived published like the edge does, spam-filter in process, delivery as a
 * child process (its built dist), against a private nats-server, real Postgres, s3rver and an SMTP sink
 * playing the tenant's server. Plus the REST API with tokens signed by a test key.
 */
import { Codecs, type MailReceived } from '@torii/contracts';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '@torii/testing';
import { simpleParser } from 'mailparser';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import request from 'supertest';
import { SPAM_FILTER_CONFIG } from '../src/config';
import { PrismaService } from '../src/db/prisma.service';
import { DeltaRepository } from '../src/model/delta.repository';
import { ModelService } from '../src/model/model.service';
import { ReportsService } from '../src/reports/reports.service';
import { MessageStoreRepository } from '../src/scoring/message-store.repository';
import { engineInput, type StoredInput } from '../src/scoring/scoring.service';
import { startDelivery, startTestbed, type Testbed } from './support/testbed';

const FIXTURES = join(dirname(require.resolve('@torii/spam-engine/package.json')), 'fixtures');
const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name));
const DOMAIN = 'spam-e2e.test';
const TENANT = '7a1f0c2e-0000-4000-8000-000000000001';

jest.setTimeout(120_000);

describe('spam-filter end to end', () => {
  let bed: Testbed;
  let sink: SmtpSink;
  let delivery: { stop: () => Promise<void> } | undefined;
  let app: Testbed['app'];
  let sign: Testbed['sign'];
  let admin: string;
  let bobToken: string;

  beforeAll(async () => {
    sink = await startSmtpSink({ tls: true });
    bed = await startTestbed({
      name: 'spam-e2e',
      directory: {
        domain: DOMAIN,
        tenantId: TENANT,
        tenantName: 'Spam E2E',
        active: true,
        services: { spam: { subscribed: true } },
        addresses: ['bob', 'carol', 'dave', 'erin'].map((localPart) => ({ localPart, kind: 1 })),
        server: { hostname: 'mail.spam-e2e.test', ips: ['127.0.0.1'], port: sink.port },
      },
    });
    ({ app, sign } = bed);
    admin = await sign({ sub: 'admin-1', role: 'admin', tid: TENANT, email: `admin@${DOMAIN}` });
    bobToken = await sign({ sub: 'user-bob', role: 'user', tid: TENANT, email: `bob@${DOMAIN}` });
    delivery = await startDelivery({ ...bed.common, VERDICT_TIMEOUT_SPAM: '30s' });
  });

  afterAll(async () => {
    await delivery?.stop();
    await bed?.close();
    await sink?.close();
  });

  const api = () => request(app.getHttpServer());
  const base = `/v1/tenants/${TENANT}/domains/${DOMAIN}/spam`;

  async function send(raw: Buffer, to: string[], auth: { spfDomain?: string; spf?: string } = {}): Promise<MailReceived> {
    const [spf, domain] = [auth.spf ?? 'pass', auth.spfDomain ?? 'sender.example'];
    return bed.receive({
      raw,
      to,
      tenantId: TENANT,
      domain: DOMAIN,
      mailFrom: `bounce@${domain}`,
      auth: { spf: { result: spf, domain }, authenticationResultsHeader: `gw.torii.test; spf=${spf} smtp.mailfrom=${domain}` },
    });
  }

  /** The copy of message `marker` (a unique Subject/Message-ID part) delivered to `rcpt`. */
  const copyFor = (rcpt: string, marker: string) => (m: SinkMessage) => m.envelope.rcptTo.includes(rcpt) && m.raw.toString('latin1').includes(marker);
  afterEach(() => {
    if (process.env.E2E_LOGS) for (const m of sink.messages) process.stderr.write(`SINK ${m.envelope.rcptTo.join(',')} ${/^Message-ID:.*$/im.exec(m.raw.toString('latin1'))?.[0]}\n`);
  });
  const header = (m: SinkMessage, name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(m.raw.toString('latin1'))?.[1];
  /** The fixture with a Message-ID of our own (the marker that finds its copies in the sink). */
  async function scoredOf(messageId: string) {
    const row = await app.get(PrismaService).scoredMessage.findUnique({ where: { messageId } });
    if (!row) throw new Error(`message ${messageId} was not scored`);
    return { scorePercent: row.scorePercent, verdict: Codecs.spamVerdict.decode(row.verdict) };
  }
  const withId = (raw: Buffer, id: string) => Buffer.from(`Message-ID: <${id}>\r\n` + raw.toString('latin1').replace(/^Message-ID:.*\r?\n/im, ''), 'latin1');

  it('refuses list edits outside the caller\'s own block list, and the 301st entry', async () => {
    // Settings: carol quarantines, dave delivers unchanged, erin tags with [MEIWAKU!!]; domain tags [SPAM!!].
    await api().put(`${base}/policy`).set('Authorization', `Bearer ${admin}`).send({ threshold: '90', action: 'tag', tag: '[SPAM!!]', priority: 'address-first' }).expect(200);
    await api().put(`${base}/addresses/carol@${DOMAIN}/policy`).set('Authorization', `Bearer ${admin}`).send({ action: 'quarantine' }).expect(200);
    await api().put(`${base}/addresses/dave@${DOMAIN}/policy`).set('Authorization', `Bearer ${admin}`).send({ action: 'deliver' }).expect(200);
    const erin = await api().put(`${base}/addresses/erin@${DOMAIN}/policy`).set('Authorization', `Bearer ${admin}`).send({ tag: '[MEIWAKU!!]' }).expect(200);
    expect(erin.body.effective).toMatchObject({ action: 'tag', tag: '[MEIWAKU!!]', scope: 'address' });

    // A user edits their own block list only.
    await api().post(`${base}/addresses/bob@${DOMAIN}/lists/block`).set('Authorization', `Bearer ${bobToken}`).send({ field: 'subject', match: 'contains', value: 'ブロック対象' }).expect(201);
    await api().post(`${base}/addresses/carol@${DOMAIN}/lists/block`).set('Authorization', `Bearer ${bobToken}`).send({ field: 'subject', value: 'x' }).expect(404);
    await api().post(`${base}/addresses/bob@${DOMAIN}/lists/allow`).set('Authorization', `Bearer ${bobToken}`).send({ field: 'subject', value: 'x' }).expect(403);
    await api().post(`${base}/lists/block`).set('Authorization', `Bearer ${bobToken}`).send({ field: 'subject', value: 'x' }).expect(403);
    await api().put(`${base}/addresses/bob@${DOMAIN}/policy`).set('Authorization', `Bearer ${bobToken}`).send({ action: 'deliver' }).expect(403);
    await api().get(`${base}/policy`).set('Authorization', `Bearer ${await sign({ sub: 'x', role: 'admin', tid: 'other-tenant' })}`).expect(404);

    // The domain's allow list: an authenticated partner domain.
    await api().post(`${base}/lists/allow`).set('Authorization', `Bearer ${admin}`).send({ field: 'from-domain', match: 'exact', value: 'cheap-meds-online.example' }).expect(201);

    // 300 address entries fill erin's block list; the 301st is refused, a domain entry still fits.
    const db = app.get(PrismaService);
    await db.listEntry.createMany({
      data: Array.from({ length: 300 }, (_, i) => ({ tenantId: TENANT, domain: DOMAIN, address: `erin@${DOMAIN}`, list: 'block', field: 'from-address', match: 'exact', value: `s${i}@spam.example`, createdBy: 'seed' })),
    });
    const refused = await api().post(`${base}/addresses/erin@${DOMAIN}/lists/block`).set('Authorization', `Bearer ${admin}`).send({ field: 'from-address', match: 'exact', value: 'one-more@spam.example' }).expect(409);
    expect(refused.body).toMatchObject({ code: 'list-limit-reached', limit: 300 });
    await api().post(`${base}/addresses/erin@${DOMAIN}/lists/block`).set('Authorization', `Bearer ${admin}`).send({ field: 'from-domain', match: 'exact', value: 'spam.example' }).expect(201);

    const audit = await api().get(`${base}/audit`).set('Authorization', `Bearer ${admin}`).expect(200);
    expect(audit.body.map((a: { action: string }) => a.action)).toEqual(expect.arrayContaining(['spam.domain-policy.set', 'spam.block-list.add', 'spam.allow-list.add']));
  });

  it('tags, quarantines or delivers spam per recipient; an allow-listed sender passes only when authenticated', async () => {
    const spam = withId(fixture('spam-en.eml'), 'spam-1@e2e');
    // Not authenticated (SPF for another domain): the allow entry does not count.
    const event = await send(spam, [`bob@${DOMAIN}`, `carol@${DOMAIN}`, `dave@${DOMAIN}`, `erin@${DOMAIN}`], { spfDomain: 'elsewhere.example' });
    const bob = await sink.waitFor(copyFor(`bob@${DOMAIN}`, 'spam-1@e2e'), 30_000);
    const dave = await sink.waitFor(copyFor(`dave@${DOMAIN}`, 'spam-1@e2e'), 30_000);
    const erin = await sink.waitFor(copyFor(`erin@${DOMAIN}`, 'spam-1@e2e'), 30_000);
    expect(header(bob, 'X-Acme-Spam-Check')).toBe('100.00%');
    expect(header(bob, 'X-Acme-Spam-Reasons')).toBeTruthy();
    expect((await simpleParser(bob.raw)).subject).toBe('[SPAM!!] FREE VIAGRA!!! LIMITED TIME OFFER - ACT NOW');
    expect((await simpleParser(erin.raw)).subject).toBe('[MEIWAKU!!] FREE VIAGRA!!! LIMITED TIME OFFER - ACT NOW');
    expect((await simpleParser(dave.raw)).subject).toBe('FREE VIAGRA!!! LIMITED TIME OFFER - ACT NOW');
    expect(header(dave, 'X-Acme-Spam-Check')).toBe('100.00%');
    // Authentication results are stamped above our edits.
    const raw = bob.raw.toString('latin1');
    expect(raw.indexOf('Authentication-Results:')).toBeGreaterThanOrEqual(0);
    expect(raw.indexOf('Authentication-Results:')).toBeLessThan(raw.indexOf('X-Acme-Spam-Check:'));
    // carol's copy was quarantined, not delivered; the reason names the allow entry that did not count.
    const { verdict } = await scoredOf(event.messageId);
    expect(verdict.recipients.find((r) => r.recipient === `carol@${DOMAIN}`)?.reason).toMatch(
      /^threshold:address:90%:quarantine; allow-list:domain:from-domain exact "cheap-meds-online\.example" \([0-9a-f-]+\) skipped: From not authenticated$/,
    );
    expect(sink.messages.some(copyFor(`carol@${DOMAIN}`, 'spam-1@e2e'))).toBe(false);

    // The same sender, now SPF-aligned with its From domain: the domain allow list delivers it untagged.
    const allowed = withId(fixture('spam-en.eml'), 'spam-2@e2e');
    await send(allowed, [`bob@${DOMAIN}`, `carol@${DOMAIN}`], { spfDomain: 'cheap-meds-online.example' });
    const bob2 = await sink.waitFor(copyFor(`bob@${DOMAIN}`, 'spam-2@e2e'), 30_000);
    const carol2 = await sink.waitFor(copyFor(`carol@${DOMAIN}`, 'spam-2@e2e'), 30_000);
    expect((await simpleParser(bob2.raw)).subject).toBe('FREE VIAGRA!!! LIMITED TIME OFFER - ACT NOW');
    expect(carol2).toBeDefined();
  });

  it('tags an ISO-2022-JP subject so that it stays valid, and a blocked message vanishes', async () => {
    // The spam body under a Japanese subject: 「ブロック対象の件」 matches bob's block list, dave gets it tagged.
    const subject = '=?ISO-2022-JP?B?GyRCJVYlbSVDJS9CUD5dJE43bxsoQg==?=';
    const raw = withId(Buffer.from(fixture('spam-en.eml').toString('latin1').replace(/^Subject:.*$/im, `Subject: ${subject}`), 'latin1'), 'ja-1@e2e');
    const event = await send(raw, [`bob@${DOMAIN}`, `erin@${DOMAIN}`], { spfDomain: 'elsewhere.example' });
    const erin = await sink.waitFor(copyFor(`erin@${DOMAIN}`, 'ja-1@e2e'), 30_000);
    expect(header(erin, 'Subject')).toContain('=?ISO-2022-JP?B?');
    expect((await simpleParser(erin.raw)).subject).toBe('[MEIWAKU!!] ブロック対象の件');
    const bob = (await scoredOf(event.messageId)).verdict.recipients.find((r) => r.recipient === `bob@${DOMAIN}`);
    expect(bob?.reason).toMatch(/^block-list:address:subject contains "ブロック対象"/);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(sink.messages.some(copyFor(`bob@${DOMAIN}`, 'ja-1@e2e'))).toBe(false);
  });

  it('scores English and Japanese fixtures through the service', async () => {
    const cases: [string, string, (p: number) => boolean][] = [
      ['ham-en.eml', 'fx-ham-en', (p) => p < 50],
      ['spam-en.eml', 'fx-spam-en', (p) => p >= 90],
      ['spam-ja-sjis.eml', 'fx-spam-ja', (p) => p >= 90],
      ['ham-ja-iso2022jp.eml', 'fx-ham-ja', (p) => p < 90],
    ];
    const events = await Promise.all(cases.map(([name, id]) => send(withId(fixture(name), `${id}@e2e`), [`dave@${DOMAIN}`])));
    await sink.waitFor(copyFor(`dave@${DOMAIN}`, 'fx-ham-ja@e2e'), 30_000);
    for (const [i, [name, , ok]] of cases.entries()) {
      const scored = await scoredOf(events[i].messageId);
      expect([name, ok(scored.scorePercent)]).toEqual([name, true]);
    }
  });

  it('learns from feedback once per message, and reports counters as CSV', async () => {
    const [first] = await app.get(PrismaService).scoredMessage.findMany({ where: { domain: DOMAIN }, orderBy: { scoredAt: 'asc' }, take: 1 });
    const report = await api().post(`${base}/feedback`).set('Authorization', `Bearer ${admin}`).send({ messageId: first.messageId, kind: 'false-positive' }).expect(200);
    expect(report.body).toMatchObject({ learned: 'ham', applied: true, scoreBefore: expect.stringMatching(/^\d+\.\d\d%$/), scoreAfter: expect.stringMatching(/^\d+\.\d\d%$/) });
    // A false positive never moves the score up (this message scores 100.00%, which one report does not undo).
    expect(parseFloat(report.body.scoreAfter)).toBeLessThanOrEqual(parseFloat(report.body.scoreBefore));
    const again = await api().post(`${base}/feedback`).set('Authorization', `Bearer ${admin}`).send({ messageId: first.messageId, kind: 'false-positive' }).expect(200);
    expect(again.body).toMatchObject({ applied: false, learned: null, scoreBefore: report.body.scoreAfter, scoreAfter: report.body.scoreAfter });
    await api().post(`${base}/feedback`).set('Authorization', `Bearer ${admin}`).send({ messageId: 'NOPE', kind: 'false-negative' }).expect(404);

    const tomorrow = new Date(Date.now() + 86_400_000);
    const period = tomorrow.getUTCDate() === 1 ? 'previous-month' : 'current-month';
    const { csv } = await app.get(ReportsService).domainCsv(TENANT, DOMAIN, period, true, tomorrow);
    const total = csv.trimEnd().split('\r\n').find((l) => new RegExp(`^\\d{4}-\\d{2},${DOMAIN.replace('.', '\\.')},`).test(l));
    // received, spam, tagged, quarantined, deleted by block list, delivered by allow list (recipient copies)
    const [received, spam, tagged, quarantined, deleted, allowed] = (total ?? '').split(',').slice(2).map(Number);
    expect({ received, deleted, allowed }).toEqual({ received: 4 + 2 + 2 + 4, deleted: 1, allowed: 2 });
    expect(spam).toBeGreaterThanOrEqual(8);
    expect(tagged).toBeGreaterThanOrEqual(3);
    expect(quarantined).toBe(1);
    await api().get(`${base}/reports.csv?period=previous-month`).set('Authorization', `Bearer ${admin}`).expect(200).expect('Content-Type', /text\/csv/);
    await api().get(`${base}/addresses/carol@${DOMAIN}/reports.csv`).set('Authorization', `Bearer ${bobToken}`).expect(404);
  });

  it('keeps every report when two replicas learn for one tenant (neither overwrites the other)', async () => {
    const db = app.get(PrismaService);
    const stored = async () => {
      const row = await db.tenantDelta.findUnique({ where: { tenantId: TENANT } });
      return { reports: row?.reports ?? 0, updates: (row?.delta as { updates?: number } | null)?.updates ?? 0 };
    };
    // A second replica, started now: it holds the deltas as they are before the two reports below.
    const other = new ModelService(app.get(SPAM_FILTER_CONFIG), app.get(DeltaRepository));
    await other.onModuleInit();
    try {
      const before = await stored();
      const [, second, third] = await db.scoredMessage.findMany({ where: { domain: DOMAIN }, orderBy: { scoredAt: 'asc' }, take: 3 });
      // Replica one (the app) takes a report through the API; replica two learns from another message after it.
      await api().post(`${base}/feedback`).set('Authorization', `Bearer ${admin}`).send({ messageId: second.messageId, kind: 'false-negative' }).expect(200);
      const record = await db.scoredMessage.findUniqueOrThrow({ where: { messageId: third.messageId } });
      const raw = await app.get(MessageStoreRepository).readHead(record.objectKey, 1 << 20);
      await other.learn(TENANT, engineInput(raw, record.input as unknown as StoredInput).input, 'spam');
      // Both steps are in the stored delta, and the report counter agrees with it.
      expect(await stored()).toEqual({ reports: before.reports + 2, updates: before.updates + 2 });
    } finally {
      other.onApplicationShutdown();
    }
  });

  it('lists cannot be walked around: look-alike domains, a second From, quoted and IDN forms, raw Japanese subjects; values are validated', async () => {
    const asAdmin = { Authorization: `Bearer ${admin}` };
    // Values that are not an address or a domain: 400, naming the field.
    const noAt = await api().post(`${base}/lists/block`).set(asAdmin).send({ field: 'from-address', value: 'no-at-sign' }).expect(400);
    expect(noAt.body.errors).toEqual([expect.objectContaining({ in: 'body', pointer: '/value' })]);
    const notDomain = await api().post(`${base}/lists/block`).set(asAdmin).send({ field: 'from-domain', value: 'not a domain !!' }).expect(400);
    expect(notDomain.body.errors).toEqual([expect.objectContaining({ in: 'body', pointer: '/value' })]);

    await api().post(`${base}/lists/allow`).set(asAdmin).send({ field: 'from-domain', value: 'partner.example' }).expect(201); // contains
    await api().post(`${base}/lists/block`).set(asAdmin).send({ field: 'from-address', match: 'exact', value: 'spam@evil.example' }).expect(201);
    const idn = await api().post(`${base}/lists/block`).set(asAdmin).send({ field: 'from-domain', match: 'exact', value: '例え.jp' }).expect(201);
    expect(idn.body.value).toBe('例え.jp'); // stored as typed
    await api().post(`${base}/lists/block`).set(asAdmin).send({ field: 'subject', value: '迷惑テスト' }).expect(201);

    // The spam fixture with another From (and Subject bytes, and text charset), to carol (quarantines) and dave (delivers).
    const variant = (id: string, from: string, subject?: Buffer, charset = 'us-ascii') => {
      let text = fixture('spam-en.eml').toString('latin1').replace(/^From:.*$/im, `From: ${from}`).replace('charset=us-ascii', `charset=${charset}`);
      if (subject) text = text.replace(/^Subject:.*$/im, `Subject: ${subject.toString('latin1')}`);
      return withId(Buffer.from(text, 'latin1'), id);
    };
    // 「迷惑テストのお知らせ」 as raw 8-bit bytes.
    const sjis = Buffer.from('96c0986683658358836782cc82a8926d82e782b9', 'hex');
    const eucjp = Buffer.from('ccc2cfc7a5c6a5b9a5c8a4cea4aac3cea4e9a4bb', 'hex');
    const cases: [string, Buffer, string, RegExp][] = [
      ['look-1', variant('look-1@e2e', 'Sales <sales@evilpartner.example>'), 'evilpartner.example', /^threshold:address:90%:quarantine$/],
      ['look-2', variant('look-2@e2e', 'x@partner.example.spam-host.example'), 'partner.example.spam-host.example', /^threshold:address:90%:quarantine$/],
      ['sub-1', variant('sub-1@e2e', 'News <news@mail.partner.example>'), 'mail.partner.example', /^allow-list:domain:from-domain contains "partner\.example"/],
      [
        'two-1',
        variant('two-1@e2e', 'news@mail.partner.example, x@other.example'),
        'mail.partner.example',
        /^threshold:address:90%:quarantine; allow-list:domain:from-domain contains "partner\.example" \(.+\) skipped: several From addresses$/,
      ],
      ['two-2', variant('two-2@e2e', 'good@good.example, spam@evil.example'), 'good.example', /^block-list:domain:from-address exact "spam@evil\.example"/],
      ['quoted-1', variant('quoted-1@e2e', '<"spam"@evil.example>'), 'evil.example', /^block-list:domain:from-address exact "spam@evil\.example"/],
      ['idn-1', variant('idn-1@e2e', 'a@xn--r8jz45g.jp'), 'xn--r8jz45g.jp', /^block-list:domain:from-domain exact "例え\.jp"/],
      ['sjis-1', variant('sjis-1@e2e', 'a@sender.example', sjis, 'Shift_JIS'), 'sender.example', /^block-list:domain:subject contains "迷惑テスト"/],
      ['euc-1', variant('euc-1@e2e', 'a@sender.example', eucjp), 'sender.example', /^block-list:domain:subject contains "迷惑テスト"/],
    ];
    // Each From is authenticated for its own domain (SPF pass, aligned).
    const events = await Promise.all(cases.map(([, raw, spfDomain]) => send(raw, [`carol@${DOMAIN}`, `dave@${DOMAIN}`], { spfDomain })));
    const db = app.get(PrismaService);
    for (const [i, [id, , , reason]] of cases.entries()) {
      let row = await db.scoredMessage.findUnique({ where: { messageId: events[i].messageId } });
      for (let tries = 0; !row && tries < 300; tries++) {
        await new Promise((r) => setTimeout(r, 100));
        row = await db.scoredMessage.findUnique({ where: { messageId: events[i].messageId } });
      }
      const carol = row && Codecs.spamVerdict.decode(row.verdict).recipients.find((r) => r.recipient === `carol@${DOMAIN}`);
      expect([id, carol?.reason]).toEqual([id, expect.stringMatching(reason)]);
    }
    // The allowed subdomain reaches carol untouched; blocked messages reach nobody.
    const allowed = await sink.waitFor(copyFor(`carol@${DOMAIN}`, 'sub-1@e2e'), 30_000);
    expect((await simpleParser(allowed.raw)).subject).toBe('FREE VIAGRA!!! LIMITED TIME OFFER - ACT NOW');
    await sink.waitFor(copyFor(`dave@${DOMAIN}`, 'look-1@e2e'), 30_000);
    await new Promise((r) => setTimeout(r, 1_000));
    for (const id of ['two-2', 'quoted-1', 'idn-1', 'sjis-1', 'euc-1']) expect([id, sink.messages.some(copyFor(`dave@${DOMAIN}`, `${id}@e2e`))]).toEqual([id, false]);
    expect(sink.messages.some(copyFor(`carol@${DOMAIN}`, 'look-1@e2e'))).toBe(false);
  });

  it('explains a verdict through the API: score, evidence with descriptions, rules, each recipient\'s action; a user sees only their own', async () => {
    // The first message to carol: spam-1 of the test before (bob tagged, carol quarantined, dave delivered).
    const spam1 = await app.get(PrismaService).scoredMessage.findFirst({ where: { recipients: { has: `carol@${DOMAIN}` } }, orderBy: { scoredAt: 'asc' } });
    expect(spam1).not.toBeNull();
    const id = spam1!.messageId;
    const seen = await api().get(`${base}/messages/${id}`).set('Authorization', `Bearer ${admin}`).expect(200);
    expect(seen.body).toMatchObject({ messageId: id, domain: DOMAIN, score: '100.00%', scorePercent: 100 });
    expect(seen.body.modelVersion).toMatch(/^sa-/);
    expect(seen.body.explanation).toBe((await scoredOf(id)).verdict.explanation);
    expect(seen.body.reasons.spam.length).toBeGreaterThan(0);
    for (const r of [...seen.body.reasons.spam, ...seen.body.reasons.ham]) {
      expect(r).toEqual({ feature: expect.any(String), kind: expect.stringMatching(/^(token|rule|fixed)$/), logOdds: expect.any(Number), description: expect.any(String) });
    }
    expect(seen.body.reasons.spam[0].logOdds).toBeGreaterThan(0);
    // The evidence adds up: the shown reasons plus the rest (the model's starting point, weaker evidence) are the
    // log-odds behind the score.
    const { balance } = seen.body as { balance: { logOdds: number; shown: number; rest: number } };
    const shown = [...seen.body.reasons.spam, ...seen.body.reasons.ham].reduce((sum: number, r: { logOdds: number }) => sum + r.logOdds, 0);
    expect(balance.shown).toBeCloseTo(shown, 2);
    expect(balance.shown + balance.rest).toBeCloseTo(balance.logOdds, 2);
    expect(balance.logOdds).toBeGreaterThan(Math.log(0.99995 / 0.00005)); // shown as 100.00%
    expect(seen.body.rules).toEqual(expect.any(Array));
    expect(seen.body.recipients).toEqual(
      expect.arrayContaining([
        { address: `bob@${DOMAIN}`, action: 'tag', subjectTag: '[SPAM!!]', reason: expect.stringMatching(/^threshold:/) },
        { address: `carol@${DOMAIN}`, action: 'quarantine', subjectTag: null, reason: expect.stringMatching(/^threshold:address:90%:quarantine; allow-list:.* skipped: From not authenticated$/) },
        { address: `dave@${DOMAIN}`, action: 'deliver', subjectTag: null, reason: expect.any(String) },
      ]),
    );
    // bob sees the message, but only his own decision; carol's token would see only hers.
    const asBob = await api().get(`${base}/messages/${id}`).set('Authorization', `Bearer ${bobToken}`).expect(200);
    expect(asBob.body.recipients.map((r: { address: string }) => r.address)).toEqual([`bob@${DOMAIN}`]);
    // Not addressed to the user, another tenant, another domain, an unknown id: not found.
    const other = await app.get(PrismaService).scoredMessage.findFirst({ where: { recipients: { equals: [`dave@${DOMAIN}`] } } });
    expect(other).not.toBeNull();
    await api().get(`${base}/messages/${other!.messageId}`).set('Authorization', `Bearer ${bobToken}`).expect(404);
    await api().get(`${base}/messages/${other!.messageId}`).set('Authorization', `Bearer ${admin}`).expect(200);
    await api().get(`${base}/messages/${id}`).set('Authorization', `Bearer ${await sign({ sub: 'x', role: 'admin', tid: 'other-tenant' })}`).expect(404);
    await api().get(`/v1/tenants/${TENANT}/domains/elsewhere.example/spam/messages/${id}`).set('Authorization', `Bearer ${admin}`).expect(404);
    await api().get(`${base}/messages/NOPE`).set('Authorization', `Bearer ${admin}`).expect(404);
  });

  it('is ready when its database, NATS and object store answer, and counts what it judged in /metrics', async () => {
    const ready = await api().get('/readyz').expect(200);
    expect(ready.body.checks).toEqual({ database: { status: 'ok' }, nats: { status: 'ok' }, storage: { status: 'ok' } });
    const metrics = (await api().get('/metrics').expect(200)).text;
    const value = (line: RegExp) => Number(metrics.match(line)?.[1] ?? NaN);
    const scored = value(/^torii_spam_messages_total\{[^}]*result="scored"[^}]*\} (\d+)/m);
    expect(scored).toBe(await app.get(PrismaService).scoredMessage.count({ where: { domain: DOMAIN } }));
    expect(value(/^torii_spam_recipient_actions_total\{[^}]*action="delete"[^}]*\} (\d+)/m)).toBeGreaterThanOrEqual(1);
    expect(value(/^torii_spam_feedback_total\{[^}]*kind="false-positive"[^}]*applied="true"[^}]*\} (\d+)/m)).toBe(1);
    expect(value(/^torii_spam_model_info\{[^}]*version="[^"]+"[^}]*\} (\d+)/m)).toBe(1);
    expect(value(/^torii_spam_score_seconds_count (\d+)/m)).toBeGreaterThanOrEqual(scored);
  });

  it('puts a domain back on the defaults with DELETE …/policy (audited; address overrides stay)', async () => {
    const settings = { threshold: '90', action: 'tag', tag: '[SPAM!!]', priority: 'address-first' };
    await api().put(`${base}/policy`).set('Authorization', `Bearer ${admin}`).send(settings).expect(200);
    await api().put(`${base}/addresses/carol@${DOMAIN}/policy`).set('Authorization', `Bearer ${admin}`).send({ action: 'quarantine' }).expect(200);
    expect((await api().get(`${base}/policy`).set('Authorization', `Bearer ${admin}`).expect(200)).body.isDefault).toBe(false);
    await api().delete(`${base}/policy`).set('Authorization', `Bearer ${bobToken}`).expect(403);
    const reset = await api().delete(`${base}/policy`).set('Authorization', `Bearer ${admin}`).expect(200);
    expect(reset.body).toMatchObject({ domain: DOMAIN, isDefault: true });
    expect((await api().get(`${base}/policy`).set('Authorization', `Bearer ${admin}`).expect(200)).body).toEqual(reset.body);
    await api().delete(`${base}/policy`).set('Authorization', `Bearer ${admin}`).expect(200); // nothing left to remove: the same answer
    const audit = (await api().get(`${base}/audit?action=spam.domain-policy.reset`).set('Authorization', `Bearer ${admin}`).expect(200)).body as { details: unknown }[];
    expect(audit).toHaveLength(1);
    expect(audit[0].details).toEqual({ dropped: settings }); // what the domain had before
    expect((await api().get(`${base}/addresses/carol@${DOMAIN}/policy`).set('Authorization', `Bearer ${admin}`).expect(200)).body.overrides).toMatchObject({ action: 'quarantine' });
    await api().put(`${base}/policy`).set('Authorization', `Bearer ${admin}`).send(settings).expect(200);
  });

  it("says an address's allow entry is inactive while the domain's rules come first (SPAM9), and active again after", async () => {
    const asAdmin = { Authorization: `Bearer ${admin}` };
    const settings = { threshold: '90', action: 'tag', tag: '[SPAM!!]', priority: 'domain-first' };
    await api().put(`${base}/policy`).set(asAdmin).send(settings).expect(200);
    const added = await api().post(`${base}/addresses/dave@${DOMAIN}/lists/allow`).set(asAdmin).send({ field: 'from-address', match: 'exact', value: 'friend@partner.example' }).expect(201);
    expect(added.body).toMatchObject({ list: 'allow', active: false });
    expect((await api().get(`${base}/addresses/dave@${DOMAIN}/lists/allow`).set(asAdmin).expect(200)).body).toEqual([expect.objectContaining({ id: added.body.id, active: false })]);
    // Block lists, and the domain's own lists, always count.
    expect((await api().get(`${base}/addresses/dave@${DOMAIN}/lists/block`).set(asAdmin).expect(200)).body.every((e: { active: boolean }) => e.active)).toBe(true);
    expect((await api().get(`${base}/lists/allow`).set(asAdmin).expect(200)).body.every((e: { active: boolean }) => e.active)).toBe(true);
    await api().put(`${base}/policy`).set(asAdmin).send({ ...settings, priority: 'address-first' }).expect(200);
    expect((await api().get(`${base}/addresses/dave@${DOMAIN}/lists/allow`).set(asAdmin).expect(200)).body).toEqual([expect.objectContaining({ id: added.body.id, active: true })]);
    await api().delete(`${base}/addresses/dave@${DOMAIN}/lists/allow/${added.body.id}`).set(asAdmin).expect(204);
  });
});
