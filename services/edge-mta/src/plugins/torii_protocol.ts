// Haraka plugin: SMTP sequence rules that Haraka itself does not enforce.
//
// A second MAIL inside an open transaction: Haraka silently drops the first transaction and answers 250, so a
// client that skipped RSET would believe both envelopes stand. RFC 5321 §3.3 says MAIL starts a transaction
// only when none is open, and Postfix and Exim answer 503 5.5.1. Haraka has already reset the transaction when
// our MAIL hook runs, so the reset hook notes it and the MAIL hook refuses; the client must start again with a
// fresh MAIL (nothing had been accepted: a transaction ends with its DATA).
import type { HarakaConnection, HarakaNext } from '../haraka/haraka-types';
import { HookResult } from '../haraka/haraka-types';
import { Replies } from '../haraka/replies';
import { connectionState } from '../haraka/session';

interface ResultsReader {
  get(name: string): { action?: string } | undefined;
}

export function hook_reset_transaction(next: HarakaNext, connection: HarakaConnection): void {
  const results = (connection.transaction as { results?: ResultsReader } | null | undefined)?.results;
  const mailAccepted = results?.get('mail_from')?.action === 'accept';
  if (mailAccepted && /^MAIL\b/i.test(connection.current_line ?? '')) connectionState(connection).nestedMail = true;
  next();
}

export function hook_mail(next: HarakaNext, connection: HarakaConnection): void {
  const state = connectionState(connection);
  if (!state.nestedMail) return next();
  state.nestedMail = false;
  next(HookResult.DENY, Replies.nestedMail());
}
