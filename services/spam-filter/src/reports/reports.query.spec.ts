import { Module } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createServiceApp } from '@torii/http';
import request from 'supertest';
import { ReportsController } from './reports.controller';
import { ReportsService } from './reports.service';

/** The query of `…/spam/reports.csv` as HTTP sees it: the service is a stub that writes back what it got. */
describe('report query parameters', () => {
  const file = (text: string) => ({ csv: text, disposition: 'attachment; filename="r.csv"' });
  const stub = {
    domainCsv: (_t: string, _d: string, period: string, perAddress: boolean) => file(`${period},${perAddress}`),
    addressCsv: (_t: string, _d: string, _a: string, period: string) => file(period),
  };

  @Module({ controllers: [ReportsController], providers: [{ provide: ReportsService, useValue: stub }] })
  class TestModule {}

  let app: NestExpressApplication;
  const base = '/v1/tenants/t1/domains/a.example/spam';
  const get = (path: string) => request(app.getHttpServer()).get(`${base}/${path}`);
  beforeAll(async () => {
    app = await createServiceApp({ name: 'spam-test', module: TestModule, openapi: { title: 'Test', version: '1' }, logger: false, health: false });
    await app.init();
  });
  afterAll(() => app.close());

  it('takes the period and addresses, with their defaults', async () => {
    expect((await get('reports.csv').expect(200)).text).toBe('previous-month,false');
    expect((await get('reports.csv?period=current-month&addresses=true').expect(200)).text).toBe('current-month,true');
    expect((await get('reports.csv?addresses=false').expect(200)).text).toBe('previous-month,false');
    expect((await get('addresses/a@a.example/reports.csv?period=current-month').expect(200)).text).toBe('current-month');
  });

  it.each([
    ['reports.csv?perod=current-month', { pointer: '/perod', detail: 'unknown query parameter' }],
    ['reports.csv?period=last-month', { pointer: '/period' }],
    ['reports.csv?period=', { pointer: '/period' }],
    ['reports.csv?addresses=yes', { pointer: '/addresses' }],
    ['reports.csv?period=current-month&period=previous-month', { pointer: '/period', detail: expect.stringContaining('given more than once') }],
    ['addresses/a@a.example/reports.csv?addresses=true', { pointer: '/addresses', detail: 'unknown query parameter' }],
  ])('refuses %s with 400 validation-failed naming the parameter', async (path, error) => {
    const res = await get(path).expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'validation-failed', errors: [{ in: 'query', ...error }] });
    expect(res.body.errors).toHaveLength(1);
  });
});
