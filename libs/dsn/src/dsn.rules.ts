/**
 * Failure and delay DSNs (RFC 3464 multipart/report with message/delivery-status; RFC 3461
 * NOTIFY/RET/ENVID/ORCPT), hand-written so every byte is under our control and covered by golden tests.
 * Pure: the caller supplies ids, clock and the returned content.
 */
import { rfc5322Date } from '@torii/mime';

export interface DsnRecipient {
  address: string;
  /** NOTIFY conditions in lowercase ("success", "failure", "delay", "never"); empty = the default (failure). */
  notify: readonly string[];
  /** ORCPT as given, e.g. "rfc822;User@Example.com"; empty when absent. */
  orcpt: string;
  /** RFC 3463 status, e.g. "5.1.1". */
  status: string;
  /** `dns;mx.example.com`-style host the reply came from; empty when no server answered. */
  remoteMta: string;
  /** The remote reply as one line, e.g. "550 5.1.1 User unknown"; empty when there was none. */
  diagnostic: string;
  lastAttemptAt: Date;
}

export type DsnReturnMode = 'full' | 'hdrs' | 'unspecified';

export interface DsnInput {
  /** Our host name: Reporting-MTA and the MAILER-DAEMON address. */
  reportingMta: string;
  /** The envelope sender of the failed message; empty for `<>` (never answered). */
  mailFrom: string;
  envid: string;
  ret: DsnReturnMode;
  arrivalDate: Date;
  recipients: readonly DsnRecipient[];
  /** Message-ID of the DSN itself (without brackets) and the MIME boundary seed. */
  dsnId: string;
  now: Date;
  brand: string;
}

/** Whether a failure of this recipient is reported (RFC 3461 §4.1). */
export function wantsFailureNotice(notify: readonly string[]): boolean {
  if (notify.length === 0) return true;
  if (notify.includes('never')) return false;
  return notify.includes('failure');
}

/**
 * Whether a delay of this recipient is reported: when DELAY was asked for, or when no NOTIFY was given
 * (RFC 3461 §4.1 lets the MTA choose then; SEC2 wants the sender warned).
 */
export function wantsDelayNotice(notify: readonly string[]): boolean {
  if (notify.length === 0) return true;
  return notify.includes('delay') && !notify.includes('never');
}

/** Which recipients a delay DSN reports: never to the null sender, only those wanting a delay notice. */
export function delayDsnRecipients(mailFrom: string, recipients: readonly DsnRecipient[]): DsnRecipient[] {
  if (mailFrom.trim() === '') return [];
  return recipients.filter((r) => wantsDelayNotice(r.notify));
}

/**
 * Which recipients a failure DSN reports, or none at all: never for the null sender (RFC 3461 §6.2, no
 * bounce loops), never for NOTIFY=NEVER, and not when NOTIFY was given without FAILURE.
 */
export function failureDsnRecipients(mailFrom: string, recipients: readonly DsnRecipient[]): DsnRecipient[] {
  if (mailFrom.trim() === '') return [];
  return recipients.filter((r) => wantsFailureNotice(r.notify));
}

/** RET=FULL returns the whole message unless it is larger than this; then headers only. */
export const DEFAULT_FULL_RETURN_LIMIT = 1024 * 1024;

/** What the DSN returns of the original: headers only unless RET=FULL and small enough. */
export function returnMode(ret: DsnReturnMode, size: number, fullLimit = DEFAULT_FULL_RETURN_LIMIT): 'full' | 'headers' {
  return ret === 'full' && size <= fullLimit ? 'full' : 'headers';
}

export type ReturnedContent = { type: 'full'; message: Buffer } | { type: 'headers'; headers: Buffer };

const CRLF = '\r\n';

export interface DelayDsnInput extends DsnInput {
  /** Until when we keep trying (Will-Retry-Until, and the human text). */
  willRetryUntil: Date;
}

/** The failure DSN as a complete RFC 5322 message (CRLF line ends), or null when nothing may be sent. */
export function composeFailureDsn(input: DsnInput, returned: ReturnedContent): Buffer | null {
  const recipients = failureDsnRecipients(input.mailFrom, input.recipients);
  if (recipients.length === 0) return null;
  return composeReport(input, recipients, returned, {
    subject: 'Undelivered Mail Returned to Sender',
    explanation: [
      `Your message could not be delivered to one or more recipients.`,
      `It was not accepted by the receiving server, or could not be delivered at all.`,
    ],
    action: 'failed',
    returnedDescription: 'Undelivered Message Headers',
  });
}

