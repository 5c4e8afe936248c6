// Haraka plugin: sender authentication with mailauth. SPF at MAIL FROM and DKIM/DMARC/ARC at the end of DATA;
// recorded for the event (and the Authentication-Results text delivery stamps), never a reason to refuse.
import { PassThrough } from 'node:stream';
import { Direction } from '@torii/contracts';
import { cont, runGuarded } from '../haraka/guarded-hook';
import type { HarakaAddress, HarakaConnection, HarakaNext } from '../haraka/haraka-types';
import { transactionState } from '../haraka/session';
import { edgeRuntime } from '../runtime';

export function hook_mail(next: HarakaNext, connection: HarakaConnection, params: [HarakaAddress, Record<string, string | null>]): void {
  const runtime = edgeRuntime();
  const transaction = connection.transaction;
  // Outbound mail comes from the tenant's own server: SPF of our tenant says nothing useful.
  if (!transaction || transactionState(transaction, runtime.config.MAX_MESSAGE_BYTES).direction === Direction.OUTBOUND) return next();
  runGuarded(
    next,
    async () => {
      const state = transactionState(transaction, runtime.config.MAX_MESSAGE_BYTES);
      state.spf = await runtime.auth.checkSpf(facts(connection, params[0]));
      return cont();
    },
    { timeoutMs: runtime.config.DNS_TIMEOUT * 2, log: (m) => connection.logwarn(m) },
  );
}

export function hook_data_post(next: HarakaNext, connection: HarakaConnection): void {
  const runtime = edgeRuntime();
  const transaction = connection.transaction;
  if (!transaction) return next();
  const state = transactionState(transaction, runtime.config.MAX_MESSAGE_BYTES);
  if (state.direction === Direction.OUTBOUND) return next();
  runGuarded(
    next,
    async () => {
      const message = new PassThrough();
      transaction.message_stream.pipe(message);
      state.auth = await runtime.auth.authenticate(message, facts(connection, transaction.mail_from));
      return cont();
    },
    { timeoutMs: runtime.config.DNS_TIMEOUT * 4, log: (m) => connection.logwarn(m) },
  );
}

function facts(connection: HarakaConnection, from: HarakaAddress | null) {
  return {
    ip: connection.remote.ip,
    helo: connection.hello.host ?? '',
    sender: from && !from.isNull() ? from.address : '',
  };
}
