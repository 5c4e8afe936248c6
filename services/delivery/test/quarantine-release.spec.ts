import { Codecs, Direction, MailSubmitSchema, SpamAction, SpamVerdictSchema, Subjects, VerdictKind, create } from '@torii/contracts';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { DeliveryRepository } from '../src/persistence/delivery.repository';
import { eventually, newId, rawMessage, startHarness, type Harness } from './support/harness';

/**
 * A quarantine release (spam-filter's MailSubmit `quarantine-release`, the original's bytes with the sender hop's
 * trace fields rebuilt on top) gets the Authentication-Results the original's first pass got, from the original's
 * delivery row; forged ones in the copy still go.
 */
describe('quarantine release: the original Authentication-Results', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ VERDICT_TIMEOUT_SPAM: '10s' });
    await h.putDomain('spoofed.test', { services: { spam: { subscribed: true }, virus: { subscribed: false }, archive: { subscribed: false } } });
    await h.startApp();
  }, 60_000);
  afterAll(async () => h?.close());

  const status = (id: string) => h.app!.get(DeliveryRepository).findMessage(id);
  const spamVerdict = (messageId: string, recipients: { recipient: string; action: SpamAction }[]) =>
    h.publisher.publish(
      Subjects.verdictSpam,
      Codecs.spamVerdict,
      create(SpamVerdictSchema, { messageId, tenantId: 'tenant1', outcome: { kind: VerdictKind.SPAM }, headerValue: '97.00%', recipients }),
      { msgId: `${messageId}:spam` },
    );
  /** A delivered message's header fields in order, unfolded (the rewriter folds long ones its own way). */
  const fields = (raw: Buffer) =>
    raw
      .subarray(0, raw.indexOf('\r\n\r\n'))
      .toString('latin1')
      .split(/\r\n(?![ \t])/)
      .map((f) => f.replace(/\r\n(?=[ \t])/g, ''));
  /** Our Authentication-Results fields. */
  const ours = (raw: Buffer) => fields(raw).filter((f) => /^Authentication-Results: gw\.torii\.test;/i.test(f));

  /** What spam-filter submits for a release: the sender hop's trace fields rebuilt on top of the box's bytes. */
  const release = async (o: { tenantId?: string; related: string; to: string; raw: Buffer }) => {
    const submitId = `quarantine-release-${newId()}`;
    const bytes = Buffer.concat([
      Buffer.from(
        'Received-SPF: fail (gw.torii.test: SPF fail for bank.test from 192.0.2.7, when it arrived)\r\n\tclient-ip=192.0.2.7; receiver=gw.torii.test;\r\n' +
          'Received: from mx.sender.test (mx.sender.test [192.0.2.7])\r\n\tby edge.torii.test (Torii) with ESMTP id x\r\n\tfor <q@spoofed.test>;\r\n\tSun, 1 Jun 2025 10:00:00 +0000\r\n',
      ),
      o.raw,
    ]);
    const key = `submit/tenant1/${submitId}.eml`;
    const stored = await h.store.put(key, Readable.from([bytes]));
    const submit = create(MailSubmitSchema, {
      submitId,
      tenantId: o.tenantId ?? 'tenant1',
      origin: 'spam-filter',
      purpose: 'quarantine-release',
      relatedMessageId: o.related,
      direction: Direction.INBOUND,
      envelope: { mailFrom: 'ceo@bank.test', rcptTo: [{ address: o.to }] },
      bucket: h.store.bucket,
      objectKey: key,
      size: BigInt(stored.size),
      sha256: createHash('sha256').update(bytes).digest('hex'),
      domain: 'spoofed.test',
      bypass: ['audit'],
    });
    // spam-filter publishes the original verdict again for the release, "deliver" for the address.
    await spamVerdict(submitId, [{ recipient: o.to, action: SpamAction.DELIVER }]);
    await h.publisher.publish(Subjects.mailSubmit, Codecs.mailSubmit, submit, { msgId: submitId });
    return submitId;
  };

  const forged = 'Authentication-Results: gw.torii.test; dmarc=pass (forged)\r\nAuthentication-Results: other.example; dkim=pass\r\n';

  type Auth = Parameters<Harness['storeMessage']>[0]['auth'];

  /** A spoof to two addresses: quarantined for `q`, delivered to `ok` (what the first pass stamps). */
  const firstPass = async (id: string, q: string, ok: string, auth: Auth) => {
    const raw = rawMessage(id, forged);
    const event = await h.storeMessage({ domain: 'spoofed.test', from: 'ceo@bank.test', to: [q, ok], raw, auth });
    await h.publishReceived(event);
    await spamVerdict(event.messageId, [{ recipient: q, action: SpamAction.QUARANTINE }]);
    const delivered = await h.tenantSink.waitFor((m) => m.messageId === id && m.envelope.rcptTo.includes(ok), 15_000);
    await eventually(async () => (await status(event.messageId))?.recipients.find((r) => r.address === q)?.state === 'quarantined', 10_000, 'quarantined');
    return { event, raw, delivered };
  };

  it.each([
    [
      'the edge gave the header (another authserv-id, rewritten to ours)',
      {
        spf: { result: 'fail', domain: 'bank.test' },
        dmarc: { result: 'fail', domain: 'bank.test' },
        authenticationResultsHeader: 'edge.torii.test; spf=fail smtp.mailfrom=bank.test; dkim=none; dmarc=fail (p=reject) header.from=bank.test',
      },
      'gw.torii.test; spf=fail smtp.mailfrom=bank.test; dkim=none; dmarc=fail (p=reject) header.from=bank.test',
    ],
    [
      'built from the results (folded)',
      {
        spf: { result: 'softfail', domain: 'bank.test' },
        dkim: [{ result: 'fail', domain: 'bank.test', selector: 's1' }],
        dmarc: { result: 'fail', domain: 'bank.test' },
        arc: { result: 'none' },
      },
      'gw.torii.test; spf=softfail smtp.mailfrom=bank.test;\tdkim=fail header.d=bank.test header.s=s1;\tdmarc=fail header.from=bank.test;\tarc=none',
    ],
  ] as const)('a release carries the first pass\'s Authentication-Results: %s', async (name, auth, expected) => {
    const tag = name.startsWith('the edge') ? 'given' : 'built';
    const id = `spoof-${tag}@bank.test`;
    const { event, raw, delivered } = await firstPass(id, `q-${tag}@spoofed.test`, `ok-${tag}@spoofed.test`, auth as Auth);
    expect(ours(delivered.raw)).toEqual([`Authentication-Results: ${expected}`]);

    const submitId = await release({ related: event.messageId, to: `q-${tag}@spoofed.test`, raw });
    const got = await h.tenantSink.waitFor((m) => m.messageId === id && m.envelope.rcptTo.includes(`q-${tag}@spoofed.test`), 15_000);
    const text = got.raw.toString('latin1');
    // The same field as the first pass, on top as there (RFC 8601 §5), above our Received of the hand-over.
    expect(ours(got.raw)).toEqual(ours(delivered.raw));
    expect(fields(got.raw).slice(0, 2)).toEqual([
      `Authentication-Results: ${expected}`,
      expect.stringMatching(new RegExp(`^Received: from localhost \\(unknown \\[127\\.0\\.0\\.1\\]\\)\\s+by gw\\.torii\\.test \\(Torii\\) with ESMTP id ${submitId}`)),
    ]);
    // Forged results under our name are still removed; another server's stay.
    expect(text).not.toContain('(forged)');
    expect(text).toContain('\r\nAuthentication-Results: other.example; dkim=pass\r\n');
    // The rest as before: the released verdict, the rebuilt trace fields, the body as it was.
    expect(text).toContain('\r\nX-Torii-Spam-Check: 97.00%\r\n');
    expect(text).toContain('\r\nReceived-SPF: fail (gw.torii.test: SPF fail for bank.test');
    expect(got.raw.subarray(got.raw.indexOf('\r\n\r\n')).equals(raw.subarray(raw.indexOf('\r\n\r\n')))).toBe(true);
  });

  it('without the original\'s row (or another tenant\'s), a release carries none of ours, as before', async () => {
    const { event, raw } = await firstPass('spoof-other@bank.test', 'q-other@spoofed.test', 'ok-other@spoofed.test', { dmarc: { result: 'fail', domain: 'bank.test' } });
    await release({ related: 'no-such-message', to: 'q-gone@spoofed.test', raw });
    await release({ tenantId: 'tenant2', related: event.messageId, to: 'q-other@spoofed.test', raw });
    for (const to of ['q-gone@spoofed.test', 'q-other@spoofed.test']) {
      const got = await h.tenantSink.waitFor((m) => m.messageId === 'spoof-other@bank.test' && m.envelope.rcptTo.includes(to), 15_000);
      expect(ours(got.raw)).toEqual([]);
      expect(fields(got.raw)[0]).toMatch(/^Received: from localhost /);
      expect(got.raw.toString('latin1')).toContain('\r\nAuthentication-Results: other.example; dkim=pass\r\n');
    }
  });
});
