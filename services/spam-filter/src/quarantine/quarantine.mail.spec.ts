import { simpleParser } from 'mailparser';
import { composeDigest, composeWarning } from './quarantine.mail';

const base = { brand: 'Torii', gatewayHostname: 'gw.torii.test', to: 'erin@example.test', submitId: 'w1', now: new Date('2026-11-28T00:00:00Z') };

describe('composeWarning', () => {
  it.each([
    [40_000_000, 50_000_000, '80% full: 40.0 MB of 50.0 MB'],
    [4_000, 5_000, '80% full: 4 kB of 5 kB'],
    [85_000, 100_000, '85% full: 85 kB of 0.1 MB'],
  ])('%d of %d bytes → "%s" (decimal units, as plans count them)', async (usedBytes, quotaBytes, expected) => {
    const mail = await simpleParser(await composeWarning({ ...base, usedBytes, quotaBytes }));
    expect(mail.text).toContain(expected);
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
  });
});

describe('composeDigest', () => {
  const line = { sender: 'offers@spam.example', subject: 'FREE', date: base.now, scorePercent: 99.5, releaseUrl: 'https://gw.torii.test/r/1' };

  it('offers "allow sender" with each message while the box\'s allow list counts', async () => {
    const mail = await simpleParser(await composeDigest({ ...base, lines: [{ ...line, allowUrl: 'https://gw.torii.test/a/1' }], more: 0, restUrl: 'https://gw.torii.test/box' }));
    expect(mail.text).toContain('Allow sender / 送信者を許可: https://gw.torii.test/a/1');
    expect(mail.html).toContain('href="https://gw.torii.test/a/1"');
  });

  it('offers no "allow sender" while it is inactive (the domain\'s rules come first, SPAM9)', async () => {
    const mail = await simpleParser(await composeDigest({ ...base, lines: [line], more: 0, restUrl: 'https://gw.torii.test/box' }));
    expect(mail.text).toContain('Release / 配信: https://gw.torii.test/r/1');
    expect(mail.text).not.toContain('Allow sender');
    expect(mail.html).not.toContain('Allow sender');
  });
});
