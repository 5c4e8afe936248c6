import { Body, Controller, Get, Logger, Module, Param, Post, Query } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { TemporaryError } from '@torii/errors';
import request from 'supertest';
import { z } from 'zod';
import { AnyQuery, ApiProblemResponse, ApiZodResponse, ProblemException, createServiceApp, createZodDto } from '../src';

const AddressCreateSchema = z.object({
  address: z.email(),
  displayName: z.string().min(1).max(64).optional(),
  quota: z.object({ messagesPerDay: z.number().int().positive() }),
});
class AddressCreateDto extends createZodDto(AddressCreateSchema) {}

const AddressResponseSchema = AddressCreateSchema.extend({ id: z.uuid() });
class AddressResponseDto extends createZodDto(AddressResponseSchema) {}

class AddressListQueryDto extends createZodDto(z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) })) {}

@Controller('addresses')
class AddressController {
  @Post()
  @ApiZodResponse(201, AddressResponseDto)
  @ApiProblemResponse(409, 'address-limit-reached')
  create(@Body() body: AddressCreateDto) {
    if (body.address.startsWith('full@')) {
      throw new ProblemException({ status: 409, code: 'address-limit-reached', detail: 'The tenant has 10 addresses.', extensions: { limit: 10 } });
    }
    return { ...body, id: '4f9c1b1e-3f5d-4a8e-9b1a-2c3d4e5f6a7b' };
  }

  @Get()
  list(@Query() query: AddressListQueryDto) {
    return { limit: query.limit };
  }

  @Get('by-name/:name')
  byName(@Param('name') name: string) {
    return { name };
  }

  /** A page a person opens from a mail: what a tracker appends is ignored. */
  @Get('mail-link/:token')
  @AnyQuery()
  mailLink(@Param('token') token: string) {
    return { token };
  }

  /** A mail link whose handler fails: its log line must not carry the token (security review F9b). */
  @Post('mail-link/:token')
  @AnyQuery()
  mailLinkFails(@Param('token') token: string) {
    throw new Error(`could not act on a link (${token.length} characters)`);
  }

  @Get('page')
  page(@Query('limit') limit?: string, @Query('cursor') cursor?: string) {
    return { limit, cursor };
  }

  @Get('boom')
  boom() {
    throw new Error('database password is hunter2');
  }

  @Get('unavailable')
  unavailable() {
    throw new TemporaryError('nats down');
  }
}

@Module({ controllers: [AddressController] })
class AddressModule {}

