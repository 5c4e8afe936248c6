// Haraka plugin: decides at MAIL FROM whether a transaction is outbound relay (P4) or inbound mail.
// Relay port: only relay, so anything not allowed is 550 5.7.1. Inbound port: a registered server relaying
// for its own domain is outbound; everyone else is inbound and meets the recipient rules at RCPT.
import { Direction, type DomainDirectory } from '@torii/contracts';
import { runGuarded, cont, deny, denySoft } from '../haraka/guarded-hook';
import type { HarakaAddress, HarakaConnection, HarakaNext } from '../haraka/haraka-types';
import { Replies } from '../haraka/replies';
import { connectionState, transactionState } from '../haraka/session';
import { reverseNames } from '../dns/resolver';
import { countRefusal } from '../observability/edge-metrics';
import { decideRelay } from '../policy/relay-policy';
import { edgeRuntime } from '../runtime';

export function hook_mail(next: HarakaNext, connection: HarakaConnection, params: [HarakaAddress, Record<string, string | null>]): void {
  const runtime = edgeRuntime();
  runGuarded(
    next,
    async () => {
      const transaction = connection.transaction;
      if (!transaction) return cont();
      const [from, mailParams] = params;
      const state = transactionState(transaction, runtime.config.MAX_MESSAGE_BYTES);
      state.mailParams = mailParams ?? {};
      const session = connectionState(connection);
      const relayPort = session.listener === 'relay';

      if (!runtime.directory.isLoaded) {
        countRefusal('directory-unavailable');
        return denySoft(Replies.directoryUnavailable());
      }
      const directory = runtime.directory.current;
      const ip = connection.remote.ip;
      const serverDomains = directory.domainsOfServer(ip);
      if (serverDomains.length === 0) {
        if (!relayPort) return inbound(connection, state);
        countRefusal('relay-unregistered-ip');
        return deny(Replies.relayNotAuthorized());
      }

      if (session.ptrNames === undefined) {
        try {
          session.ptrNames = await reverseNames(runtime.resolver, ip, runtime.config.RELAY_REQUIRE_FCRDNS);
        } catch (error) {
          connection.logwarn(`PTR lookup of ${ip} failed: ${String(error)}`);
          if (!relayPort) return inbound(connection, state);
          countRefusal('dns-failure');
          return denySoft(Replies.dnsFailure());
        }
      }
      const senderDomain = from.isNull() ? undefined : (from.host ?? '').toLowerCase();
      const decision = decideRelay({
        clientIp: ip,
        ptrNames: session.ptrNames,
        senderDomain,
        serverDomains,
        senderDirectory: senderDomain ? directory.domain(senderDomain) : undefined,
      });
      if (decision.kind === 'deny') {
        if (!relayPort) return inbound(connection, state);
        countRefusal(`relay-${decision.reason}`);
        connection.loginfo(`relay refused: ${decision.reason}`);
        return deny(decision.reason === 'unregistered-ip' ? Replies.relayNotAuthorized() : Replies.relayRefused(decision.reason, session.ptrNames));
      }
      connection.relaying = true;
      state.direction = Direction.OUTBOUND;
      state.tenantId = decision.tenantId;
      state.domain = decision.domain;
      state.limit = limitFor(runtime.config.MAX_MESSAGE_BYTES, directory.domain(decision.domain));
      return cont();
    },
    { timeoutMs: runtime.config.DNS_TIMEOUT * 3, log: (m) => connection.logwarn(m) },
  );
}

function inbound(connection: HarakaConnection, state: ReturnType<typeof transactionState>) {
  connection.relaying = false;
  state.direction = Direction.INBOUND;
  return cont();
}

/** The tenant's own limit when it is lower than the edge's. */
export function limitFor(global: number, directory: DomainDirectory | undefined): number {
  const own = Number(directory?.limits?.maxMessageBytes ?? 0);
  return own > 0 ? Math.min(global, own) : global;
}

