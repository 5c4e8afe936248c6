/**
 * The security review's findings on the quarantine box (session 7: F1, F2, F3, F9), against real Postgres, NATS
 * and s3rver: spam-filter in process (testbed), no delivery (what leaves is read from the outbox and the store).
 */
import { Codecs, DeliveryState, DeliveryStatusSchema, Direction, create } from '@torii/contracts';
import { createTestSchema, type TestSchema } from '@torii/db';
import { simpleParser } from 'mailparser';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import request from 'supertest';
import { PrismaService } from '../src/db/prisma.service';
import { QuarantineRepository } from '../src/quarantine/quarantine.repository';
import { QuarantineService } from '../src/quarantine/quarantine.service';
import { startTestbed, until, type Testbed } from './support/testbed';

const FIXTURES = join(dirname(require.resolve('@torii/spam-engine/package.json')), 'fixtures');
const SPAM = readFileSync(join(FIXTURES, 'spam-en.eml'));
const DOMAIN = 'quarantine-sec.test';
const TENANT = '7a1f0c2e-0000-4000-8000-0000000005e7';
const OTHER_TENANT = '7a1f0c2e-0000-4000-8000-0000000005e8';

jest.setTimeout(120_000);

const readAll = async (stream: Readable): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

describe('quarantine box: security review findings', () => {
  let bed: Testbed;
  const api = () => request(bed.app.getHttpServer());
  const box = (who: string) => `/v1/tenants/${TENANT}/domains/${DOMAIN}/spam/quarantine/addresses/${who}@${DOMAIN}`;
  const token = (who: string, role = 'user') => bed.sign({ sub: `user-${who}`, role, tid: TENANT, email: `${who}@${DOMAIN}` });

  beforeAll(async () => {
    bed = await startTestbed({
      name: 'quarantine-sec',
      directory: {
        domain: DOMAIN,
        tenantId: TENANT,
        tenantName: 'Quarantine security',
        active: true,
        planAddresses: 10,
        services: { spam: { subscribed: true } },
        addresses: ['bob', 'carol', 'dave', 'erin'].map((localPart) => ({ localPart, kind: 1 })),
        spamPolicy: { settings: { quarantineCapacityBytes: String(50 * 1024 * 1024) } },
      },
      config: {
        GATEWAY_HOSTNAME: 'gw.torii.test',
        QUARANTINE_PUBLIC_URL: 'http://quarantine.torii.test',
        QUARANTINE_LINK_SECRET: 'a-test-secret-of-enough-length-0123456789',
        QUARANTINE_JOB_INTERVAL: '0',
        QUARANTINE_FORWARD_USER_LIMIT: '3',
        QUARANTINE_FORWARD_TENANT_LIMIT: '5',
        QUARANTINE_FORWARD_WINDOW: '1h',
      },
    });
  });
  afterAll(async () => bed?.close());

  /** A message scored and filed in `who`'s box, as delivery's quarantined report files it. */
  async function file(raw: Buffer, who: string) {
    const event = await bed.receive({ raw, to: [`${who}@${DOMAIN}`], tenantId: TENANT, domain: DOMAIN });
    await until('scored', async () => bed.db().scoredMessage.findUnique({ where: { messageId: event.messageId } }));
    await bed.app.get(QuarantineService).onQuarantined(
      create(DeliveryStatusSchema, { messageId: event.messageId, tenantId: TENANT, recipient: `${who}@${DOMAIN}`, status: DeliveryState.QUARANTINED, direction: Direction.INBOUND }),
    );
    return until('filed', async () => bed.db().quarantineItem.findFirst({ where: { messageId: event.messageId } }));
  }

  const forwardsOf = async (itemId: string) => {
    const rows = await bed.db().quarantineForward.findMany({ where: { itemId }, orderBy: { at: 'asc' } });
    return Promise.all(rows.map(async (r) => Codecs.mailSubmit.decode((await bed.db().quarantineOutbox.findUniqueOrThrow({ where: { submitId: r.submitId } })).payload)));
  };

  it('F1: forwards are limited per user and per tenant (429, Retry-After, a problem); a repeat sends nothing; audited', async () => {
    const item = await file(SPAM, 'bob');
    const bob = await token('bob');
    const forward = (to: string, who = bob, path = box('bob')) => api().post(`${path}/items/${item.id}/forward`).set('Authorization', `Bearer ${who}`).send({ to });

    const first = await forward('victim0@outside.example').expect(202);
    await forward('victim1@outside.example').expect(202);
    await forward('victim2@outside.example').expect(202);
    // The user's fourth in the hour: refused, with when to try again (the oldest of the three leaves in ~1 h).
    const limited = await forward('victim3@outside.example').expect(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.body).toMatchObject({ status: 429, code: 'forward-limit', scope: 'user', limit: 3, windowSeconds: 3600 });
    expect(limited.body.detail).toMatch(/forwarded 3 quarantined messages in the last 60 minutes/);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(3500);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(limited.body.retryAfterSeconds).toBe(retryAfter);

    // The same item to the same address again: the first forward's id, nothing new sent (also at the limit).
    const again = await forward('VICTIM0@outside.example').expect(202);
    expect(again.body).toEqual({ submitId: first.body.submitId, repeated: true });
    const sent = await forwardsOf(item.id);
    expect(sent.map((s) => s.envelope?.rcptTo[0].address)).toEqual(['victim0@outside.example', 'victim1@outside.example', 'victim2@outside.example']);

    // The admin forwards from bob's box twice (admin's own count), then the tenant's 5 in the hour are used up:
    // another user is refused for the tenant.
    const admin = await bed.sign({ sub: 'admin-1', role: 'admin', tid: TENANT, email: `admin@${DOMAIN}` });
    await forward('x1@outside.example', admin).expect(202);
    await forward('x2@outside.example', admin).expect(202);
    const carolItem = await file(SPAM, 'carol');
    const carol = await token('carol');
    const tenantLimited = await api().post(`${box('carol')}/items/${carolItem.id}/forward`).set('Authorization', `Bearer ${carol}`).send({ to: 'y@outside.example' }).expect(429);
    expect(tenantLimited.body).toMatchObject({ code: 'forward-limit', scope: 'tenant', limit: 5 });
    expect(Number(tenantLimited.headers['retry-after'])).toBeGreaterThan(3500);
    expect(await bed.db().quarantineOutbox.count({ where: { submitId: { startsWith: 'quarantine-forward-' } } })).toBe(5);

    // Each forward sent is audited once with its target; refusals and the repeat are not forwards.
    const audit = await bed.db().auditLog.findMany({ where: { action: 'spam.quarantine.forward', target: item.id } });
    expect(audit).toHaveLength(5);

    // A window later the places are free again (the rows are dated; moved back an hour here).
    await bed.db().quarantineForward.updateMany({ data: { at: new Date(Date.now() - 3_601_000) } });
    await forward('victim3@outside.example').expect(202);
    // ... and the earlier forward to victim0 is no longer a repeat: a new copy.
    const later = await forward('victim0@outside.example').expect(202);
    expect(later.body.submitId).not.toBe(first.body.submitId);
    expect(later.body.repeated).toBeUndefined();
  });

  it('F1/F2: the copy carries a resent block naming the forwarder; its id is random, not the item id', async () => {
    const item = await file(SPAM, 'dave');
    const dave = await token('dave');
    const res = await api().post(`${box('dave')}/items/${item.id}/forward`).set('Authorization', `Bearer ${dave}`).send({ to: 'friend@outside.example' }).expect(202);
    const submitId: string = res.body.submitId;
    expect(submitId).toMatch(/^quarantine-forward-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(submitId).not.toContain(item.id);
    const outbox = await bed.db().quarantineOutbox.findUniqueOrThrow({ where: { submitId } });
    const submit = Codecs.mailSubmit.decode(outbox.payload);
    expect(submit).toMatchObject({ submitId, purpose: 'quarantine-forward', direction: Direction.OUTBOUND, bypass: ['spam', 'audit'], relatedMessageId: item.messageId });
    expect(submit.envelope?.mailFrom).toBe('');
    const copy = await readAll(await bed.store.get(submit.objectKey));
    const text = copy.toString('latin1');
    const top = text.split('\r\n').slice(0, 4);
    expect(top[0]).toMatch(/^Resent-Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    expect(top.slice(1)).toEqual([`Resent-From: dave@${DOMAIN}`, 'Resent-To: friend@outside.example', `Resent-Message-ID: <${submitId}@gw.torii.test>`]);
    // Below the block, the box's bytes unchanged; nowhere the item's id.
    const original = await readAll(await bed.store.get(item.objectKey));
    expect(copy.subarray(copy.length - original.length).equals(original)).toBe(true);
    expect(text).not.toContain(item.id);
    const parsed = await simpleParser(copy);
    expect(parsed.headers.get('resent-from')).toBeDefined();
    expect(parsed.subject).toBe((await simpleParser(original)).subject);

    // An API key has no address: a named postmaster of the gateway stands in.
    const keyPrincipal = { subject: 'key-7', role: 'admin' as const, tenantId: TENANT, via: 'api-key' as const };
    const { submitId: keyed } = await bed.app.get(QuarantineService).forward(TENANT, DOMAIN, `dave@${DOMAIN}`, item.id, 'other@outside.example', keyPrincipal);
    const keyedSubmit = Codecs.mailSubmit.decode((await bed.db().quarantineOutbox.findUniqueOrThrow({ where: { submitId: keyed } })).payload);
    const keyedText = (await readAll(await bed.store.get(keyedSubmit.objectKey))).toString('latin1');
    expect(keyedText.split('\r\n')[1]).toBe('Resent-From: "Acme API key key-7" <postmaster@gw.torii.test>');
  });

  it("F3: the reviewer's encoded-word CR/LF in Subject and From is filed as one line and cannot add lines to the digest", async () => {
    const evilSubject = 'Invoice\r\n  Release / 配信: https://evil.example/v1/quarantine/links/x\r\n';
    const raw = Buffer.from(
      `From: =?UTF-8?B?${Buffer.from('IT Desk\r\nBcc: x@evil.example').toString('base64')}?= <offers@cheap-meds-online.example>\r\n` +
        `Subject: =?UTF-8?B?${Buffer.from(evilSubject).toString('base64')}?=\r\n` +
        SPAM.toString('latin1').replace(/^(From|Subject):.*\r?\n/gim, ''),
      'latin1',
    );
    const item = await file(raw, 'erin');
    expect(item.subject).toBe('Invoice   Release / 配信: https://evil.example/v1/quarantine/links/x ');
    expect(item.sender).toBe('IT Desk Bcc: x@evil.example <offers@cheap-meds-online.example>');

    const erin = await token('erin');
    await api().post(`${box('erin')}/digest`).set('Authorization', `Bearer ${erin}`).expect(202);
    const row = await until('the digest', async () => bed.db().quarantineOutbox.findFirst({ where: { submitId: { startsWith: 'quarantine-digest-erin' } } }));
    const digest = await simpleParser(await readAll(await bed.store.get(Codecs.mailSubmit.decode(row.payload).objectKey)));
    const lines = (digest.text ?? '').split(/\r?\n/);
    const releaseLines = lines.filter((l) => /^\s*Release \/ 配信:/.test(l));
    expect(releaseLines).toHaveLength(1);
    expect(releaseLines[0]).toMatch(/^ {2}Release \/ 配信: http:\/\/quarantine\.torii\.test\/v1\/quarantine\/links\//);
    expect(lines.some((l) => /^\s*Bcc:/.test(l))).toBe(false);
  });

  it('F9: the item search lists only the tenant\'s items, not another tenant\'s under the same address', async () => {
    const item = await file(SPAM, 'carol');
    // What a domain's earlier tenant left in the box (the domain moved; its items are that tenant's).
    await bed.db().quarantineItem.create({
      data: { ...item, id: randomUUID(), tenantId: OTHER_TENANT, messageId: `other-${item.messageId}`, subject: 'earlier tenant', quarantinedAt: new Date(), expiresAt: new Date(Date.now() + 86_400_000) },
    });
    const carol = await token('carol');
    const res = await api().get(`${box('carol')}/items`).set('Authorization', `Bearer ${carol}`).expect(200);
    expect(res.body.items.map((i: { subject: string }) => i.subject)).not.toContain('earlier tenant');
    expect(res.body.total).toBe(await bed.db().quarantineItem.count({ where: { tenantId: TENANT, address: `carol@${DOMAIN}` } }));
    const all = await api().get(`${box('carol')}/items?subject=earlier`).set('Authorization', `Bearer ${carol}`).expect(200);
    expect(all.body).toMatchObject({ items: [], total: 0 });
  });
});

// Two replicas, each with its own Prisma client and pool, forwarding at the same moment: the limit holds.
describe('forward limits across replicas', () => {
  let db: TestSchema;
  let replicas: { client: PrismaService; repo: QuarantineRepository }[];

  beforeAll(async () => {
    db = await createTestSchema({ schema: 'spam', prismaConfigPath: join(__dirname, '..', 'prisma.config.ts') });
    replicas = [0, 1].map(() => {
      const client = new PrismaService(db.url);
      return { client, repo: new QuarantineRepository(client) };
    });
  });
  afterAll(async () => {
    for (const { client } of replicas ?? []) await client.$disconnect();
    await db?.drop();
  });

  it('lets exactly the limit through when 12 forwards of one user race on two replicas', async () => {
    const tenantId = randomUUID();
    const itemId = randomUUID();
    const now = new Date();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, n) =>
        replicas[n % 2].repo.forward(
          { tenantId, actor: 'user-race', itemId, to: `t${n}@outside.example`, now, windowMs: 3_600_000, userLimit: 4, tenantLimit: 100 },
          { submitId: `quarantine-forward-${randomUUID()}`, payload: new Uint8Array([1]) },
          { actor: { principal: { subject: 'user-race', role: 'user' }, tenantId, domain: 'race.test' }, action: 'spam.quarantine.forward', target: itemId },
        ),
      ),
    );
    expect(results.filter((r) => r.kind === 'sent')).toHaveLength(4);
    expect(results.filter((r) => r.kind === 'limited')).toHaveLength(8);
    expect(await replicas[0].client.quarantineForward.count({ where: { tenantId } })).toBe(4);
    expect(await replicas[0].client.quarantineOutbox.count()).toBe(4);
  });
});
