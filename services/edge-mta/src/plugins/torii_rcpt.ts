// Haraka plugin: RCPT TO. Inbound: the recipient rules (tenant domain, SPAM2 unknown users, one domain per
// transaction). Outbound: any recipient, up to MAX_RECIPIENTS. The feedback addresses (SPAM14) first: a
// report is relayed by the tenant's server from a registered address, alone in its transaction. Records the
// DSN parameters for the event.
import { Direction, NotifyCondition } from '@torii/contracts';
import { HookResult, type HarakaAddress, type HarakaConnection, type HarakaNext } from '../haraka/haraka-types';
import { Replies } from '../haraka/replies';
import { connectionState, decodeXtext, transactionState } from '../haraka/session';
import { countRefusal } from '../observability/edge-metrics';
import { decideFeedbackRecipient, type FeedbackDecision } from '../policy/feedback-policy';
import { canonicalLocalPart } from '../policy/local-part';
import { decideInboundRecipient } from '../policy/recipient-policy';
import { spoolRefuses } from '../policy/spool-capacity';
import { edgeRuntime } from '../runtime';
import { limitFor } from './torii_relay';

const NOTIFY: Record<string, NotifyCondition> = {
  SUCCESS: NotifyCondition.SUCCESS,
  FAILURE: NotifyCondition.FAILURE,
  DELAY: NotifyCondition.DELAY,
  NEVER: NotifyCondition.NEVER,
};

export function hook_rcpt(next: HarakaNext, connection: HarakaConnection, params: [HarakaAddress, Record<string, string | null>]): void {
  const runtime = edgeRuntime();
  const transaction = connection.transaction;
  if (!transaction) return next();
  const state = transactionState(transaction, runtime.config.MAX_MESSAGE_BYTES);
  const [rcpt, rcptParams] = params;
  if (state.recipients.length >= runtime.config.MAX_RECIPIENTS) {
    countRefusal('too-many-recipients');
    return next(HookResult.DENYSOFT, Replies.tooManyRecipients());
  }

  const from = transaction.mail_from;
  // `"alice"@…` is `alice@…`: decided, recorded and delivered in the unquoted spelling.
  const localPart = canonicalLocalPart(rcpt.user ?? '');
  const feedback = decideFeedbackRecipient({
    feedbackDomain: runtime.config.FEEDBACK_DOMAIN,
    recipientLocalPart: localPart,
    recipientDomain: rcpt.host ?? '',
    listener: connectionState(connection).listener,
    direction: state.direction,
    senderLocalPart: from && !from.isNull() ? canonicalLocalPart(from.user ?? '') : undefined,
    senderDirectory: state.domain ? runtime.directory.current.domain(state.domain) : undefined,
    transactionReport: state.feedback,
    transactionRecipients: state.recipients.length,
  });
  if (feedback.kind === 'accept') {
    state.feedback = feedback.report;
  } else if (feedback.kind !== 'not-feedback') {
    return refuseFeedback(next, feedback, from && !from.isNull() ? from.address : '');
  } else if (state.direction === Direction.INBOUND) {
    const directory = runtime.directory.current.domain(rcpt.host ?? '');
    const decision = decideInboundRecipient({
      localPart,
      directory,
      directoryLoaded: runtime.directory.isLoaded,
      transactionTenantId: state.tenantId,
      transactionDomain: state.domain,
    });
    switch (decision.kind) {
      case 'accept':
        // SEC4: the domain's server is down and the spool is full: refuse now rather than accept and lose.
        if (spoolRefuses(runtime.spoolState.current, decision.domain, Date.now(), runtime.config.SPOOL_STATE_MAX_AGE)) {
          countRefusal('spool-full');
          return next(HookResult.DENYSOFT, Replies.spoolFull());
        }
        if (state.tenantId === undefined) {
          state.tenantId = decision.tenantId;
          state.domain = decision.domain;
          state.limit = limitFor(runtime.config.MAX_MESSAGE_BYTES, directory);
        }
        break;
      case 'relay-denied':
        countRefusal('relay-denied');
        return next(HookResult.DENY, Replies.relayDenied());
      case 'unknown-user':
        countRefusal('unknown-user');
        return next(HookResult.DENY, Replies.userUnknown());
      case 'suspended':
        countRefusal('suspended');
        return next(HookResult.DENYSOFT, Replies.suspended());
      case 'other-tenant':
        countRefusal('other-tenant');
        return next(HookResult.DENYSOFT, Replies.otherTenant());
      case 'other-domain':
        countRefusal('other-domain');
        return next(HookResult.DENYSOFT, Replies.otherTenant());
      case 'no-server':
        countRefusal('no-server');
        return next(HookResult.DENYSOFT, Replies.noServer());
      case 'directory-unavailable':
        countRefusal('directory-unavailable');
        return next(HookResult.DENYSOFT, Replies.directoryUnavailable());
    }
  }

  const notify = (rcptParams?.NOTIFY ?? '')
    .split(',')
    .map((n) => NOTIFY[n.trim().toUpperCase()])
    .filter((n): n is NotifyCondition => n !== undefined);
  state.recipients.push({
    address: `${localPart}@${(rcpt.host ?? '').toLowerCase()}`,
    notify,
    orcpt: rcptParams?.ORCPT ? decodeXtext(rcptParams.ORCPT) : '',
  });
  next(HookResult.OK);
}

function refuseFeedback(next: HarakaNext, decision: Exclude<FeedbackDecision, { kind: 'accept' | 'not-feedback' }>, sender: string): void {
  switch (decision.kind) {
    case 'inbound':
      countRefusal('feedback-inbound');
      return next(HookResult.DENY, Replies.feedbackInbound());
    case 'unknown-address':
      countRefusal('unknown-user');
      return next(HookResult.DENY, Replies.userUnknown());
    case 'unregistered-sender':
      countRefusal('feedback-sender');
      return next(HookResult.DENY, Replies.feedbackSender(sender));
    case 'not-subscribed':
      countRefusal('feedback-not-subscribed');
      return next(HookResult.DENY, Replies.feedbackNotSubscribed());
    case 'mixed':
      countRefusal('feedback-mixed');
      return next(HookResult.DENYSOFT, Replies.feedbackMixed());
  }
}
