import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sendMail, type SinkMessage } from '@torii/testing';
import { simpleParser } from 'mailparser';
import { REPO_ROOT } from './support/services';
import { ADMIN, eventually, startStack, type SeedDomain, type Stack } from './support/stack';

const DOMAIN = 'acme.test';
const DOMAINS: SeedDomain[] = [
  { name: DOMAIN, services: ['spam', 'secondary'], addresses: ['alice', 'bob', 'carol', 'postmaster'] },
];
// The partner's SPF record lets 127.0.0.1 (where the tests send from) send for it: its mail is authenticated
// (SPF pass, MAIL FROM aligned with From), so a From allow entry counts (spam-filter README, Policies).
const PARTNER = 'partner.test';
const SPAMMER = 'offers@cheap-meds-online.example';
const SUBJECT = 'FREE VIAGRA!!! LIMITED TIME OFFER - ACT NOW';

// The hand-written spam fixture of @torii/spam-engine (scores 100%), with the From and a Message-ID of the test.
const FIXTURE = readFileSync(join(REPO_ROOT, 'libs/spam-engine/fixtures/spam-en.eml'), 'latin1');
function spam(id: string, from: string): Buffer {
  const text = FIXTURE.replace(/\r?\n/g, '\r\n').replace(/^From: .*$/m, `From: <${from}>`);
  return Buffer.from(`Message-ID: <${id}@e2e.test>\r\n${text}`, 'latin1');
}

const headersOf = (raw: Buffer): string => raw.subarray(0, raw.indexOf('\r\n\r\n') + 2).toString('latin1');
const copyFor = (address: string, id: string) => (m: SinkMessage) =>
  m.messageId === `${id}@e2e.test` && m.envelope.rcptTo.includes(address);