/**
 * The delay DSN ("still trying") as a complete message, or null when nothing may be sent: the null sender,
 * NOTIFY=NEVER, and NOTIFY without DELAY get none. Statuses should be 4.x.x (the caller's last reply).
 */
export function composeDelayDsn(input: DelayDsnInput, returned: ReturnedContent): Buffer | null {
  const recipients = delayDsnRecipients(input.mailFrom, input.recipients);
  if (recipients.length === 0) return null;
  return composeReport(input, recipients, returned, {
    subject: 'Delayed Mail (still being retried)',
    explanation: [
      `Your message could not be delivered yet to one or more recipients.`,
      `The receiving server is not reachable or answered with a temporary error.`,
      `Delivery will be tried again until ${rfc5322Date(input.willRetryUntil)}; you do not need to resend it.`,
    ],
    action: 'delayed',
    willRetryUntil: input.willRetryUntil,
    returnedDescription: 'Delayed Message Headers',
  });
}

interface ReportKind {
  subject: string;
  explanation: string[];
  action: 'failed' | 'delayed';
  willRetryUntil?: Date;
  /** Content-Description of the returned headers part. */
  returnedDescription: string;
}

function composeReport(input: DsnInput, recipients: DsnRecipient[], returned: ReturnedContent, kind: ReportKind): Buffer {
  const boundary = `=_torii_dsn_${input.dsnId.replace(/[^A-Za-z0-9]/g, '')}`;
  const daemon = `MAILER-DAEMON@${input.reportingMta}`;

  const head = [
    `From: Mail Delivery System <${daemon}>`,
    `To: <${input.mailFrom}>`,
    `Subject: ${kind.subject}`,
    `Date: ${rfc5322Date(input.now)}`,
    `Message-ID: <${input.dsnId}@${input.reportingMta}>`,
    `Auto-Submitted: auto-replied`,
    `MIME-Version: 1.0`,
    `Content-Type: multipart/report; report-type=delivery-status;${CRLF}\tboundary="${boundary}"`,
  ];

  const human = [
    `This is the mail system at host ${input.reportingMta}.`,
    ``,
    ...kind.explanation,
    ``,
    ...recipients.map((r) => `<${r.address}>: ${publicDiagnostic(r.diagnostic).text || `status ${r.status}`}`),
    ``,
    `-- ${input.brand} mail gateway`,
  ];

  const perMessage = [
    `Reporting-MTA: dns;${input.reportingMta}`,
    ...(input.envid ? [`Original-Envelope-Id: ${input.envid}`] : []),
    `Arrival-Date: ${rfc5322Date(input.arrivalDate)}`,
  ];
  const perRecipient = recipients.map((r) =>
    [
      `Final-Recipient: rfc822;${r.address}`,
      ...(r.orcpt ? [`Original-Recipient: ${normaliseOrcpt(r.orcpt)}`] : []),
      `Action: ${kind.action}`,
      `Status: ${r.status}`,
      ...(r.remoteMta ? [`Remote-MTA: dns;${r.remoteMta}`] : []),
      ...(r.diagnostic ? [diagnosticCodeField(r.diagnostic, r.remoteMta)] : []),
      `Last-Attempt-Date: ${rfc5322Date(r.lastAttemptAt)}`,
      ...(kind.willRetryUntil ? [`Will-Retry-Until: ${rfc5322Date(kind.willRetryUntil)}`] : []),
    ].join(CRLF),
  );

  const chunks: Buffer[] = [
    Buffer.from(head.join(CRLF) + CRLF + CRLF),
    Buffer.from(`This is a MIME-encapsulated message.${CRLF}${CRLF}`),
    Buffer.from(`--${boundary}${CRLF}Content-Type: text/plain; charset=us-ascii${CRLF}Content-Description: Notification${CRLF}${CRLF}`),
    Buffer.from(human.join(CRLF) + CRLF + CRLF),
    Buffer.from(`--${boundary}${CRLF}Content-Type: message/delivery-status${CRLF}Content-Description: Delivery report${CRLF}${CRLF}`),
    Buffer.from([perMessage.join(CRLF), ...perRecipient].join(CRLF + CRLF) + CRLF + CRLF),
  ];
  if (returned.type === 'full') {
    chunks.push(Buffer.from(`--${boundary}${CRLF}Content-Type: message/rfc822${CRLF}Content-Description: Undelivered Message${CRLF}${CRLF}`));
    chunks.push(returned.message);
  } else {
    chunks.push(
      Buffer.from(`--${boundary}${CRLF}Content-Type: text/rfc822-headers${CRLF}Content-Description: ${kind.returnedDescription}${CRLF}${CRLF}`),
    );
    chunks.push(returned.headers);
  }
  const last = chunks[chunks.length - 1];
  const endsWithNewline = last.length > 0 && last[last.length - 1] === 0x0a;
  chunks.push(Buffer.from(`${endsWithNewline ? '' : CRLF}${CRLF}--${boundary}--${CRLF}`));
  return Buffer.concat(chunks);
}

