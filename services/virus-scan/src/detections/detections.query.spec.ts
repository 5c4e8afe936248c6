import { Module } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createServiceApp } from '@torii/http';
import request from 'supertest';
import { DetectionsController } from './detections.controller';
import { DetectionsService, dayRange } from './detections.service';

/** The query of `…/virus/detections` and `…/recent` as HTTP sees it: the service is a stub that echoes. */
describe('detections query parameters', () => {
  const calls: unknown[][] = [];
  const stub = {
    perDay: (...args: unknown[]) => (calls.push(args), { from: args[3] ?? null, to: args[4] ?? null }),
    recent: (...args: unknown[]) => (calls.push(args), { limit: args[3] }),
  };

  @Module({ controllers: [DetectionsController], providers: [{ provide: DetectionsService, useValue: stub }] })
  class TestModule {}

  let app: NestExpressApplication;
  const base = '/v1/tenants/t1/domains/a.example/virus/detections';
  beforeAll(async () => {
    app = await createServiceApp({ name: 'virus-test', module: TestModule, openapi: { title: 'Test', version: '1' }, logger: false, health: false });
    await app.init();
  });
  afterAll(() => app.close());

  it('takes a range of days, or none', async () => {
    await request(app.getHttpServer()).get(`${base}?from=2026-01-01&to=2026-01-31`).expect(200, { from: '2026-01-01', to: '2026-01-31' });
    await request(app.getHttpServer()).get(base).expect(200, { from: null, to: null });
  });

  it.each([
    ['from=2026-03-02&to=2026-03-01', [{ in: 'query', pointer: '/from', detail: 'must not be after to' }]],
    ['from=2020-01-01&to=2026-01-01', [{ in: 'query', pointer: '/from', detail: 'at most 367 days before to' }]],
    ['from=2026-02-30', [{ in: 'query', pointer: '/from', detail: 'expected a day YYYY-MM-DD from 1970 on' }]],
    ['to=junk', [{ in: 'query', pointer: '/to', detail: 'expected a day YYYY-MM-DD from 1970 on' }]],
    ['from=', [{ in: 'query', pointer: '/from', detail: 'expected a day YYYY-MM-DD from 1970 on' }]],
    ['foo=1', [{ in: 'query', pointer: '/foo', detail: 'unknown query parameter' }]],
  ])('refuses ?%s with 400 validation-failed naming the parameter', async (query, errors) => {
    const res = await request(app.getHttpServer()).get(`${base}?${query}`).expect(400);
    expect(res.body).toMatchObject({ type: 'urn:torii:problem:validation-failed', code: 'validation-failed', errors });
  });

  it('checks the range a default makes too (from after today)', () => {
    expect(() => dayRange('2026-12-01', undefined, new Date('2026-11-28T15:00:00Z'))).toThrow(
      expect.objectContaining({ code: 'validation-failed', extensions: { errors: [{ in: 'query', pointer: '/from', detail: 'must not be after to' }] } }),
    );
  });

  it('takes a limit from 1 to 200, 50 by default', async () => {
    await request(app.getHttpServer()).get(`${base}/recent`).expect(200, { limit: 50 });
    await request(app.getHttpServer()).get(`${base}/recent?limit=200`).expect(200, { limit: 200 });
    for (const limit of ['', '0', '-5', '2.5', 'abc', '0x10', '1e1', '201']) {
      const res = await request(app.getHttpServer()).get(`${base}/recent?limit=${limit}`).expect(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ in: 'query', pointer: '/limit' })]);
    }
    const twice = await request(app.getHttpServer()).get(`${base}/recent?limit=5&limit=6`).expect(400);
    expect(twice.body.errors).toEqual([{ in: 'query', pointer: '/limit', detail: expect.stringContaining('given more than once') }]);
  });

  it('refuses any query parameter on the policy', async () => {
    const res = await request(app.getHttpServer()).get('/v1/tenants/t1/domains/a.example/virus/policy?foo=1').expect(400);
    expect(res.body.errors).toEqual([{ in: 'query', pointer: '/foo', detail: 'unknown query parameter' }]);
  });
});
