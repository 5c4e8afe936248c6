import { Module } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createServiceApp } from '@torii/http';
import request from 'supertest';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';

/** The query of `GET …/domains/{domain}/messages` as HTTP sees it: the service is a stub that echoes. */
describe('recent messages query parameters', () => {
  const stub = { recent: (...args: unknown[]) => ({ limit: args[3] }), status: () => ({}) };

  @Module({ controllers: [MessagesController], providers: [{ provide: MessagesService, useValue: stub }] })
  class TestModule {}

  let app: NestExpressApplication;
  const url = '/v1/tenants/t1/domains/a.example/messages';
  beforeAll(async () => {
    app = await createServiceApp({ name: 'delivery-test', module: TestModule, openapi: { title: 'Test', version: '1' }, logger: false, health: false });
    await app.init();
  });
  afterAll(() => app.close());

  it('takes a limit from 1 to 200, 50 by default', async () => {
    await request(app.getHttpServer()).get(url).expect(200, { limit: 50 });
    await request(app.getHttpServer()).get(`${url}?limit=1`).expect(200, { limit: 1 });
    await request(app.getHttpServer()).get(`${url}?limit=200`).expect(200, { limit: 200 });
  });

  it.each(['', '0', '-5', '2.5', 'abc', '0x10', '1e1', '201', '100000'])('refuses limit=%j with 400 validation-failed', async (limit) => {
    const res = await request(app.getHttpServer()).get(`${url}?limit=${limit}`).expect(400);
    expect(res.body).toMatchObject({ code: 'validation-failed', errors: [expect.objectContaining({ in: 'query', pointer: '/limit' })] });
  });

  it('refuses a filter it does not have (state) and a parameter given twice', async () => {
    const state = await request(app.getHttpServer()).get(`${url}?state=dropped`).expect(400);
    expect(state.body.errors).toEqual([{ in: 'query', pointer: '/state', detail: 'unknown query parameter' }]);
    const twice = await request(app.getHttpServer()).get(`${url}?limit=5&limit=6`).expect(400);
    expect(twice.body.errors).toEqual([{ in: 'query', pointer: '/limit', detail: expect.stringContaining('given more than once') }]);
    await request(app.getHttpServer()).get('/v1/tenants/t1/messages/m1?verbose=1').expect(400);
  });

  it('documents limit as an integer query parameter', async () => {
    const res = await request(app.getHttpServer()).get('/docs-json').expect(200);
    expect(res.body.paths['/v1/tenants/{tenantId}/domains/{domain}/messages'].get.parameters).toContainEqual(
      expect.objectContaining({ name: 'limit', in: 'query', required: false, schema: expect.objectContaining({ type: 'integer', minimum: 1, maximum: 200 }) }),
    );
  });
});
