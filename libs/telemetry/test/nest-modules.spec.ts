import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';
import { counter, HealthModule, MetricsModule } from '../src/index';

describe('HealthModule and MetricsModule in a Nest app', () => {
  let databaseUp = true;
  let app: INestApplication;

  beforeAll(async () => {
    @Module({
      imports: [
        MetricsModule,
        HealthModule.forRoot({
          database: async () => {
            if (!databaseUp) throw new Error('database down');
          },
          broker: async () => undefined,
        }),
      ],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: false });
    await app.init();
  });
  afterAll(() => app.close());

  it('GET /healthz is 200 whatever the dependencies', async () => {
    databaseUp = false;
    await request(app.getHttpServer()).get('/healthz').expect(200, { status: 'ok' });
    databaseUp = true;
  });

  it('GET /readyz is 200 when every check passes', async () => {
    const res = await request(app.getHttpServer()).get('/readyz').expect(200);
    expect(res.body).toEqual({
      status: 'ok',
      checks: { database: { status: 'ok' }, broker: { status: 'ok' } },
    });
  });

  it('GET /readyz is 503 and names the failed check when one throws', async () => {
    databaseUp = false;
    const res = await request(app.getHttpServer()).get('/readyz').expect(503);
    expect(res.body).toEqual({
      status: 'unavailable',
      checks: { database: { status: 'failed', error: 'Error: database down' }, broker: { status: 'ok' } },
    });
    databaseUp = true;
  });

  it('GET /metrics shows a counter after it was incremented', async () => {
    counter('torii_nest_spec_requests_total', 'Requests', ['route']).inc({ route: 'x' });
    const res = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.text).toContain('torii_nest_spec_requests_total{route="x"} 1');
  });
});
