// Haraka plugin: SMTP sequence rules that Haraka itself does not enforce.
//
// A second MAIL inside an open transaction: Haraka silently drops the first transaction and answers 250, so a
// client that skipped RSET would believe both envelopes stand. RFC 5321 §3.3 says MAIL starts a transaction
// only when none is open, and Postfix and Exim answer 503 5.5.1. Haraka has already reset the transaction when
// our MAIL hook runs, so the reset hook notes it and the MAIL hook refuses; the client must start again with a
// fresh MAIL (nothing had been accepted: a transaction ends with its DATA).
//
// A non-ASCII address in MAIL or RCPT when MAIL did not carry SMTPUTF8: 553 5.6.7 (RFC 6531). Haraka takes it
// (we advertise SMTPUTF8), and the message would be relayed as if it were plain ASCII.
//
// A bare LF in DATA: Haraka refuses it, which stops SMTP smuggling, but with a temporary `451 Bare line-feed`
// without enhanced code, so a broken sender retries for days. We answer 550 5.5.2 and close, the same refusal
// made permanent.
//
// A bare CR in DATA (a CR not followed by LF): Haraka takes it, and it hid a header from every check. The
// header rewriter and the scanners split lines on LF, so `X-Note: a<CR>Authentication-Results: …` was one
// header to them; delivery's SMTP client (nodemailer) turns each bare CR into CRLF when it sends, and the tenant
// received a forged Authentication-Results line, and could receive a MIME boundary the virus scan never saw.
// RFC 5321 §2.3.8: CR and LF only occur together. Refused the same way, 550 5.5.2.
import type { HarakaAddress, HarakaConnection, HarakaNext } from '../haraka/haraka-types';
import { HookResult } from '../haraka/haraka-types';
import { Replies } from '../haraka/replies';
import { connectionState, transactionState } from '../haraka/session';
import { countRefusal } from '../observability/edge-metrics';
import { edgeRuntime } from '../runtime';

interface ResultsReader {
  get(name: string): { action?: string } | undefined;
}

export function hook_reset_transaction(next: HarakaNext, connection: HarakaConnection): void {
  const results = (connection.transaction as { results?: ResultsReader } | null | undefined)?.results;
  const mailAccepted = results?.get('mail_from')?.action === 'accept';
  if (mailAccepted && /^MAIL\b/i.test(connection.current_line ?? '')) connectionState(connection).nestedMail = true;
  next();
}

export function hook_mail(next: HarakaNext, connection: HarakaConnection, params: [HarakaAddress, Record<string, string | null>]): void {
  const state = connectionState(connection);
  if (state.nestedMail) {
    state.nestedMail = false;
    return next(HookResult.DENY, Replies.nestedMail());
  }
  const [from, mailParams] = params;
  if (!from.isNull() && isNonAscii(from) && !('SMTPUTF8' in (mailParams ?? {}))) {
    countRefusal('non-ascii-address');
    return next(HookResult.DENY, Replies.nonAsciiAddress());
  }
  next();
}

export function hook_rcpt(next: HarakaNext, connection: HarakaConnection, params: [HarakaAddress, Record<string, string | null>]): void {
  const transaction = connection.transaction;
  if (!transaction || !isNonAscii(params[0])) return next();
  // torii_relay's MAIL hook keeps the MAIL parameters in the transaction state.
  if ('SMTPUTF8' in transactionState(transaction, edgeRuntime().config.MAX_MESSAGE_BYTES).mailParams) return next();
  countRefusal('non-ascii-address');
  next(HookResult.DENY, Replies.nonAsciiAddress());
}

/** `address` keeps the domain as sent (`host` is already the A-label), so a U-label domain counts too. */
function isNonAscii(address: HarakaAddress): boolean {
  return /[\u0080-\uffff]/.test(`${address.user ?? ''}@${address.address}`);
}

/** The part of Haraka's connection (3.3.4, connection.js) that reads DATA lines; none of it is a plugin API. */
interface DataLineReader {
  accumulate_data(line: Buffer): void;
  respond(code: number, message: unknown, then: () => void): void;
  disconnect(): void;
  lognotice(message: string): void;
}

const guarded = new WeakSet<object>();

/**
 * Haraka checks for a bare LF in `accumulate_data` before any hook sees the line, so this connection's
 * `accumulate_data` is wrapped once, at its first DATA: the same test as Haraka's, our reply, then Haraka's
 * own code for every other line.
 */
export function hook_data(next: HarakaNext, connection: HarakaConnection): void {
  const reader = connection as unknown as DataLineReader;
  if (!guarded.has(connection) && typeof reader.accumulate_data === 'function') {
    guarded.add(connection);
    const accumulate = reader.accumulate_data.bind(reader);
    reader.accumulate_data = (line: Buffer) => {
      if (line.length > 0 && line[line.length - 1] === 0x0a && (line.length < 2 || line[line.length - 2] !== 0x0d)) {
        reader.lognotice('client sent a bare line feed in DATA: 550 5.5.2');
        countRefusal('bare-lf');
        return reader.respond(550, Replies.bareLineFeed(), () => reader.disconnect());
      }
      if (hasBareCarriageReturn(line)) {
        reader.lognotice('client sent a bare carriage return in DATA: 550 5.5.2');
        countRefusal('bare-cr');
        return reader.respond(550, Replies.bareCarriageReturn(), () => reader.disconnect());
      }
      accumulate(line);
    };
  }
  next();
}

/** A CR anywhere in a DATA line but as the CR of its closing CRLF (Haraka hands over one LF-ended line at a time). */
export function hasBareCarriageReturn(line: Buffer): boolean {
  const cr = line.indexOf(0x0d);
  if (cr === -1) return false;
  const end = line.length - 2;
  return cr !== end || line[line.length - 1] !== 0x0a;
}
