import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  composeDelayDsn,
  composeFailureDsn,
  delayDsnRecipients,
  failureDsnRecipients,
  headerSection,
  returnMode,
  type DsnInput,
  type DsnRecipient,
} from './dsn.rules';

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

describe('delay DSN', () => {
  const delayed = (over: Partial<DsnInput> = {}) => ({
    ...input({ ret: 'hdrs', recipients: [rcpt({ status: '4.4.1', remoteMta: '', diagnostic: 'connect: ECONNREFUSED' })], ...over }),
    willRetryUntil: new Date('2025-06-08T10:00:00Z'),
  });

  it('matches the golden report (Action: delayed, Will-Retry-Until, headers returned)', () => {
    golden('dsn-delay.eml', composeDelayDsn(delayed(), { type: 'headers', headers: headerSection(original) })!);
  });

  it('carries Auto-Submitted and is never sent to the null sender', () => {
    const raw = composeDelayDsn(delayed(), { type: 'headers', headers: headerSection(original) })!.toString();
    expect(raw).toContain('Auto-Submitted: auto-replied');
    expect(composeDelayDsn(delayed({ mailFrom: '' }), { type: 'headers', headers: original })).toBeNull();
  });

  it.each([
    [[], true],
    [['delay'], true],
    [['failure', 'delay'], true],
    [['failure'], false],
    [['success'], false],
    [['never'], false],
  ])('NOTIFY=%j wants a delay notice: %s', (notify, wanted) => {
    expect(delayDsnRecipients('alice@sender.test', [rcpt({ notify })]).length === 1).toBe(wanted);
  });
});
