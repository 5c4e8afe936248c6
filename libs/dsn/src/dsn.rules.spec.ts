import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  composeDelayDsn,
  composeFailureDsn,
  delayDsnRecipients,
  failureDsnRecipients,
  headerSection,
  publicDiagnostic,
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

describe('publicDiagnostic (what a DSN tells the sender about the last attempt)', () => {
  it.each([
    ['550 5.1.1 User unknown', 'smtp', '550 5.1.1 User unknown'],
    ['451-4.3.0 try again', 'smtp', '451-4.3.0 try again'],
    ['Error: connect ECONNREFUSED 127.0.0.1:2599', 'X-Torii', 'connection refused by the receiving server'],
    ['connect: ECONNREFUSED', 'X-Torii', 'connection refused by the receiving server'],
    ['Connection timeout', 'X-Torii', 'no answer from the receiving server in time'],
    ['queryMx ENOTFOUND mx.example.net', 'X-Torii', 'the receiving server was not found in DNS'],
    ['connect EHOSTUNREACH 10.0.0.7:25', 'X-Torii', 'the receiving server could not be reached'],
    ['read ECONNRESET', 'X-Torii', 'the receiving server closed the connection'],
    ['certificate has expired', 'X-Torii', 'the TLS handshake with the receiving server failed'],
    ['connect: ESOCKET', 'X-Torii', 'the connection to the receiving server failed'],
    ['weird failure at 192.168.1.20:2525 and [2001:db8::5]:25', 'X-Torii', 'weird failure at [address] and [address]'],
    ['', 'smtp', ''],
  ])('%j → %s; %j', (diagnostic, type, text) => expect(publicDiagnostic(diagnostic)).toEqual({ type, text }));

  it('a reply in SMTP form that no server gave (no Remote-MTA) is the gateway\'s own: X-Torii, not smtp', () => {
    expect(publicDiagnostic('550 5.1.2 domain example.net does not exist', '')).toEqual({ type: 'X-Torii', text: '550 5.1.2 domain example.net does not exist' });
    expect(publicDiagnostic('550 5.1.1 User unknown', 'mx.example.net')).toEqual({ type: 'smtp', text: '550 5.1.1 User unknown' });
    const raw = composeFailureDsn(
      input({ recipients: [rcpt({ status: '5.1.2', remoteMta: '', diagnostic: '550 5.1.2 domain example.net does not exist' })] }),
      { type: 'headers', headers: headerSection(original) },
    )!.toString('latin1');
    expect(raw).toContain('Diagnostic-Code: X-Torii; 550 5.1.2 domain example.net does not exist');
  });

  it('keeps the tenant server\'s address out of the report, and says no SMTP reply came', () => {
    const raw = composeFailureDsn(
      input({ recipients: [rcpt({ status: '5.4.7', remoteMta: '', diagnostic: 'Error: connect ECONNREFUSED 10.20.30.40:25' })] }),
      { type: 'headers', headers: headerSection(original) },
    )!.toString('latin1');
    expect(raw).toContain('Diagnostic-Code: X-Torii; connection refused by the receiving server');
    expect(raw).toContain('connection refused by the receiving server');
    expect(raw).not.toContain('10.20.30.40');
    expect(raw).not.toContain('smtp;Error');
  });
});