const queuedId = (response: string): string => {
  const match = /queued as ([0-9A-Z]{26})/.exec(response);
  if (!match) throw new Error(`not a queued reply: ${response}`);
  return match[1];
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

jest.setTimeout(120_000);

describe('spam filtering end to end over SMTP', () => {
  let stack: Stack;
  let token: string;
  let tenantId: string;
  let base: string;

  const send = async (from: string, to: string[], raw: Buffer) =>
    queuedId((await sendMail({ port: stack.inboundPort, from, to, raw })).response);
  const spamApi = <T = unknown>(method: string, path: string, body?: unknown, expect?: number) =>
    stack.api<T>(stack.spamFilter!, method, `${base}${path}`, { token, body, expect });
  const statesOf = async (messageId: string) =>
    Object.fromEntries(
      (
        await stack.api<{ recipients: { address: string; state: string }[] }>(
          stack.delivery,
          'GET',
          `/v1/tenants/${tenantId}/messages/${messageId}`,
          { token },
        )
      ).recipients.map((r) => [r.address, r.state]),
    );

  beforeAll(async () => {
    stack = await startStack({
      domains: DOMAINS,
      spamFilter: true,
      edgeDnsRecords: { TXT: { [PARTNER]: [['v=spf1 ip4:127.0.0.1 -all']] } },
    });
    token = await stack.login(ADMIN.email, ADMIN.password);
    ({ tenantId } = await stack.api<{ tenantId: string }>(stack.tenant, 'GET', '/v1/me', { token }));
    base = `/v1/tenants/${tenantId}/domains/${DOMAIN}/spam`;

    // Domain: tag at 90%. bob quarantines; carol blocks the spammer; the partner is allowed; a blocked sender.
    await spamApi(
      'PUT',
      '/policy',
      { threshold: '90', action: 'tag', tag: '[SPAM!!]', priority: 'address-first' },
      200,
    );
    await spamApi('PUT', `/addresses/bob@${DOMAIN}/policy`, { action: 'quarantine' }, 200);
    await spamApi('POST', `/addresses/carol@${DOMAIN}/lists/block`, {
      field: 'from-address',
      match: 'exact',
      value: SPAMMER,
    });
    await spamApi('POST', '/lists/allow', { field: 'from-domain', match: 'exact', value: PARTNER });
    await spamApi('POST', '/lists/block', {
      field: 'from-address',
      match: 'exact',
      value: 'pest@sender.test',
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('tags, quarantines or deletes one spam message per recipient policy', async () => {
    const id = await send(
      'offers@sender.test',
      [`alice@${DOMAIN}`, `bob@${DOMAIN}`, `carol@${DOMAIN}`],
      spam('spam-1', SPAMMER),
    );

    // alice: the domain's policy, tagged.
    const alice = await stack.tenantSink.waitFor(copyFor(`alice@${DOMAIN}`, 'spam-1'), 60_000);
    expect(headersOf(alice.raw)).toMatch(/^X-Torii-Spam-Check: \d+\.\d\d%/m);
    expect(Number(/^X-Torii-Spam-Check: ([\d.]+)%/m.exec(headersOf(alice.raw))?.[1])).toBeGreaterThanOrEqual(
      90,
    );
    expect((await simpleParser(alice.raw)).subject).toBe(`[SPAM!!] ${SUBJECT}`);

    // bob: quarantined, in his box; carol: deleted by her block list. Neither reaches the tenant's server.
    const states = await eventually(
      async () => {
        const s = await statesOf(id);
        return s[`bob@${DOMAIN}`] === 'quarantined' && s[`carol@${DOMAIN}`] === 'dropped' ? s : undefined;
      },
      30_000,
      'bob quarantined and carol dropped',
    );
    expect(states[`alice@${DOMAIN}`]).toBe('delivered');
    const items = await eventually(
      async () => {
        const list = await spamApi<{ items: { subject: string }[] }>(
          'GET',
          `/quarantine/addresses/bob@${DOMAIN}/items`,
        );
        return list.items.length > 0 ? list.items : undefined;
      },
      30_000,
      "bob's quarantine item",
    );
    expect(items).toEqual([expect.objectContaining({ subject: SUBJECT })]);
    const carolItems = await spamApi<{ items: unknown[] }>(
      'GET',
      `/quarantine/addresses/carol@${DOMAIN}/items`,
    );
    expect(carolItems.items).toEqual([]);
    expect(stack.tenantSink.messages.some(copyFor(`bob@${DOMAIN}`, 'spam-1'))).toBe(false);
    expect(stack.tenantSink.messages.some(copyFor(`carol@${DOMAIN}`, 'spam-1'))).toBe(false);
    // Deleted silently: no DSN to the envelope sender.
    expect(stack.internetSink.messages.some((m) => m.envelope.rcptTo.includes('offers@sender.test'))).toBe(
      false,
    );
  });

  it('delivers the same spam untagged from an allow-listed, SPF-authenticated sender', async () => {
    await send(`news@${PARTNER}`, [`alice@${DOMAIN}`, `bob@${DOMAIN}`], spam('allowed-1', `news@${PARTNER}`));
    const alice = await stack.tenantSink.waitFor(copyFor(`alice@${DOMAIN}`, 'allowed-1'), 60_000);
    const bob = await stack.tenantSink.waitFor(copyFor(`bob@${DOMAIN}`, 'allowed-1'), 30_000);
    for (const copy of [alice, bob]) expect((await simpleParser(copy.raw)).subject).toBe(SUBJECT);
    // Still scored as spam: the allow entry, not the score, let it through (SPF passed at the edge).
    expect(Number(/^X-Torii-Spam-Check: ([\d.]+)%/m.exec(headersOf(alice.raw))?.[1])).toBeGreaterThanOrEqual(
      90,
    );
    expect(headersOf(alice.raw)).toMatch(/spf=pass/);

    // The partner's From forged from elsewhere (SPF of another domain): the allow entry does not count.
    await send('someone@sender.test', [`alice@${DOMAIN}`], spam('forged-1', `news@${PARTNER}`));
    const forged = await stack.tenantSink.waitFor(copyFor(`alice@${DOMAIN}`, 'forged-1'), 60_000);
    expect((await simpleParser(forged.raw)).subject).toBe(`[SPAM!!] ${SUBJECT}`);
  });

  it('drops mail of a block-listed sender without delivery or DSN', async () => {
    const id = await send(
      'pest@sender.test',
      [`alice@${DOMAIN}`, `bob@${DOMAIN}`],
      spam('blocked-1', 'pest@sender.test'),
    );
    await eventually(
      async () => Object.values(await statesOf(id)).every((s) => s === 'dropped'),
      30_000,
      'every recipient dropped',
    );
    await sleep(1_500);
    expect(stack.tenantSink.messages.some((m) => m.messageId === 'blocked-1@e2e.test')).toBe(false);
    expect(stack.internetSink.messages.some((m) => m.envelope.rcptTo.includes('pest@sender.test'))).toBe(
      false,
    );
    const box = await spamApi<{ items: unknown[] }>('GET', `/quarantine/addresses/bob@${DOMAIN}/items`);
    expect(box.items).toHaveLength(1);
  });

  it('refuses a user’s token on spam-filter once the user signed out or was deleted (asked of the tenant service)', async () => {
    const users = `/v1/tenants/${tenantId}/users`;
    const userOf = (name: string) =>
      stack.api<{ id: string }>(stack.tenant, 'POST', users, {
        token,
        body: { email: `${name}@${DOMAIN}`, password: `${name}-password`, role: 'user' },
        expect: 201,
      });
    const listsOf = (name: string) => `${base}/addresses/${name}@${DOMAIN}/lists/block`;

    // Signed out at the tenant service after spam-filter cached alice's session: the next login works there at
    // once (its newer session version makes spam-filter ask again), and the signed-out token is refused.
    await userOf('alice');
    const signedOut = await stack.login(`alice@${DOMAIN}`, 'alice-password');
    await stack.api(stack.spamFilter!, 'GET', listsOf('alice'), { token: signedOut, expect: 200 });
    await stack.api(stack.tenant, 'POST', '/v1/auth/logout', { token: signedOut, expect: 204 });
    const next = await stack.login(`alice@${DOMAIN}`, 'alice-password');
    await stack.api(stack.spamFilter!, 'GET', listsOf('alice'), { token: next, expect: 200 });
    await stack.api(stack.spamFilter!, 'GET', listsOf('alice'), { token: signedOut, expect: 401 });

    // Deleted: the token is refused by spam-filter and delivery alike.
    const bob = await userOf('bob');
    const last = await stack.login(`bob@${DOMAIN}`, 'bob-password');
    await stack.api(stack.tenant, 'DELETE', `${users}/${bob.id}`, { token, expect: 204 });
    await stack.api(stack.spamFilter!, 'GET', listsOf('bob'), { token: last, expect: 401 });
    await stack.api(stack.delivery, 'GET', `/v1/tenants/${tenantId}/messages/01ARZ3NDEKTSV4RRFFQ69G5FAV`, { token: last, expect: 401 });
    // The admin's own token is untouched.
    await spamApi('GET', '/policy', undefined, 200);
  });
});
