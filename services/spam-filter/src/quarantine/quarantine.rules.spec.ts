import {
  MB,
  admit,
  bareAddress,
  defaultQuotaBytes,
  digestDue,
  domainCapacityBytes,
  escapeHtml,
  expiresAt,
  headerFields,
  quotaFits,
  signLink,
  verifyLink,
  warnedAfterRemoval,
  withResentFields,
} from './quarantine.rules';

describe('capacity and quota (B1, SPAM11)', () => {
  it.each([
    [{ quarantineCapacityBytes: String(150 * MB) }, 10, 150 * MB],
    [{}, 10, 50 * MB],
    [undefined, 20, 100 * MB],
    [{ quarantineCapacityBytes: 'junk' }, 30, 150 * MB],
  ] as const)('%j with %i addresses → %i', (settings, plan, expected) => {
    expect(domainCapacityBytes(settings as Record<string, string> | undefined, plan)).toBe(expected);
  });

  it('shares the capacity evenly by default and keeps the set quotas within it', () => {
    expect(defaultQuotaBytes(50 * MB, 10)).toBe(5 * MB);
    expect(quotaFits(50 * MB, [20 * MB, 20 * MB], 10 * MB)).toBe(true);
    expect(quotaFits(50 * MB, [20 * MB, 20 * MB], 10 * MB + 1)).toBe(false);
  });

  it.each([
    // used, size, quota, warned → admission
    [0, 10, 100, false, { kind: 'accept', warn: false, warned: false }],
    [70, 10, 100, false, { kind: 'accept', warn: true, warned: true }],
    [80, 10, 100, true, { kind: 'accept', warn: false, warned: true }],
    [90, 10, 100, true, { kind: 'accept', warn: false, warned: true }],
    [95, 10, 100, true, { kind: 'refuse' }],
    [0, 101, 100, false, { kind: 'refuse' }],
  ] as const)('used %i + %i of %i (warned %s)', (usedBytes, size, quotaBytes, warned, expected) => {
    expect(admit({ usedBytes, size, quotaBytes, warned })).toEqual(expected);
  });

  it('re-arms the warning below 80% only', () => {
    expect(warnedAfterRemoval(79, 100, true)).toBe(false);
    expect(warnedAfterRemoval(80, 100, true)).toBe(true);
    expect(warnedAfterRemoval(90, 100, false)).toBe(false);
  });
});

describe('retention and digests (SPAM12, SPAM13)', () => {
  it('expires after the retention days', () => {
    expect(expiresAt(new Date('2026-01-01T00:00:00Z'), 14).toISOString()).toBe('2026-01-15T00:00:00.000Z');
  });

  it.each([
    [null, null, false],
    [24, null, true],
    [24, '2026-01-01T00:00:00Z', false],
    [6, '2026-01-01T06:00:00Z', true],
  ] as const)('every %s h, last %s → due %s', (hours, last, due) => {
    expect(digestDue(hours, last ? new Date(last) : null, new Date('2026-01-01T12:00:00Z'))).toBe(due);
  });
});

describe('digest links', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const claims = { p: 'release' as const, i: 'item-1', a: 'bob@example.jp', e: now.getTime() / 1000 + 60 };

  it('verifies its own signature, purpose and expiry', () => {
    const token = signLink('secret-secret-secret', claims);
    const ok = verifyLink('secret-secret-secret', token, now);
    expect(ok).toMatchObject({ ok: true, claims: { p: 'release', i: 'item-1', a: 'bob@example.jp' } });
    expect(verifyLink('another-secret-secret', token, now)).toEqual({ ok: false, why: 'bad-signature' });
    expect(verifyLink('secret-secret-secret', token, new Date(now.getTime() + 61_000))).toEqual({ ok: false, why: 'expired' });
    expect(verifyLink('secret-secret-secret', 'nope', now)).toEqual({ ok: false, why: 'malformed' });
  });

  it('cannot be turned into another purpose', () => {
    const token = signLink('secret-secret-secret', claims);
    const [body, sig] = token.split('.');
    const forged = Buffer.from(Buffer.from(body, 'base64url').toString('utf8').replace('"release"', '"allow-sender"')).toString('base64url');
    expect(verifyLink('secret-secret-secret', `${forged}.${sig}`, now)).toEqual({ ok: false, why: 'bad-signature' });
  });

  it('gives each link its own single-use id', () => {
    const a = verifyLink('secret-secret-secret', signLink('secret-secret-secret', claims), now);
    const b = verifyLink('secret-secret-secret', signLink('secret-secret-secret', claims), now);
    expect(a.ok && b.ok && a.claims.j !== b.claims.j).toBe(true);
  });
});

describe('text helpers', () => {
  it('escapes HTML and extracts addresses and header fields', () => {
    expect(escapeHtml(`<img src="x" onerror='y'>&`)).toBe('&lt;img src=&quot;x&quot; onerror=&#39;y&#39;&gt;&amp;');
    expect(bareAddress('"Spam" <Bad@Example.COM>')).toBe('bad@example.com');
    expect(headerFields('Subject: a\r\n b\r\nFrom: x@y')).toEqual([
      { name: 'Subject', value: 'a b' },
      { name: 'From', value: 'x@y' },
    ]);
  });
});

describe('withResentFields (a forward names its forwarder, RFC 5322 §3.6.6)', () => {
  const r = { fromName: 'Acme API key k1', postmaster: 'postmaster@gw.test', to: 'x@outside.example', date: new Date('2026-12-08T01:02:03Z'), messageId: 'quarantine-forward-1@gw.test' };

  it('puts the block on top in the message\'s own line endings and leaves the message unchanged', () => {
    const crlf = Buffer.from('Subject: hi\r\n\r\nbody\r\n');
    expect(withResentFields(crlf, { ...r, from: 'bob@a.test' }).toString()).toBe(
      'Resent-Date: Tue, 08 Dec 2026 01:02:03 +0000\r\nResent-From: bob@a.test\r\nResent-To: x@outside.example\r\nResent-Message-ID: <quarantine-forward-1@gw.test>\r\nSubject: hi\r\n\r\nbody\r\n',
    );
    expect(withResentFields(Buffer.from('Subject: hi\n\nbody\n'), { ...r, from: 'bob@a.test' }).toString()).toMatch(/^Resent-Date: [^\r\n]+\nResent-From: bob@a\.test\nResent-To: [^\r\n]+\nResent-Message-ID: [^\r\n]+\nSubject: hi\n/);
  });

  it('names a postmaster for a principal without a usable address; nothing from the name can break the line', () => {
    for (const from of [undefined, 'bob@a.test\r\nBcc: y@evil.example', '"quoted"@a.test', 'no-at-sign']) {
      const lines = withResentFields(Buffer.from('Subject: hi\r\n\r\n'), { ...r, from, fromName: 'Acme user\r\nBcc: y@evil.example "x"' }).toString().split('\r\n');
      expect(lines[1]).toBe('Resent-From: "Acme user__Bcc: y@evil.example _x_" <postmaster@gw.test>');
      expect(lines[4]).toBe('Subject: hi');
    }
  });
});
