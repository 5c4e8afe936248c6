// Haraka plugin: the claim check. Streams the message into the object store, publishes MailReceived (or
// FeedbackMail for a report to the feedback address) and waits for the ack; 250 only after both, 451 4.3.0
// otherwise (O4). The work happens in data_post (the last plugin there): Haraka keeps our reply code for
// data_post refusals but turns every queue-hook DENYSOFT into 450. The queue hooks then only answer 250
// with the id stored in the transaction.
import { PassThrough } from 'node:stream';
import { BodyType, Direction, DsnReturn } from '@torii/contracts';
import { cont, denySoft, runGuarded } from '../haraka/guarded-hook';
import { HookResult, type HarakaConnection, type HarakaNext } from '../haraka/haraka-types';
import { Replies } from '../haraka/replies';
import { decodeXtext, transactionState, type TransactionState } from '../haraka/session';
import { countRefusal, edgeMetrics } from '../observability/edge-metrics';
import { newMessageId } from '../queue/message-id';
import { QueueAttempt, type MailReceivedFacts } from '../queue/queue.service';
import { edgeRuntime } from '../runtime';

export function hook_queue(next: HarakaNext, connection: HarakaConnection): void {
  answerQueued(next, connection);
}

export function hook_queue_outbound(next: HarakaNext, connection: HarakaConnection): void {
  answerQueued(next, connection);
}

function answerQueued(next: HarakaNext, connection: HarakaConnection): void {
  const transaction = connection.transaction;
  const queuedId =
    transaction && transactionState(transaction, edgeRuntime().config.MAX_MESSAGE_BYTES).queuedId;
  if (!queuedId) return next(HookResult.DENYSOFT, Replies.queueFailed());
  next(HookResult.OK, Replies.queued(queuedId));
}

/**
 * The message is stored as the client sent it, byte for byte. Haraka hands its message stream the parsed header
 * list, and once that list fills the stream writes the header block back from strings decoded as UTF-8: every
 * header byte that is not UTF-8 (a raw Shift_JIS or EUC-JP Subject, Latin-1) became U+FFFD, in what we store,
 * scan, authenticate (DKIM) and relay. We never edit headers at the edge (delivery stamps ours), so the stream
 * gets an empty list of its own and pipes the header block as received.
 */
export function hook_data(next: HarakaNext, connection: HarakaConnection): void {
  if (connection.transaction) connection.transaction.message_stream.headers = [];
  next();
}

export function hook_data_post(next: HarakaNext, connection: HarakaConnection): void {
  const runtime = edgeRuntime();
  const transaction = connection.transaction;
  if (!transaction) return next();
  const stream = transaction.message_stream;
  const state = transactionState(transaction, runtime.config.MAX_MESSAGE_BYTES);
  // The publish waits at most PUBLISH_TIMEOUT for its ack; it must end before QUEUE_TIMEOUT answers 451.
  const { QUEUE_TIMEOUT, PUBLISH_TIMEOUT } = runtime.config;
  const attempt = new QueueAttempt(Date.now() + QUEUE_TIMEOUT - PUBLISH_TIMEOUT - 2_000);
  const started = process.hrtime.bigint();
  const guard = {
    timeoutMs: runtime.config.QUEUE_TIMEOUT,
    log: (m: string) => connection.logwarn(m),
    onTimeout: () => {
      attempt.aborted = true;
      countRefusal('timeout');
    },
  };
  // Counts the work, not the reply: after a timeout's 451 the enqueue may still be undoing what it stored,
  // and a shutdown must wait for that (objects left behind with their sidecar would be delivered later).
  runtime.inFlight++;
  runGuarded(
    next,
    async () => {
      try {
        return await queueMessage();
      } finally {
        runtime.inFlight--;
      }
    },
    guard,
  );

  async function queueMessage() {
    const direction = state.direction ?? Direction.INBOUND;
    if (!state.tenantId || !state.domain) throw new Error('transaction has no tenant');
    const messageId = newMessageId();
    const message = new PassThrough();
    stream.pipe(message);
    try {
      // A feedback report (SPAM14) is stored and announced as FeedbackMail only: it is relayed nowhere.
      if (state.feedback !== undefined) {
        const from = connection.transaction?.mail_from;
        const facts = { tenantId: state.tenantId, domain: state.domain, reporter: from && !from.isNull() ? from.address : '', kind: state.feedback };
        await runtime.queue.enqueueFeedback(messageId, new Date(), message, facts, attempt);
      } else {
        await runtime.queue.enqueue(messageId, new Date(), message, eventFacts(connection, state, direction), attempt);
      }
    } catch (error) {
      connection.logerror(`queue failed: ${String(error)}`);
      countRefusal('queue-failed');
      return denySoft(Replies.queueFailed());
    }
    const label = state.feedback !== undefined ? 'feedback' : direction === Direction.OUTBOUND ? 'out' : 'in';
    edgeMetrics.accepted.inc({ direction: label });
    edgeMetrics.acceptLatency.observe({ direction: label }, Number(process.hrtime.bigint() - started) / 1e9);
    connection.loginfo(`queued as ${messageId}`);
    state.queuedId = messageId;
    return cont();
  }
}

function eventFacts(
  connection: HarakaConnection,
  state: TransactionState,
  direction: Direction,
): MailReceivedFacts {
  const params = state.mailParams;
  const ret = (params.RET ?? '').toUpperCase();
  const body = (params.BODY ?? '').toUpperCase();
  const from = connection.transaction?.mail_from;
  return {
    tenantId: state.tenantId ?? '',
    domain: state.domain ?? '',
    direction,
    envelope: {
      mailFrom: from && !from.isNull() ? from.address : '',
      rcptTo: state.recipients,
      ret: ret === 'FULL' ? DsnReturn.FULL : ret === 'HDRS' ? DsnReturn.HDRS : DsnReturn.UNSPECIFIED,
      envid: params.ENVID ? decodeXtext(params.ENVID) : '',
      declaredSize: BigInt(Number(params.SIZE ?? 0) || 0),
      bodyType:
        body === '8BITMIME'
          ? BodyType.EIGHT_BIT_MIME
          : body === '7BIT'
            ? BodyType.SEVEN_BIT
            : body === 'BINARYMIME'
              ? BodyType.BINARY_MIME
              : BodyType.UNSPECIFIED,
      smtputf8: 'SMTPUTF8' in params,
    },
    client: {
      ip: connection.remote.ip,
      port: connection.remote.port,
      helo: connection.hello.host ?? '',
      ptr: connectionPtr(connection),
      tls: {
        enabled: connection.tls.enabled,
        version: connection.tls.cipher.version ?? '',
        cipher: connection.tls.cipher.standardName ?? connection.tls.cipher.name ?? '',
      },
      proxiedFrom: connection.proxy.ip ?? '',
    },
    auth: { ...(state.auth ?? {}), spf: state.auth?.spf ?? state.spf } as MailReceivedFacts['auth'],
  };
}

function connectionPtr(connection: HarakaConnection): string {
  const notes = connection.notes as { torii?: { ptrNames?: string[] } };
  return notes.torii?.ptrNames?.[0] ?? '';
}