describe('createServiceApp', () => {
  let app: NestExpressApplication;

  beforeAll(async () => {
    app = await createServiceApp({ name: 'http-test', module: AddressModule, openapi: { title: 'Test', version: '1' }, logger: false });
    await app.init();
  });
  afterAll(() => app.close());

  it('validates and parses the body with the DTO schema', async () => {
    const body = { address: 'a@example.com', quota: { messagesPerDay: 5 } };
    const res = await request(app.getHttpServer()).post('/addresses').send(body).expect(201);
    expect(res.body).toEqual({ address: 'a@example.com', quota: { messagesPerDay: 5 }, id: expect.any(String) });
  });

  it('refuses a body field the schema does not know, naming it (a typo must not pass as "unchanged")', async () => {
    const res = await request(app.getHttpServer())
      .post('/addresses')
      .send({ address: 'a@example.com', quota: { messagesPerDay: 5, messagesPerDya: 6 }, dispalyName: 'x' })
      .expect(400);
    expect(res.body).toMatchObject({ status: 400, code: 'validation-failed' });
    expect(res.body.errors).toEqual([
      { in: 'body', pointer: '/quota/messagesPerDya', detail: 'unknown field' },
      { in: 'body', pointer: '/dispalyName', detail: 'unknown field' },
    ]);
  });

  it('answers invalid input with 400 problem details naming each field', async () => {
    const res = await request(app.getHttpServer())
      .post('/addresses')
      .send({ address: 'not-an-address', quota: { messagesPerDay: -1 } })
      .expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: 'urn:torii:problem:validation-failed', status: 400, code: 'validation-failed', instance: '/addresses' });
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/address', '/quota/messagesPerDay']);
    expect(res.body.errors[0].in).toBe('body');
  });

  it('coerces and defaults query parameters', async () => {
    await request(app.getHttpServer()).get('/addresses').expect(200, { limit: 20 });
    await request(app.getHttpServer()).get('/addresses?limit=7').expect(200, { limit: 7 });
    const res = await request(app.getHttpServer()).get('/addresses?limit=1000').expect(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ in: 'query', pointer: '/limit' })]);
  });

  it('refuses a query parameter a whole-query DTO does not know (a misspelt filter must not list everything)', async () => {
    const res = await request(app.getHttpServer()).get('/addresses?limit=5&limt=6').expect(400);
    expect(res.body.errors).toEqual([{ in: 'query', pointer: '/limt', detail: 'unknown query parameter' }]);
  });

  it('refuses a query parameter a route does not read, naming each (a filter the route lacks must not list everything)', async () => {
    const none = await request(app.getHttpServer()).get('/addresses/by-name/ab?role=admin&foo=1').expect(400);
    expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(none.body).toMatchObject({ status: 400, code: 'validation-failed' });
    expect(none.body.errors).toEqual([
      { in: 'query', pointer: '/role', detail: 'unknown query parameter' },
      { in: 'query', pointer: '/foo', detail: 'unknown query parameter' },
    ]);
    await request(app.getHttpServer()).get('/addresses/page?limit=5&cursor=x').expect(200, { limit: '5', cursor: 'x' });
    const misspelt = await request(app.getHttpServer()).get('/addresses/page?limit=5&perod=current-month').expect(400);
    expect(misspelt.body.errors).toEqual([{ in: 'query', pointer: '/perod', detail: 'unknown query parameter' }]);
    const escaped = await request(app.getHttpServer()).get('/addresses/page?a%2Fb=1').expect(400);
    expect(escaped.body.errors).toEqual([{ in: 'query', pointer: '/a~1b', detail: 'unknown query parameter' }]);
  });

  it('refuses a query parameter given twice, on every kind of route', async () => {
    for (const url of ['/addresses/page?limit=5&limit=6', '/addresses?limit=5&limit=6']) {
      const res = await request(app.getHttpServer()).get(url).expect(400);
      expect(res.body).toMatchObject({ code: 'validation-failed', errors: [{ in: 'query', pointer: '/limit', detail: expect.stringContaining('given more than once') }] });
    }
  });

  it('leaves probes, scrapers, @AnyQuery pages, the API docs (plain Express routes) and unknown routes alone', async () => {
    // A probe's cache-buster or a Prometheus scrape's `params:` must not take the target down.
    await request(app.getHttpServer()).get('/healthz?foo=1').expect(200);
    await request(app.getHttpServer()).get('/metrics?name[]=up&x=1&x=2').expect(200);
    await request(app.getHttpServer()).get('/addresses/mail-link/abc?utm_source=mail&utm_source=again').expect(200, { token: 'abc' });
    await request(app.getHttpServer()).get('/docs?url=x').expect(200);
    await request(app.getHttpServer()).get('/docs-json?v=1').expect(200);
    await request(app.getHttpServer()).get('/nowhere?foo=1').expect(404);
  });

  it('answers a ProblemException with its stable code and extensions', async () => {
    const res = await request(app.getHttpServer()).post('/addresses').send({ address: 'full@example.com', quota: { messagesPerDay: 1 } }).expect(409);
    expect(res.body).toMatchObject({
      type: 'urn:torii:problem:address-limit-reached',
      title: 'Conflict',
      status: 409,
      code: 'address-limit-reached',
      detail: 'The tenant has 10 addresses.',
      limit: 10,
    });
  });

  it('hides unknown errors behind a generic 500 carrying the trace id', async () => {
    const res = await request(app.getHttpServer()).get('/addresses/boom').set('x-request-id', 'req-123').expect(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 500, title: 'Internal Server Error', traceId: 'req-123' });
    expect(JSON.stringify(res.body)).not.toContain('hunter2');
  });

  it('logs a 5xx with the URL, a token path parameter replaced by {token} (security review F9b)', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const token = 'eyJwIjoicmVsZWFzZSJ9.SECRET-sig_-';
      await request(app.getHttpServer()).post(`/addresses/mail-link/${token}?utm_source=mail`).expect(500);
      const lines = errors.mock.calls.map((call) => String(call[0]));
      expect(lines).toEqual([expect.stringMatching(/^POST \/addresses\/mail-link\/\{token\}\?utm_source=mail failed \[traceId=/)]);
      expect(JSON.stringify(errors.mock.calls)).not.toContain('SECRET-sig');
      errors.mockClear();
      // Other path parameters stay: they say what failed.
      await request(app.getHttpServer()).get('/addresses/boom').expect(500);
      expect(String(errors.mock.calls[0]?.[0])).toMatch(/^GET \/addresses\/boom failed/);
    } finally {
      errors.mockRestore();
    }
  });

  it('answers a TemporaryError with 503', async () => {
    await request(app.getHttpServer()).get('/addresses/unavailable').expect(503);
  });

  it('answers unknown routes and bad JSON as problem details', async () => {
    const missing = await request(app.getHttpServer()).get('/nowhere').expect(404);
    expect(missing.body).toMatchObject({ status: 404, title: 'Not Found', type: 'about:blank' });
    const bad = await request(app.getHttpServer()).post('/addresses').set('content-type', 'application/json').send('{"address":').expect(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('refuses a NUL character anywhere a client sends text: 400 naming where, never a 500 from the database', async () => {
    const body = await request(app.getHttpServer()).post('/addresses').send({ address: 'a@b.test', displayName: 'x\u0000y', quota: { messagesPerDay: 1 } }).expect(400);
    expect(body.body).toMatchObject({ status: 400, errors: [{ in: 'body', pointer: '/displayName', detail: 'must not contain a NUL character' }] });
    const key = await request(app.getHttpServer()).post('/addresses').send({ address: 'a@b.test', quota: { messagesPerDay: 1 }, 'k\u0000': 1 }).expect(400);
    expect(key.body.errors[0].pointer).toBe('/k\u0000');
    const path = await request(app.getHttpServer()).get('/addresses/by-name/a%00b').expect(400);
    expect(path.body.errors).toEqual([{ in: 'path', pointer: '/name', detail: 'must not contain a NUL character' }]);
    const surrogate = await request(app.getHttpServer()).post('/addresses').set('content-type', 'application/json').send('{"address":"a@b.test","displayName":"x\\ud800","quota":{"messagesPerDay":1}}').expect(400);
    expect(surrogate.body.errors).toEqual([{ in: 'body', pointer: '/displayName', detail: 'must not contain half of a UTF-16 surrogate pair' }]);
    await request(app.getHttpServer()).post('/addresses').send({ address: 'a@b.test', displayName: '𠮷野家 😀', quota: { messagesPerDay: 1 } }).expect(201);
    const query = await request(app.getHttpServer()).get('/addresses?limit=1%00').expect(400);
    expect(query.body.errors[0]).toMatchObject({ in: 'query', pointer: '/limit' });
    await request(app.getHttpServer()).get('/addresses/by-name/ab').expect(200, { name: 'ab' });
  });

  it('parses JSON bodies only: a form post to a JSON endpoint is a 400, not an empty object', async () => {
    const form = await request(app.getHttpServer()).post('/addresses').type('form').send('address=a%40b.test&quota=1').expect(400);
    expect(form.headers['content-type']).toMatch(/^application\/problem\+json/);
    await request(app.getHttpServer()).post('/addresses').send({ address: 'a@b.test', quota: { messagesPerDay: 1 } }).expect(201);
  });

  it('serves health and metrics', async () => {
    await request(app.getHttpServer()).get('/healthz').expect(200);
    await request(app.getHttpServer()).get('/readyz').expect(200);
    await request(app.getHttpServer()).get('/metrics').expect(200);
  });

  it('publishes the DTO schemas in the OpenAPI document', async () => {
    const res = await request(app.getHttpServer()).get('/docs-json').expect(200);
    const { components, paths } = res.body;
    expect(components.schemas.AddressCreateDto).toMatchObject({
      type: 'object',
      required: ['address', 'quota'],
      properties: {
        address: { type: 'string', format: 'email' },
        quota: { type: 'object', properties: { messagesPerDay: { type: 'integer' } } },
      },
    });
    expect(components.schemas.AddressResponseDto.required).toContain('id');
    expect(paths['/addresses'].post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/AddressCreateDto' });
    expect(paths['/addresses'].post.responses['201'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/AddressResponseDto' });
    expect(paths['/addresses'].post.responses['409'].content['application/problem+json']).toBeDefined();
    expect(paths['/addresses'].get.parameters).toEqual([expect.objectContaining({ name: 'limit', in: 'query', required: false })]);
    await request(app.getHttpServer()).get('/docs').expect(200);
  });
});

describe('createServiceApp readiness', () => {
  let app: NestExpressApplication;
  let storeUp = true;

  @Module({ providers: [{ provide: 'STORE', useValue: { ping: async () => { if (!storeUp) throw new Error('store down'); } } }] })
  class StoreModule {}

  beforeAll(async () => {
    app = await createServiceApp({
      name: 'http-test',
      module: StoreModule,
      openapi: { title: 'Test', version: '1' },
      logger: false,
      health: { static: async () => undefined },
      readiness: (nest) => ({ store: () => nest.get<{ ping(): Promise<void> }>('STORE').ping() }),
    });
    await app.init();
  });
  afterAll(() => app.close());

  it('runs the checks built from the app\'s providers beside the static ones', async () => {
    const ok = await request(app.getHttpServer()).get('/readyz').expect(200);
    expect(ok.body).toEqual({ status: 'ok', checks: { static: { status: 'ok' }, store: { status: 'ok' } } });
    storeUp = false;
    const down = await request(app.getHttpServer()).get('/readyz').expect(503);
    expect(down.body.checks.store).toEqual({ status: 'failed', error: 'Error: store down' });
    storeUp = true;
  });
});
