import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  Codecs,
  Direction,
  SpamAction,
  SpamVerdictSchema,
  VerdictKind,
  create,
  timestampDate,
  timestampNow,
  type MailReceived,
  type SpamVerdict,
} from '@torii/contracts';
import { PermanentError, TemporaryError, describeError } from '@torii/errors';
import { parseMessage, type AuthResultValue, type MessageInput, type SpamVerdict as EngineVerdict } from '@torii/spam-engine';
import { ObjectNotFoundError } from '@torii/storage';
import { counter } from '@torii/telemetry';
import { SPAM_FILTER_CONFIG, type SpamFilterConfig } from '../config';
import type { Prisma } from '../db/prisma.service';
import { DirectoryCache } from '../directory/directory.cache';
import { ModelService } from '../model/model.service';
import { aligned, fromAuthenticated, type AuthFacts } from '../policy/authentication.rules';
import { PolicyRepository } from '../policy/policy.repository';
import { DEFAULT_DOMAIN_SETTINGS, describeResolution, domainOf, resolvePolicy, type FinalAction, type MessageFacts, type Resolution } from '../policy/policy.rules';
import { counterIncrements, localDay } from '../reports/reports.rules';
import { storedReasons } from '../verdicts/reasons';
import { fromAddressesOf, listSubject } from './message-facts';
import { MessageStoreRepository } from './message-store.repository';
import { ScoredRepository } from './scored.repository';
import { VerdictPublisher } from './verdict.publisher';

const ACTION: Record<FinalAction, SpamAction> = {
  deliver: SpamAction.DELIVER,
  tag: SpamAction.TAG,
  quarantine: SpamAction.QUARANTINE,
  delete: SpamAction.DELETE,
};

const judged = counter('torii_spam_messages_total', 'Inbound messages judged, by result (scored, or failed: the object was gone)', ['result']);
const actions = counter('torii_spam_recipient_actions_total', 'Recipient copies by the action their policy gave', ['action']);
const reached = counter('torii_spam_messages_by_score_total', 'Scored messages by score band (0-49.99, 50-89.99, 90-99.99, 100)', ['band']);

const RESULT_WORDS = new Set(['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror', 'policy']);
const word = (value: string | undefined): AuthResultValue | undefined => (value && RESULT_WORDS.has(value) ? (value as AuthResultValue) : undefined);

/** What the engine and feedback need besides the body: stored with the record (no message content). */
export interface StoredInput {
  envelope: { mailFrom: string; rcptTo: string[] };
  auth: AuthFacts;
  /** `tls`: "version cipher" when the client used TLS (the Received line of a released copy). */
  client: { ip: string; helo: string; rdns: string; tls?: string };
  /** When and by which edge host it came in (a released copy's Received line); absent in older records. */
  receivedAt?: string;
  receivedBy?: string;
}

export function storedInputOf(event: MailReceived): StoredInput {
  return {
    envelope: { mailFrom: event.envelope?.mailFrom ?? '', rcptTo: (event.envelope?.rcptTo ?? []).map((r) => r.address.toLowerCase()) },
    auth: {
      ...(event.auth?.spf ? { spf: { result: event.auth.spf.result, domain: event.auth.spf.domain } } : {}),
      dkim: (event.auth?.dkim ?? []).map((d) => ({ result: d.result, domain: d.domain })),
      ...(event.auth?.dmarc ? { dmarc: { result: event.auth.dmarc.result, domain: event.auth.dmarc.domain } } : {}),
    },
    client: {
      ip: event.client?.ip ?? '',
      helo: event.client?.helo ?? '',
      rdns: event.client?.ptr ?? '',
      ...(event.client?.tls?.enabled ? { tls: [event.client.tls.version, event.client.tls.cipher].filter(Boolean).join(' ') || 'TLS' } : {}),
    },
    ...(event.receivedAt ? { receivedAt: timestampDate(event.receivedAt).toISOString() } : {}),
    ...(event.receivedBy ? { receivedBy: event.receivedBy } : {}),
  };
}

/** The engine's input from the raw message and the edge's facts, and what the lists look at (`list`). */
export function engineInput(raw: Buffer, stored: StoredInput): { input: MessageInput; list: MessageFacts } {
  const parsed = parseMessage(raw);
  const fromDomain = domainOf((parsed.from?.address ?? '').toLowerCase());
  const dkim = stored.auth.dkim ?? [];
  const passing = dkim.find((d) => d.result === 'pass');
  const input: MessageInput = {
    message: parsed,
    envelope: stored.envelope,
    auth: {
      spf: word(stored.auth.spf?.result),
      dkim: word(passing?.result ?? dkim[0]?.result),
      dkimAligned: dkim.some((d) => d.result === 'pass' && aligned(d.domain, fromDomain)),
      dmarc: word(stored.auth.dmarc?.result),
    },
    client: stored.client,
  };
  const fromAddresses = fromAddressesOf(parsed);
  // Allow entries on From need one From address; with several, whose authentication would count is unclear.
  const authenticated = fromAddresses.length === 1 && fromAuthenticated(stored.auth, domainOf(fromAddresses[0]));
  return { input, list: { fromAddresses, subject: listSubject(raw, parsed), fromAuthenticated: authenticated } };
}

