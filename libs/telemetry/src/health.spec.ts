import { checkReadiness } from './health';

describe('checkReadiness', () => {
  it('is ok when every check passes (and with no checks)', async () => {
    await expect(checkReadiness({})).resolves.toEqual({ status: 'ok', checks: {} });
    await expect(checkReadiness({ db: async () => undefined })).resolves.toEqual({
      status: 'ok',
      checks: { db: { status: 'ok' } },
    });
  });

  it('names the failed checks, with their cause', async () => {
    const report = await checkReadiness({
      db: async () => undefined,
      nats: () => Promise.reject(new Error('connection refused', { cause: new Error('ECONNREFUSED') })),
      s3: () => {
        throw new Error('synchronous throw');
      },
    });
    expect(report.status).toBe('unavailable');
    expect(report.checks['db']).toEqual({ status: 'ok' });
    expect(report.checks['nats']).toEqual({
      status: 'failed',
      error: 'Error: connection refused ← Error: ECONNREFUSED',
    });
    expect(report.checks['s3']).toEqual({ status: 'failed', error: 'Error: synchronous throw' });
  });

  it('fails a check that does not answer in time', async () => {
    const report = await checkReadiness({ slow: () => new Promise(() => undefined) }, 50);
    expect(report).toEqual({
      status: 'unavailable',
      checks: { slow: { status: 'failed', error: 'Error: no answer within 50 ms' } },
    });
  });
});
