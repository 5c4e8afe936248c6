/**
 * SPAM15 reports when a domain changes hands: the operator deletes it from tenant B and registers it for tenant C.
 * Counters belong to the tenant that had the domain that day, so C starts from zero and B's rows stay as they
 * were. Mail goes over the bus as the edge publishes it (real NATS, Postgres, s3rver); the tenant service's part
 * (snapshot + `directory.changed`) is played by the test. The mail is dated yesterday: today is never in a report.
 */
import { ChangeKind, Codecs, DirectoryChangedSchema, DomainDirectorySchema, Subjects, create, timestampNow } from '@torii/contracts';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { startTestbed, until, type Testbed } from './support/testbed';

const DOMAIN = 'reports-move.test';
const TENANT_B = '7a1f0c2e-0000-4000-8000-000000000003';
const TENANT_C = '7a1f0c2e-0000-4000-8000-000000000004';

jest.setTimeout(120_000);

describe('reports: a domain moved to another tenant', () => {
  let bed: Testbed;
  let revision = 0n;
  const yesterday = new Date(Date.now() - 86_400_000);
  // The report that holds yesterday: this month's, or on the 1st the previous month's.
  const period = new Date().getUTCDate() === 1 ? 'previous-month' : 'current-month';
  const month = yesterday.toISOString().slice(0, 7);

  const snapshot = (tenantId: string) =>
    create(DomainDirectorySchema, {
      domain: DOMAIN,
      tenantId,
      tenantName: tenantId === TENANT_B ? 'B' : 'C',
      active: true,
      services: { spam: { subscribed: true } },
      addresses: ['alice', 'bob'].map((localPart) => ({ localPart, kind: 1 })),
      server: { hostname: `mail.${DOMAIN}`, ips: ['127.0.0.1'], port: 25 },
    });
  /** As the tenant service does it: the snapshot first (or its removal), then the notice. */
  async function publishDirectory(tenantId: string, kind: ChangeKind): Promise<void> {
    revision += 1n;
    if (kind === ChangeKind.DELETE) await bed.directory.delete(DOMAIN);
    else await bed.directory.put(DOMAIN, snapshot(tenantId));
    const event = create(DirectoryChangedSchema, { domain: DOMAIN, tenantId, revision, kind, changedAt: timestampNow() });
    await bed.publisher.publish(Subjects.directoryChanged, Codecs.directoryChanged, event, { msgId: `directory:${DOMAIN}:${revision}:${kind}` });
  }

  /** One inbound message for `tenantId`, received yesterday, as the edge publishes it; resolves once scored. */
  async function mail(tenantId: string, to: string[]): Promise<void> {
    const messageId = `01${randomBytes(12).toString('hex').toUpperCase()}`.slice(0, 26);
    const raw = Buffer.from(`From: Sender <news@sender.example>\r\nTo: ${to.join(', ')}\r\nSubject: weekly notes\r\nMessage-ID: <${messageId}@sender.example>\r\n\r\nHello.\r\n`);
    await bed.receive({ raw, to, tenantId, domain: DOMAIN, messageId, receivedAt: yesterday });
    await until(`message ${messageId} scored`, async () => bed.db().scoredMessage.findUnique({ where: { messageId } }));
  }

  const api = () => request(bed.app.getHttpServer());
  const base = (tenantId: string) => `/v1/tenants/${tenantId}/domains/${DOMAIN}/spam`;
  const tokens = new Map<string, string>();
  const get = (tenantId: string, path: string) => api().get(`${base(tenantId)}/${path}`).set('Authorization', `Bearer ${tokens.get(tenantId)}`);
  /** The `received` of each scope's whole-range line (`YYYY-MM,<scope>,…`), in file order. */
  const received = (csv: string) =>
    csv
      .trimEnd()
      .split('\r\n')
      .filter((line) => line.startsWith(`${month},`))
      .map((line) => [line.split(',')[1], Number(line.split(',')[2])]);
  const rowsOf = (tenantId: string) =>
    bed.db().dailyCounter.findMany({ where: { tenantId, domain: DOMAIN }, orderBy: [{ day: 'asc' }, { address: 'asc' }] });

  beforeAll(async () => {
    bed = await startTestbed({ name: 'reports-e2e', directory: snapshot(TENANT_B) });
    for (const tenantId of [TENANT_B, TENANT_C]) tokens.set(tenantId, await bed.sign({ sub: `admin-${tenantId}`, role: 'admin', tid: tenantId, email: `admin@${DOMAIN}` }));
  });

  afterAll(async () => {
    await bed?.close();
  });

  it('B counts its mail; once C has the domain, C starts from zero, adds to its own rows, and B keeps its rows', async () => {
    await mail(TENANT_B, [`alice@${DOMAIN}`, `bob@${DOMAIN}`]);
    await mail(TENANT_B, [`alice@${DOMAIN}`]);
    const b = await get(TENANT_B, `reports.csv?period=${period}&addresses=true`).expect(200);
    expect(received(b.text)).toEqual([
      [DOMAIN, 3],
      [`alice@${DOMAIN}`, 2],
      [`bob@${DOMAIN}`, 1],
    ]);
    const bRows = await rowsOf(TENANT_B);
    expect(bRows.map((r) => [r.address, r.received])).toEqual([
      ['', 3],
      [`alice@${DOMAIN}`, 2],
      [`bob@${DOMAIN}`, 1],
    ]);

    // The operator deletes the domain from B (its settings are purged), then registers it for C.
    await publishDirectory(TENANT_B, ChangeKind.DELETE);
    await until('the domain purged', async () => (await bed.db().auditLog.count({ where: { domain: DOMAIN, action: 'spam.domain.purge' } })) > 0);
    await publishDirectory(TENANT_C, ChangeKind.UPSERT);
    await until('C owns the domain', async () => (await get(TENANT_C, 'reports.csv').ok(() => true)).status === 200);

    // C sees none of B's days; B no longer sees the domain at all.
    const empty = await get(TENANT_C, `reports.csv?period=${period}&addresses=true`).expect(200);
    expect(received(empty.text)).toEqual([[DOMAIN, 0]]);
    expect((await get(TENANT_C, `addresses/alice@${DOMAIN}/reports.csv?period=${period}`).expect(200)).text).toContain(`${month},alice@${DOMAIN},0,0,0,0,0,0`);
    await get(TENANT_B, `reports.csv?period=${period}`).expect(404);

    // C's mail of the same day counts for C only: B's rows are as they were.
    await mail(TENANT_C, [`alice@${DOMAIN}`]);
    const c = await get(TENANT_C, `reports.csv?period=${period}&addresses=true`).expect(200);
    expect(received(c.text)).toEqual([
      [DOMAIN, 1],
      [`alice@${DOMAIN}`, 1],
    ]);
    expect(await rowsOf(TENANT_B)).toEqual(bRows);
    expect((await rowsOf(TENANT_C)).map((r) => [r.address, r.received])).toEqual([
      ['', 1],
      [`alice@${DOMAIN}`, 1],
    ]);
  });

  it('answers the CSV as a download named after the domain or the address and the month', async () => {
    const domain = await get(TENANT_C, `reports.csv?period=${period}`).expect(200);
    expect(domain.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(domain.headers['content-disposition']).toBe(`attachment; filename="${DOMAIN}-${month}.csv"`);
    const address = await get(TENANT_C, `addresses/alice@${DOMAIN}/reports.csv?period=${period}`).expect(200);
    expect(address.headers['content-disposition']).toBe(`attachment; filename="alice@${DOMAIN}-${month}.csv"`);
  });
});
