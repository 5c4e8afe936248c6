import { simpleParser } from 'mailparser';
import { composeWarning } from './quarantine.mail';

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
