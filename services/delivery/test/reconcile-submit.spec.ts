import request from 'supertest';
import { Codecs, Direction, MailSubmitSchema, Subjects, create } from '@torii/contracts';
import { createHash } from 'node:crypto';
import { ObjectStore } from '@torii/storage';
import { Readable } from 'node:stream';
import { DeliveryRepository } from '../src/persistence/delivery.repository';
import { ReconciliationService } from '../src/reconcile/reconciliation.service';
import { eventually, newId, rawMessage, startHarness, type Harness } from './support/harness';

describe('reconciliation and mail.submit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ RECONCILE_GRACE: '0ms', RECONCILE_MAX_REPUBLISH: '2' });
    await h.putDomain('tenant.test');
    await h.startApp();
  }, 60_000);
  afterAll(async () => h?.close());

  it('republishes a stored message whose event was lost, and it is delivered', async () => {
    const event = await h.storeMessage({ domain: 'tenant.test', from: 'a@sender.test', to: ['lost@tenant.test'], raw: rawMessage('orphan-1@sender.test') });
    // No publish: the broker "lost" the event.
    const noSidecar = await h.storeMessage({ domain: 'tenant.test', from: 'a@sender.test', to: ['x@tenant.test'], raw: rawMessage('orphan-2@sender.test'), sidecar: false });
    const listed = jest.spyOn(h.app!.get(ObjectStore), 'list');
    const republished = await h.app!.get(ReconciliationService).reconcileOnce(new Date(Date.now() + 1_000));
    expect(republished).toEqual([event.messageId]);
    expect(republished).not.toContain(noSidecar.messageId);
    // A pass lists each tenant's mail from the horizon's first day on, never every message ever stored.
    const horizonDay = new Date(Date.now() + 1_000 - h.config.RECONCILE_HORIZON).toISOString().slice(0, 10).replaceAll('-', '/');
    expect(listed.mock.calls).toContainEqual([`mail/tenant1/`, { startAfter: `mail/tenant1/${horizonDay}` }]);
    expect(listed.mock.calls.every(([prefix, options]) => prefix === 'mail/' || (options?.startAfter ?? '').startsWith(prefix))).toBe(true);
    listed.mockRestore();
    await h.tenantSink.waitFor((m) => m.messageId === 'orphan-1@sender.test', 15_000);
    // Once known, it is not republished again.
    await eventually(async () => (await h.app!.get(DeliveryRepository).findMessage(event.messageId)) ?? undefined);
    expect(await h.app!.get(ReconciliationService).reconcileOnce(new Date(Date.now() + 1_000))).toEqual([]);
  });

  it('publishes an orphan whose event is refused as bad at most RECONCILE_MAX_REPUBLISH times', async () => {
    const reconcile = () => h.app!.get(ReconciliationService).reconcileOnce(new Date(Date.now() + 1_000));
    // No recipients: delivery refuses the event as permanently bad (dead-lettered), so no row ever appears.
    const bad = await h.storeMessage({ domain: 'tenant.test', from: 'a@sender.test', to: [], raw: rawMessage('orphan-bad@sender.test') });
    expect(await reconcile()).toContain(bad.messageId);
    await new Promise((r) => setTimeout(r, 300));
    expect(await reconcile()).toContain(bad.messageId);
    await new Promise((r) => setTimeout(r, 300));
    expect(await reconcile()).not.toContain(bad.messageId); // given up after 2, reported as an error
    expect(await h.app!.get(DeliveryRepository).findMessage(bad.messageId)).toBeNull();
  });

  it('runs a pass on one replica at a time (lease row), and again once the lease is free', async () => {
    const repository = h.app!.get(DeliveryRepository);
    expect(await repository.takeLease('reconcile', 'another-replica', 60_000)).toBe(true);
    expect(await h.app!.get(ReconciliationService).reconcileOnce(new Date(Date.now() + 1_000))).toBeNull();
    await repository.releaseLease('reconcile', 'another-replica');
    expect(await h.app!.get(ReconciliationService).reconcileOnce(new Date(Date.now() + 1_000))).not.toBeNull();
  });

  it('delivers a message handed over on mail.submit', async () => {
    const id = newId();
    const raw = rawMessage('submit-1@torii.test');
    const key = `submit/tenant1/${id}.eml`;
    const stored = await h.store.put(key, Readable.from([raw]));
    const submit = create(MailSubmitSchema, {
      submitId: id,
      tenantId: 'tenant1',
      origin: 'test',
      purpose: 'virus-warning',
      direction: Direction.INBOUND,
      envelope: { mailFrom: '', rcptTo: [{ address: 'admin@tenant.test' }] },
      bucket: h.store.bucket,
      objectKey: key,
      size: BigInt(stored.size),
      sha256: createHash('sha256').update(raw).digest('hex'),
      domain: 'tenant.test',
    });
    await h.publisher.publish(Subjects.mailSubmit, Codecs.mailSubmit, submit, { msgId: id });
    const got = await h.tenantSink.waitFor((m) => m.messageId === 'submit-1@torii.test', 15_000);
    expect(got.envelope).toEqual({ mailFrom: '', rcptTo: ['admin@tenant.test'] });
    expect(got.raw.toString()).toMatch(/^Received: from localhost/);
  });
});

describe('REST', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await h.startApp();
  }, 60_000);
  afterAll(async () => h?.close());

  it('is ready when its database, NATS and object store answer (GET /readyz names each)', async () => {
    const res = await request(h.app!.getHttpServer()).get('/readyz').expect(200);
    expect(res.body).toEqual({ status: 'ok', checks: { database: { status: 'ok' }, nats: { status: 'ok' }, storage: { status: 'ok' } } });
  });

  it('refuses a message status request without credentials', async () => {
    const res = await request(h.app!.getHttpServer()).get('/v1/tenants/tenant1/messages/01X');
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });
});
