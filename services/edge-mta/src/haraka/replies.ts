import { DSN } from './haraka-types';

/** Every refusal the edge gives, in one place, so tests and docs quote the same text. */
export const Replies = {
  relayDenied: () => new DSN(550, '5.7.1', 'Relaying denied'),
  relayNotAuthorized: () => new DSN(550, '5.7.1', 'Relay access denied: not a registered server of this sender domain'),
  /**
   * To a registered server's own IP the reason is told (it is the tenant's server; it helps its admin):
   * the PTR check, a sender of another domain, a suspended domain.
   */
  relayRefused: (reason: 'ptr-mismatch' | 'foreign-sender' | 'suspended', ptrNames: readonly string[] = []) =>
    new DSN(
      550,
      '5.7.1',
      reason === 'ptr-mismatch'
        ? `Relay access denied: the reverse DNS of this address (${ptrNames.length ? ptrNames.slice(0, 3).join(', ') : 'none, or not forward-confirmed'}) is not the registered server name`
        : reason === 'foreign-sender'
          ? 'Relay access denied: the sender domain is not a domain of this server'
          : 'Relay access denied: the domain is suspended',
    ),
  /** RFC 5321 §3.3: MAIL while a transaction is open (send RSET first). */
  nestedMail: () => new DSN(503, '5.5.1', 'Nested MAIL command: send RSET before starting another transaction'),
  /**
   * A bare LF (no CR before it) in DATA. Refused, as Haraka does, because it is how SMTP smuggling hides a second
   * message; but permanently (Haraka says 451): the same software sends the same bytes on every retry. 5.5.2
   * (syntax) as Postfix says it: the lines of the SMTP data break RFC 5321 §2.3.8, not the message's media.
   */
  bareLineFeed: () =>
    new DSN(550, '5.5.2', 'Bare line feed (LF without CR) in the message: SMTP lines end with CRLF (RFC 5321 2.3.8); a retry will fail the same way'),
  /** A bare CR (not followed by LF) in DATA: it hides header and boundary lines from the checks (RFC 5321 §2.3.8). */
  bareCarriageReturn: () =>
    new DSN(550, '5.5.2', 'Bare carriage return (CR without LF) in the message: SMTP lines end with CRLF (RFC 5321 2.3.8); a retry will fail the same way'),
  /** RFC 6531: a non-ASCII address in MAIL or RCPT needs the SMTPUTF8 parameter on MAIL. */
  nonAsciiAddress: () =>
    new DSN(553, '5.6.7', 'Non-ASCII address without SMTPUTF8: send MAIL FROM with the SMTPUTF8 parameter (RFC 6531)'),
  userUnknown: () => new DSN(550, '5.1.1', 'User unknown'),
  suspended: () => new DSN(450, '4.7.1', 'Domain temporarily not accepting mail'),
  otherTenant: () => new DSN(452, '4.5.3', 'Too many recipients: send recipients of this domain in a separate transaction'),
  noServer: () => new DSN(451, '4.4.4', 'No mail server is registered for this domain yet, try again later'),
  tooManyRecipients: () => new DSN(452, '4.5.3', 'Too many recipients'),
  directoryUnavailable: () => new DSN(451, '4.3.0', 'Directory temporarily unavailable, try again later'),
  dnsFailure: () => new DSN(451, '4.4.3', 'Temporary DNS failure, try again later'),
  tooBig: () => new DSN(552, '5.3.4', 'Message size exceeds fixed maximum message size'),
  queueFailed: () => new DSN(451, '4.3.0', 'Temporary storage failure, try again later'),
  hookTimeout: () => new DSN(451, '4.3.0', 'Temporary local problem, try again later'),
  spoolFull: () => new DSN(452, '4.3.1', 'Insufficient system storage, try again later'),
  /** SPAM14 by mail: the feedback addresses take reports only from the tenant's own server, relayed. */
  feedbackInbound: () =>
    new DSN(550, '5.7.1', 'The feedback address takes reports only from your own mail server, relayed through the relay (smart host) port'),
  feedbackSender: (sender: string) =>
    new DSN(550, '5.7.1', `Feedback not accepted: ${sender ? `<${sender}>` : 'the null sender'} is not a registered address of this domain`),
  feedbackNotSubscribed: () => new DSN(550, '5.7.1', 'Feedback not accepted: this domain does not subscribe to spam filtering'),
  feedbackMixed: () =>
    new DSN(452, '4.5.3', 'A feedback report goes in a transaction of its own: one feedback address, no other recipients'),
  queued: (id: string) => new DSN(250, '2.0.0', `Ok queued as ${id}`),
} as const;
