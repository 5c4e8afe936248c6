import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeFailureDsn, failureDsnRecipients, headerSection, returnMode, type DsnInput, type DsnRecipient } from './dsn.rules';

const original = Buffer.from(
  'From: <alice@sender.test>\r\nTo: <bob@tenant.test>\r\nSubject: hello\r\nMessage-ID: <m1@sender.test>\r\n\r\nBody line\r\n',
);
const rcpt = (over: Partial<DsnRecipient> = {}): DsnRecipient => ({
  address: 'bob@tenant.test',
  notify: [],
  orcpt: 'rfc822;Bob@Tenant.test',
  status: '5.1.1',
  remoteMta: 'mail.tenant.test',
  diagnostic: '550 5.1.1 User unknown',
  lastAttemptAt: new Date('2025-06-01T10:00:05Z'),
  ...over,
});
const input = (over: Partial<DsnInput> = {}): DsnInput => ({
  reportingMta: 'gw.torii.test',
  mailFrom: 'alice@sender.test',
  envid: 'ENV-42',
  ret: 'hdrs',
  arrivalDate: new Date('2025-06-01T10:00:00Z'),
  recipients: [rcpt()],
  dsnId: 'dsn-01J0000000',
  now: new Date('2025-06-01T10:00:06Z'),
  brand: 'Torii',
  ...over,
});

// Set UPDATE_GOLDEN=1 to rewrite the golden files after an intended change; review the diff.
function golden(name: string, actual: Buffer): void {
  const path = join(__dirname, '__golden__', name);
  if (process.env.UPDATE_GOLDEN) writeFileSync(path, actual);
  expect(actual.toString('latin1')).toBe(readFileSync(path).toString('latin1'));
}

describe('failure DSN', () => {
  it('matches the golden RET=HDRS report', () => {
    golden('dsn-hdrs.eml', composeFailureDsn(input(), { type: 'headers', headers: headerSection(original) })!);
  });

  it('matches the golden RET=FULL report', () => {
    golden('dsn-full.eml', composeFailureDsn(input({ ret: 'full', envid: '' }), { type: 'full', message: original })!);
  });

  it('is never sent to the null sender', () => {
    expect(composeFailureDsn(input({ mailFrom: '' }), { type: 'headers', headers: original })).toBeNull();
  });

  it.each([
    [[], true],
    [['failure'], true],
    [['failure', 'delay'], true],
    [['success'], false],
    [['delay'], false],
    [['never'], false],
  ])('NOTIFY %j → reported: %s', (notify, reported) => {
    expect(failureDsnRecipients('a@b.test', [rcpt({ notify })]).length).toBe(reported ? 1 : 0);
  });

  it.each([
    ['full', 100, 'full'],
    ['full', 5_000_000, 'headers'],
    ['hdrs', 100, 'headers'],
    ['unspecified', 100, 'headers'],
  ] as const)('RET=%s size %i → %s', (ret, size, mode) => expect(returnMode(ret, size)).toBe(mode));
});
