import {
  Codecs,
  SpamAction,
  SpamVerdictSchema,
  Subjects,
  VirusStatus,
  VirusVerdictSchema,
  create,
  type MailReceived,
} from '@torii/contracts';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import request from 'supertest';
import { DeliveryRepository } from '../src/persistence/delivery.repository';
import { eventually, rawMessage, startHarness, type Harness } from './support/harness';

describe('verdict join', () => {
  let h: Harness;
  let sign: (claims: Record<string, unknown>) => Promise<string>;
  const subscribed = { spam: { subscribed: true }, virus: { subscribed: true }, archive: { subscribed: false } };
  beforeAll(async () => {
    // Deferred mail waits an hour: only the operator's retry (below) brings it back sooner.
    h = await startHarness({ VERDICT_TIMEOUT_SPAM: '1500ms', VERDICT_TIMEOUT_VIRUS: '1500ms', RETRY_DELAYS: '1h' });
    await h.putDomain('filtered.test', { services: subscribed });
    await h.putDomain('open.test', { services: { ...subscribed, virus: { subscribed: false } } });
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
    sign = (claims) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: 'k1' }).setIssuer('torii-tenant').setAudience('torii').setIssuedAt().setExpirationTime('10m').sign(privateKey);
    await h.startApp({ jwks: { keys: async () => ({ keys: [jwk] }) } });
  }, 60_000);
  afterAll(async () => h?.close());

  const status = (id: string) => h.app!.get(DeliveryRepository).findMessage(id);
  const spam = (event: MailReceived, decisions: { recipient: string; action: SpamAction; subjectTag?: string }[]) =>
    h.publisher.publish(
      Subjects.verdictSpam,
      Codecs.spamVerdict,
      create(SpamVerdictSchema, { messageId: event.messageId, tenantId: 'tenant1', outcome: { kind: 1 }, headerValue: '7.00%', recipients: decisions }),
      { msgId: `${event.messageId}:spam` },
    );
  const virus = (event: MailReceived, status: VirusStatus) =>
    h.publisher.publish(
      Subjects.verdictVirus,
      Codecs.virusVerdict,
      create(VirusVerdictSchema, { messageId: event.messageId, tenantId: 'tenant1', outcome: { kind: 2 }, status, engine: 'ClamAV test' }),
      { msgId: `${event.messageId}:virus` },
    );

  it('waits for both verdicts, then applies them per recipient', async () => {
    const event = await h.storeMessage({ domain: 'filtered.test', from: 'a@sender.test', to: ['q@filtered.test', 't@filtered.test', 'ok@filtered.test'], raw: rawMessage('join-1@sender.test') });
    await h.publishReceived(event);
    await spam(event, [
      { recipient: 'q@filtered.test', action: SpamAction.QUARANTINE },
      { recipient: 't@filtered.test', action: SpamAction.TAG, subjectTag: '[SPAM]' },
    ]);
    await new Promise((r) => setTimeout(r, 400));
    expect((await status(event.messageId))?.recipients.every((r) => r.state === 'awaiting_verdicts')).toBe(true);
    await virus(event, VirusStatus.CLEAN);
    const tagged = await h.tenantSink.waitFor((m) => m.messageId === 'join-1@sender.test' && m.envelope.rcptTo.includes('t@filtered.test'));
    const plain = await h.tenantSink.waitFor((m) => m.messageId === 'join-1@sender.test' && m.envelope.rcptTo.includes('ok@filtered.test'));
    expect(tagged.envelope.rcptTo).toEqual(['t@filtered.test']); // its own transaction: another treatment
    expect(tagged.raw.toString()).toMatch(/Subject: \[SPAM\] test join-1/);
    expect(plain.raw.toString()).toContain('X-Torii-Spam-Check: 7.00%');
    expect(plain.raw.toString()).toContain('X-Torii-Virus-Check: clean (ClamAV test)');
    const rows = await eventually(async () => {
      const s = await status(event.messageId);
      return s?.recipients.every((r) => r.state !== 'awaiting_verdicts' && r.state !== 'pending' && r.state !== 'delivering') ? s : undefined;
    });
    expect(Object.fromEntries(rows.recipients.map((r) => [r.address, r.state]))).toEqual({
      'q@filtered.test': 'quarantined',
      't@filtered.test': 'delivered',
      'ok@filtered.test': 'delivered',
    });
  });

  it('tags raw 8-bit Subjects (SMTPUTF8, legacy Shift_JIS) by putting the tag before their bytes, changing no other header', async () => {
    // 生のUTF-8件名 無料 as UTF-8; 生のShift_JIS件名 無料 and ソ表 (0x5C trail bytes) as Shift_JIS, declared nowhere.
    const subjects = { utf8: Buffer.from('生のUTF-8件名 無料'), sjis: Buffer.from('90b682cc53686966745f4a49538c8f96bc2096b397bf', 'hex') };
    const headOf = (raw: Buffer) => raw.subarray(0, raw.indexOf('\r\n\r\n') + 2);
    for (const [name, subject] of Object.entries(subjects)) {
      const id = `join-raw-${name}@sender.test`;
      const raw = Buffer.concat([
        Buffer.from(`From: 山田 太郎 <taro@sender.test>\r\nTo: <t@open.test>\r\nSubject: `),
        subject,
        Buffer.from(`\r\nX-Legacy: `),
        Buffer.from('835c955c', 'hex'),
        Buffer.from(`\r\nMessage-ID: <${id}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n本文\r\n`),
      ]);
      const event = await h.storeMessage({ domain: 'open.test', from: 'taro@sender.test', to: ['t@open.test', 'u@open.test'], raw });
      await h.publishReceived(event);
      await spam(event, [{ recipient: 't@open.test', action: SpamAction.TAG, subjectTag: '[MEIWAKU!!]' }]);
      const tagged = await h.tenantSink.waitFor((m) => m.messageId === id && m.envelope.rcptTo.includes('t@open.test'), 10_000);
      const plain = await h.tenantSink.waitFor((m) => m.messageId === id && m.envelope.rcptTo.includes('u@open.test'), 10_000);
      expect(tagged.raw.includes(Buffer.concat([Buffer.from('\r\nSubject: [MEIWAKU!!] '), subject, Buffer.from('\r\n')]))).toBe(true);
      // Everything the sender wrote below our headers, in order and byte for byte, the Subject tagged where it stands.
      const theirs = (m: Buffer) => headOf(m).subarray(headOf(m).indexOf('From: '));
      expect(theirs(tagged.raw).equals(Buffer.from(theirs(raw).toString('latin1').replace('\r\nSubject: ', '\r\nSubject: [MEIWAKU!!] '), 'latin1'))).toBe(true);
      expect(theirs(plain.raw).equals(headOf(raw))).toBe(true);
      expect(tagged.raw.subarray(tagged.raw.indexOf('\r\n\r\n')).equals(raw.subarray(raw.indexOf('\r\n\r\n')))).toBe(true);
    }
  });

  it('spam verdict missing: fails open after its timeout, with a header saying so', async () => {
    const event = await h.storeMessage({ domain: 'open.test', from: 'a@sender.test', to: ['x@open.test'], raw: rawMessage('join-2@sender.test') });
    const started = Date.now();
    await h.publishReceived(event);
    const got = await h.tenantSink.waitFor((m) => m.messageId === 'join-2@sender.test', 10_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(got.raw.toString()).toMatch(/X-Torii-Spam-Check: not checked \(timed out\)/);
  });

  it('removes verdict headers a message brings, also of checks the domain does not subscribe to', async () => {
    const forged = 'X-Torii-Virus-Check: clean (forged)\r\nX-Torii-Spam-Check: 0.00%\r\nX-TORII-Spam-Reasons: -9 forged\r\nX-Torii-Audit-Check: ok\r\n';
    const event = await h.storeMessage({ domain: 'open.test', from: 'a@sender.test', to: ['f@open.test'], raw: rawMessage('join-forged@sender.test', forged) });
    await h.publishReceived(event);
    await spam(event, []);
    const got = (await h.tenantSink.waitFor((m) => m.messageId === 'join-forged@sender.test', 10_000)).raw.toString();
    expect(got).not.toMatch(/\(forged\)|-9 forged|X-Torii-Audit-Check|X-Torii-Virus-Check|Spam-Check: 0\.00%/i);
    expect(got.match(/^X-Torii-Spam-Check: .*$/gim)).toEqual(['X-Torii-Spam-Check: 7.00%']);
  });

  it('virus verdict missing: fails closed (held, never delivered unscanned)', async () => {
    const event = await h.storeMessage({ domain: 'filtered.test', from: 'a@sender.test', to: ['y@filtered.test'], raw: rawMessage('join-3@sender.test') });
    await h.publishReceived(event);
    await spam(event, []);
    const rows = await eventually(async () => {
      const s = await status(event.messageId);
      return s?.recipients[0]?.state === 'held' ? s : undefined;
    }, 10_000, 'held');
    expect(rows.recipients[0].reason).toBe('virus-unchecked');
    expect(h.tenantSink.messages.some((m) => m.messageId === 'join-3@sender.test')).toBe(false);
  });

  const heldMessage = async (id: string, to: string) => {
    const event = await h.storeMessage({ domain: 'filtered.test', from: 'a@sender.test', to: [to], raw: rawMessage(id) });
    await h.publishReceived(event);
    await spam(event, []);
    await eventually(async () => (await status(event.messageId))?.recipients[0]?.state === 'held', 10_000, 'held');
    return event;
  };

  it('a virus verdict that comes after the hold re-opens it: the message is judged and delivered', async () => {
    const event = await heldMessage('join-late@sender.test', 'late@filtered.test');
    await virus(event, VirusStatus.CLEAN);
    const got = await h.tenantSink.waitFor((m) => m.messageId === 'join-late@sender.test', 10_000);
    expect(got.raw.toString()).toContain('X-Torii-Virus-Check: clean (ClamAV test)');
    const rows = await eventually(async () => {
      const s = await status(event.messageId);
      return s?.recipients[0]?.state === 'delivered' ? s : undefined;
    }, 10_000, 'delivered');
    expect(rows.recipients[0].reason).not.toBe('virus-unchecked');
  });

  it('an administrator releases a held message (delivered, saying what was not checked) or deletes one', async () => {
    const api = () => request(h.app!.getHttpServer());
    const admin = `Bearer ${await sign({ sub: 'admin-1', role: 'admin', tid: 'tenant1' })}`;
    const released = await heldMessage('join-release@sender.test', 'rel@filtered.test');
    const deleted = await heldMessage('join-delete@sender.test', 'del@filtered.test');

    // Not for a user, nor for another tenant's admin.
    await api().post(`/v1/tenants/tenant1/messages/${released.messageId}/release`).set('Authorization', `Bearer ${await sign({ sub: 'u', role: 'user', tid: 'tenant1', email: 'rel@filtered.test' })}`).expect(403);
    await api().post(`/v1/tenants/other/messages/${released.messageId}/release`).set('Authorization', `Bearer ${await sign({ sub: 'x', role: 'admin', tid: 'other' })}`).expect(404);
    await api().post(`/v1/tenants/tenant1/messages/${released.messageId}/release`).expect(401);

    const res = await api().post(`/v1/tenants/tenant1/messages/${released.messageId}/release`).set('Authorization', admin).expect(201);
    expect(res.body).toEqual({ messageId: released.messageId, recipientsReleased: 1 });
    const got = await h.tenantSink.waitFor((m) => m.messageId === 'join-release@sender.test', 10_000);
    expect(got.raw.toString()).toContain('X-Torii-Virus-Check: not checked (timed out); released by an administrator');
    await eventually(async () => (await status(released.messageId))?.recipients[0]?.state === 'delivered', 10_000, 'delivered');
    // Nothing held any more.
    const again = await api().post(`/v1/tenants/tenant1/messages/${released.messageId}/release`).set('Authorization', admin).expect(409);
    expect(again.body.code).toBe('nothing-held');

    const del = await api().delete(`/v1/tenants/tenant1/messages/${deleted.messageId}/held`).set('Authorization', admin).expect(200);
    expect(del.body).toEqual({ messageId: deleted.messageId, recipientsDropped: 1 });
    const rows = await status(deleted.messageId);
    expect(rows?.recipients[0]).toMatchObject({ state: 'dropped', reason: 'deleted-by-admin' });
    await new Promise((r) => setTimeout(r, 500));
    expect(h.tenantSink.messages.some((m) => m.messageId === 'join-delete@sender.test')).toBe(false);
    // A late verdict does not bring a deleted message back.
    await virus(deleted, VirusStatus.CLEAN);
    await new Promise((r) => setTimeout(r, 800));
    expect((await status(deleted.messageId))?.recipients[0].state).toBe('dropped');
    expect(h.tenantSink.messages.some((m) => m.messageId === 'join-delete@sender.test')).toBe(false);

    // Both actions are in the domain's audit log (newest first), with who, what and why it was held; the
    // refused second release wrote nothing.
    const audit = await api().get('/v1/tenants/tenant1/domains/filtered.test/messages-audit').set('Authorization', admin).expect(200);
    const mine = audit.body.filter((e: { target: string }) => e.target === released.messageId || e.target === deleted.messageId);
    expect(mine).toEqual([
      expect.objectContaining({ actor: 'admin-1', actorRole: 'admin', action: 'delivery.held.delete', target: deleted.messageId, details: { recipients: [{ address: 'del@filtered.test', reason: expect.stringContaining('virus') }] } }),
      expect.objectContaining({ actor: 'admin-1', actorRole: 'admin', action: 'delivery.held.release', target: released.messageId, details: { recipients: [{ address: 'rel@filtered.test', reason: expect.stringContaining('virus') }] } }),
    ]);
    const page = await api().get(`/v1/tenants/tenant1/domains/filtered.test/messages-audit?limit=1&before=${mine[0].id}`).set('Authorization', admin).expect(200);
    expect(page.body).toHaveLength(1);
    expect(BigInt(page.body[0].id) < BigInt(mine[0].id)).toBe(true);
    // Not for a user, another tenant's admin, or a domain that is not the tenant's; a bad page is a 400.
    await api().get('/v1/tenants/tenant1/domains/filtered.test/messages-audit').set('Authorization', `Bearer ${await sign({ sub: 'u', role: 'user', tid: 'tenant1', email: 'rel@filtered.test' })}`).expect(403);
    await api().get('/v1/tenants/other/domains/filtered.test/messages-audit').set('Authorization', `Bearer ${await sign({ sub: 'x', role: 'admin', tid: 'other' })}`).expect(404);
    await api().get('/v1/tenants/tenant1/domains/elsewhere.test/messages-audit').set('Authorization', admin).expect(404);
    await api().get('/v1/tenants/tenant1/domains/filtered.test/messages-audit?before=abc').set('Authorization', admin).expect(400);
  });

  it('an operator retries a deferred message now; the audit log says who', async () => {
    const api = () => request(h.app!.getHttpServer());
    const operator = `Bearer ${await sign({ sub: 'op-1', role: 'operator' })}`;
    h.tenantSink.failData(451, '4.3.0 Temporary failure, try again later', 1);
    const event = await h.storeMessage({ domain: 'filtered.test', from: 'a@sender.test', to: ['retry@filtered.test'], raw: rawMessage('join-retry@sender.test') });
    await h.publishReceived(event);
    await spam(event, []);
    await virus(event, VirusStatus.CLEAN);
    const deferred = await eventually(async () => {
      const row = (await status(event.messageId))?.recipients[0];
      return row?.state === 'deferred' ? row : undefined;
    }, 10_000, 'deferred');
    expect(deferred.nextAttemptAt!.getTime()).toBeGreaterThan(Date.now() + 30 * 60_000);
    // Operators only.
    await api().post(`/v1/messages/${event.messageId}/retry`).set('Authorization', `Bearer ${await sign({ sub: 'admin-1', role: 'admin', tid: 'tenant1' })}`).expect(403);
    const res = await api().post(`/v1/messages/${event.messageId}/retry`).set('Authorization', operator).expect(201);
    expect(res.body).toEqual({ messageId: event.messageId, recipientsRescheduled: 1 });
    await h.tenantSink.waitFor((m) => m.messageId === 'join-retry@sender.test', 10_000);
    const audit = await api().get('/v1/tenants/tenant1/domains/filtered.test/messages-audit').set('Authorization', operator).expect(200);
    expect(audit.body.find((e: { target: string }) => e.target === event.messageId)).toMatchObject({
      actor: 'op-1',
      actorRole: 'operator',
      action: 'delivery.deferred.retry',
      details: { recipients: [{ address: 'retry@filtered.test' }] },
    });
    // Nothing deferred any more: nothing rescheduled, nothing audited.
    await eventually(async () => (await status(event.messageId))?.recipients[0]?.state === 'delivered', 10_000, 'delivered');
    const again = await api().post(`/v1/messages/${event.messageId}/retry`).set('Authorization', operator).expect(201);
    expect(again.body.recipientsRescheduled).toBe(0);
    const after = await api().get('/v1/tenants/tenant1/domains/filtered.test/messages-audit').set('Authorization', operator).expect(200);
    expect(after.body.filter((e: { target: string }) => e.target === event.messageId)).toHaveLength(1);
  });

  it('an infected message is dropped', async () => {
    const event = await h.storeMessage({ domain: 'filtered.test', from: 'a@sender.test', to: ['z@filtered.test'], raw: rawMessage('join-4@sender.test') });
    await h.publishReceived(event);
    await virus(event, VirusStatus.INFECTED);
    await spam(event, []);
    await eventually(async () => (await status(event.messageId))?.recipients[0]?.state === 'dropped', 10_000, 'dropped');
  });

  it('lists a domain\'s latest messages; a domain that is not the tenant\'s is 404, not an empty list', async () => {
    const admin = `Bearer ${await sign({ sub: 'admin-1', role: 'admin', tid: 'tenant1' })}`;
    const api = () => request(h.app!.getHttpServer());
    const listed = await api().get('/v1/tenants/tenant1/domains/filtered.test/messages?limit=5').set('Authorization', admin).expect(200);
    expect(listed.body.length).toBeGreaterThan(0);
    await api().get('/v1/tenants/tenant1/domains/nobodys.test/messages').set('Authorization', admin).expect(404);
    await api().get('/v1/tenants/tenant1/domains/filtered.test/messages').set('Authorization', `Bearer ${await sign({ sub: 'x', role: 'admin', tid: 'other' })}`).expect(404);
  });

  it('counts recipient outcomes in /metrics, by direction and state', async () => {
    const metrics = (await request(h.app!.getHttpServer()).get('/metrics').expect(200)).text;
    const count = (state: string) =>
      [...metrics.matchAll(/^torii_delivery_recipients_total\{([^}]*)\} (\d+)/gm)]
        .filter((m) => m[1].includes(`state="${state}"`) && m[1].includes('direction="inbound"'))
        .reduce((a, m) => a + Number(m[2]), 0);
    expect(count('delivered')).toBeGreaterThanOrEqual(4);
    expect(count('held')).toBeGreaterThanOrEqual(3);
    expect(count('dropped')).toBeGreaterThanOrEqual(2);
    expect(count('quarantined')).toBeGreaterThanOrEqual(1);
  });
});