/** `rfc822;addr` stays as given (RFC 3464 §2.3.1 wants the original); a bare address gets the type. */
function normaliseOrcpt(orcpt: string): string {
  return orcpt.includes(';') ? orcpt : `rfc822;${orcpt}`;
}

/** The header section of a raw message (up to and including the blank line), for RET=HDRS. */
export function headerSection(raw: Buffer): Buffer {
  const crlf = raw.indexOf('\r\n\r\n');
  if (crlf !== -1) return raw.subarray(0, crlf + 2);
  const lf = raw.indexOf('\n\n');
  if (lf !== -1) return raw.subarray(0, lf + 1);
  return raw;
}

/** Network failures (no SMTP reply at all), by the error codes Node and nodemailer put in their messages. */
const NETWORK_FAILURES: readonly [RegExp, string][] = [
  [/ECONNREFUSED|connection refused/i, 'connection refused by the receiving server'],
  [/ETIMEDOUT|ESOCKETTIMEDOUT|timed? ?out/i, 'no answer from the receiving server in time'],
  [/ENOTFOUND|EAI_AGAIN|EAI_NONAME|ENODATA|NXDOMAIN|SERVFAIL/i, 'the receiving server was not found in DNS'],
  [/EHOSTUNREACH|ENETUNREACH|EHOSTDOWN|ENETDOWN/i, 'the receiving server could not be reached'],
  [/ECONNRESET|EPIPE|socket hang up|connection (?:closed|lost)|unexpected close/i, 'the receiving server closed the connection'],
  [/TLS|SSL|certificate|handshake/i, 'the TLS handshake with the receiving server failed'],
  [/ESOCKET|ECONNECTION|EPROTOCOL/i, 'the connection to the receiving server failed'],
];

/**
 * What a DSN tells the sender about one recipient's last attempt. An SMTP reply ("451 4.3.0 …") is passed on as
 * it came, as `smtp` (RFC 3464 §2.3.6). Anything else is no SMTP reply at all: a connection refused, a timeout, a
 * DNS failure. It was written into the DSN as `smtp;Error: connect ECONNREFUSED 10.1.2.3:25`, which is not an
 * SMTP reply and told an outside sender the address and port of the tenant's own server (the server Torii stands
 * in front of). It now says what happened in words, as `X-Torii`, with any address left out. A reply in SMTP form
 * that no server gave (`remoteMta` empty: the gateway's own, such as "550 5.1.2 domain … does not exist" when the
 * recipient's domain has no mail server) is passed on as it is, but as `X-Torii`.
 */
export function publicDiagnostic(diagnostic: string, remoteMta?: string): { type: 'smtp' | 'X-Torii'; text: string } {
  const line = diagnostic.replace(/\s+/g, ' ').trim();
  if (line === '') return { type: 'smtp', text: line };
  if (/^[2-5]\d\d(?:[ -]|$)/.test(line)) return { type: remoteMta === '' ? 'X-Torii' : 'smtp', text: line };
  for (const [pattern, words] of NETWORK_FAILURES) if (pattern.test(line)) return { type: 'X-Torii', text: words };
  return { type: 'X-Torii', text: withoutAddresses(line) };
}

function diagnosticCodeField(diagnostic: string, remoteMta: string): string {
  const { type, text } = publicDiagnostic(diagnostic, remoteMta);
  return `Diagnostic-Code: ${type};${type === 'smtp' ? '' : ' '}${text}`;
}

/** IPv4 and IPv6 addresses (with a port, brackets) replaced by "[address]". */
function withoutAddresses(text: string): string {
  return text
    .replace(/\[?\b(?:\d{1,3}\.){3}\d{1,3}\b\]?(?::\d+)?/g, '[address]')
    .replace(/\[?\b(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}\b\]?(?::\d+)?/gi, '[address]');
}
