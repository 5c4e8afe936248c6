// Haraka plugin: SIZE (P8). Advertised in EHLO, checked against MAIL FROM's SIZE, and counted over DATA so a
// client that lies about SIZE also gets 552 5.3.4 (and nothing is stored). Haraka's own limit is off
// (connection.ini max.bytes=0) because it answers 550 without an enhanced code.
import type { HarakaConnection, HarakaNext, HarakaAddress } from '../haraka/haraka-types';
import { HookResult } from '../haraka/haraka-types';
import { Replies } from '../haraka/replies';
import { transactionState } from '../haraka/session';
import { countRefusal } from '../observability/edge-metrics';
import { edgeRuntime } from '../runtime';

export function hook_capabilities(next: HarakaNext, connection: HarakaConnection): void {
  const limit = edgeRuntime().config.MAX_MESSAGE_BYTES;
  const capabilities = (connection.capabilities ?? []).filter((c) => !/^SIZE\b/i.test(c));
  capabilities.push(`SIZE ${limit}`, 'DSN', 'ENHANCEDSTATUSCODES');
  connection.capabilities = capabilities;
  next();
}

export function hook_mail(next: HarakaNext, connection: HarakaConnection, params: [HarakaAddress, Record<string, string | null>]): void {
  const limit = edgeRuntime().config.MAX_MESSAGE_BYTES;
  const declared = Number(params[1]?.SIZE ?? 0);
  if (Number.isFinite(declared) && declared > limit) {
    countRefusal('too-big');
    return next(HookResult.DENY, Replies.tooBig());
  }
  next();
}

export function hook_data(next: HarakaNext, connection: HarakaConnection): void {
  const transaction = connection.transaction;
  if (!transaction) return next();
  const state = transactionState(transaction, edgeRuntime().config.MAX_MESSAGE_BYTES);
  const addData = transaction.add_data.bind(transaction);
  // Count every line; past the limit stop buffering (memory and spool stay bounded) and refuse at the dot.
  transaction.add_data = (line: Buffer) => {
    state.dataBytes += line.length;
    if (state.dataBytes > state.limit) {
      state.oversized = true;
      return;
    }
    addData(line);
  };
  next();
}

export function hook_data_post(next: HarakaNext, connection: HarakaConnection): void {
  const transaction = connection.transaction;
  if (transaction && transactionState(transaction, edgeRuntime().config.MAX_MESSAGE_BYTES).oversized) {
    countRefusal('too-big');
    return next(HookResult.DENY, Replies.tooBig());
  }
  next();
}