/** `+2.10 rule:HTML_ONLY, +1.30 s:free; -0.80 fd:example.com`: the strongest evidence each way. */
export function explain(verdict: EngineVerdict, each = 3): string {
  const fmt = (r: { feature: string; logOdds: number }) => `${r.logOdds >= 0 ? '+' : ''}${r.logOdds.toFixed(2)} ${r.feature}`;
  const spam = verdict.reasons.spam.slice(0, each).map(fmt).join(', ');
  const ham = verdict.reasons.ham.slice(0, each).map(fmt).join(', ');
  return [spam, ham].filter(Boolean).join('; ');
}

/** Judges one inbound message: score, policies per recipient, record, verdict. Idempotent per message id. */
@Injectable()
export class ScoringService {
  private readonly logger = new Logger(ScoringService.name);

  constructor(
    @Inject(SPAM_FILTER_CONFIG) private readonly config: SpamFilterConfig,
    private readonly directory: DirectoryCache,
    private readonly messages: MessageStoreRepository,
    private readonly models: ModelService,
    private readonly policies: PolicyRepository,
    private readonly scored: ScoredRepository,
    private readonly publisher: VerdictPublisher,
  ) {}

  async judge(event: MailReceived): Promise<void> {
    if (!event.messageId) throw new PermanentError('MailReceived without a message id');
    if (event.direction !== Direction.INBOUND) return; // SPAM1: inbound only
    const existing = await this.scored.find(event.messageId);
    if (existing) {
      await this.publisher.publish(Codecs.spamVerdict.decode(existing.verdict));
      return;
    }
    const domain = event.domain.toLowerCase();
    const entry = await this.directory.lookup(domain);
    if (!entry?.services?.spam?.subscribed) return; // delivery does not wait for a verdict either

    let raw: Buffer;
    try {
      raw = await this.messages.readHead(event.objectKey, this.config.SCORE_MAX_BYTES);
    } catch (error) {
      if (error instanceof ObjectNotFoundError) {
        this.logger.error(`message ${event.messageId}: object ${event.objectKey} is gone; publishing a failed verdict`);
        await this.publisher.publish(this.failed(event, 'message object not found'));
        judged.inc({ result: 'failed' });
        return;
      }
      throw new TemporaryError(`reading ${event.objectKey}`, { cause: error });
    }

    const stored = storedInputOf(event);
    const facts = engineInput(raw, stored);
    const score = this.models.score(event.tenantId, facts.input);
    const recipients = [...new Set(stored.envelope.rcptTo.filter((r) => domainOf(r) === domain))];
    const snapshot = await this.policies.snapshot(domain, recipients);
    const resolutions = new Map<string, Resolution>();
    for (const recipient of recipients) {
      const address = snapshot.addresses.get(recipient) ?? { settings: {}, lists: [] };
      resolutions.set(
        recipient,
        resolvePolicy({
          scorePercent: score.percent,
          message: facts.list,
          domain: { settings: snapshot.domain ?? DEFAULT_DOMAIN_SETTINGS, lists: snapshot.domainLists },
          address,
        }),
      );
    }

    const verdict = create(SpamVerdictSchema, {
      messageId: event.messageId,
      tenantId: event.tenantId,
      outcome: { kind: VerdictKind.SPAM, decidedAt: timestampNow(), failed: false },
      scorePercent: score.percent,
      headerValue: score.header,
      explanation: explain(score),
      modelVersion: score.modelVersion,
      recipients: [...resolutions].map(([recipient, r]) => ({
        recipient,
        action: ACTION[r.action],
        subjectTag: r.tag ?? '',
        reason: describeResolution(r),
      })),
    });
    const day = event.receivedAt ? timestampDate(event.receivedAt) : new Date();
    const created = await this.scored.record(
      {
        messageId: event.messageId,
        tenantId: event.tenantId,
        domain,
        objectKey: event.objectKey,
        recipients,
        scorePercent: score.percent,
        verdict: Codecs.spamVerdict.encode(verdict),
        input: stored as unknown as Prisma.InputJsonValue,
        reasons: storedReasons(score) as unknown as Prisma.InputJsonValue,
      },
      localDay(day, this.config.REPORT_TIME_ZONE),
      counterIncrements(resolutions),
    );
    if (!created) {
      // Another delivery of the same event won the race: publish what it recorded.
      const winner = await this.scored.find(event.messageId);
      if (winner) await this.publisher.publish(Codecs.spamVerdict.decode(winner.verdict));
      return;
    }
    judged.inc({ result: 'scored' });
    reached.inc({ band: score.percent >= 100 ? '100' : score.percent >= 90 ? '90-99.99' : score.percent >= 50 ? '50-89.99' : '0-49.99' });
    for (const r of resolutions.values()) actions.inc({ action: r.action });
    this.logger.debug?.(`message ${event.messageId}: ${score.header} → ${[...resolutions].map(([r, x]) => `${r}:${x.action}`).join(' ')}`);
    try {
      await this.publisher.publish(verdict);
    } catch (error) {
      // Recorded but not published: the redelivery republishes the stored verdict.
      throw new TemporaryError(`publishing the verdict of ${event.messageId}: ${describeError(error)}`, { cause: error });
    }
  }

  private failed(event: MailReceived, reason: string): SpamVerdict {
    return create(SpamVerdictSchema, {
      messageId: event.messageId,
      tenantId: event.tenantId,
      outcome: { kind: VerdictKind.SPAM, decidedAt: timestampNow(), failed: true, failureReason: reason },
    });
  }
}
