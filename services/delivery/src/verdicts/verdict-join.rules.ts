/**
 * The verdict join, as pure functions: which verdicts a message waits for, how long, what happens when one
 * does not come, and what each recipient's treatment is once the verdicts are in. No Nest, NATS or Prisma.
 */
import { virusEffect, type StripPart, type VirusFinding } from '../virus/virus-effect.rules';

export type VerdictKindName = 'spam' | 'virus' | 'audit';
export const VERDICT_KINDS: readonly VerdictKindName[] = ['spam', 'virus', 'audit'];
export type DirectionName = 'inbound' | 'outbound';

export interface Subscriptions {
  spam: boolean;
  virus: boolean;
  archive: boolean;
}

/**
 * Spam filtering judges inbound mail only; virus scanning both directions; the audit archive both
 * directions. `bypass` lists kinds already judged or not applicable (a released message, a Torii notice).
 */
export function requiredVerdicts(
  direction: DirectionName,
  subscriptions: Subscriptions,
  bypass: readonly string[] = [],
): VerdictKindName[] {
  const kinds: VerdictKindName[] = [];
  if (subscriptions.spam && direction === 'inbound') kinds.push('spam');
  if (subscriptions.virus) kinds.push('virus');
  if (subscriptions.archive) kinds.push('audit');
  return kinds.filter((kind) => !bypass.includes(kind));
}

/** What to do when a verdict does not come in time, or comes back `failed`. */
export type FailurePolicy =
  /** Deliver anyway, with a header saying the check did not happen. */
  | 'fail-open'
  /** Deliver anyway, without a header, but log it (audit: the archive copy is missing). */
  | 'fail-open-logged'
  /** Never deliver unjudged: hold for an administrator. */
  | 'fail-closed';

export interface KindPolicy {
  /** How long after the message arrived to wait for this verdict. */
  timeoutMs: number;
  onFailure: FailurePolicy;
  /** Virus only (AV5): an unscannable message is delivered with a header (default) or held. */
  unscannable?: 'deliver' | 'hold';
}

export type JoinPolicy = Record<VerdictKindName, KindPolicy>;

export const DEFAULT_JOIN_POLICY: JoinPolicy = {
  spam: { timeoutMs: 60_000, onFailure: 'fail-open' },
  virus: { timeoutMs: 300_000, onFailure: 'fail-closed' },
  audit: { timeoutMs: 120_000, onFailure: 'fail-open-logged' },
};

/**
 * The virus part of one domain's policy: virus may be told to fail open (`virus_policy.on_failure = deliver`)
 * and to hold unscannable mail. Spam fails open unless its settings say hold (src/spam); audit always fails open.
 */
export function joinPolicyFor(base: JoinPolicy, virusPolicy: Record<string, string> = {}): JoinPolicy {
  const virusOpen = virusPolicy['on_failure'] === 'deliver';
  const unscannable = virusPolicy['unscannable'] === 'hold' ? 'hold' : 'deliver';
  return { ...base, virus: { ...base.virus, onFailure: virusOpen ? 'fail-open' : base.virus.onFailure, unscannable } };
}

// ---- the verdicts, reduced to what the join needs (the consumer maps the protobuf messages to these) ----

export type SpamActionName = 'deliver' | 'tag' | 'quarantine' | 'delete' | 'bounce';
export type VirusStatusName = 'clean' | 'infected' | 'unscannable';
export type AuditActionName = 'block' | 'hold' | 'bcc-admin' | 'add-header' | 'delete' | 'password-lock';

export interface HeaderField {
  name: string;
  value: string;
}

export type VerdictFacts =
  | {
      kind: 'spam';
      failed: boolean;
      failureReason?: string;
      headerValue?: string;
      /** Strongest evidence each way (already header-safe), stamped as `X-<Brand>-Spam-Reasons`. */
      explanation?: string;
      recipients: { recipient: string; action: SpamActionName; subjectTag?: string; reason?: string }[];
    }
  | { kind: 'virus'; failed: boolean; failureReason?: string; status: VirusStatusName; engine?: string; findings?: VirusFinding[] }
  | { kind: 'audit'; failed: boolean; failureReason?: string; actions: AuditActionName[]; addHeaders: HeaderField[] };

/** How one recipient's copy is delivered: the same treatment means the same SMTP transaction. */
export interface DeliverTreatment {
  headers: HeaderField[];
  subjectTag?: string;
  /** Infected parts to replace by a notice (AV2; src/virus). */
  strip?: StripPart[];
}

export type RecipientDecision =
  | { action: 'deliver'; treatment: DeliverTreatment; reason: string }
  | { action: 'quarantine' | 'drop' | 'hold' | 'bounce'; reason: string };

export interface JoinInput {
  recipients: string[];
  required: readonly VerdictKindName[];
  verdicts: readonly VerdictFacts[];
  policy: JoinPolicy;
  /** When the join started (delivery learned of the message), epoch ms. */
  startedAt: number;
  now: number;
  /** Brand for header names: `X-<Brand>-Spam-Check`. */
  brand: string;
  /** Direction of the message (virus: outbound infected mail is not sent); inbound when absent. */
  direction?: DirectionName;
  /**
   * Recipients an administrator released from a hold: nothing holds them again (a check that did not happen
   * is said in its header, and the rest of the verdicts still apply: quarantine, delete, bounce).
   */
  released?: readonly string[];
}

export type JoinOutcome =
  | { status: 'wait'; until: number; missing: VerdictKindName[] }
  | { status: 'decided'; decisions: Map<string, RecipientDecision>; notes: string[] };

/** Most severe wins when verdicts disagree about a recipient. */
const SEVERITY: Record<RecipientDecision['action'], number> = { deliver: 0, quarantine: 1, hold: 2, bounce: 3, drop: 4 };

export function joinVerdicts(input: JoinInput): JoinOutcome {
  const byKind = new Map(input.verdicts.map((v) => [v.kind, v]));
  const missing = input.required.filter((kind) => !byKind.has(kind));
  const pending = missing.filter((kind) => input.now < input.startedAt + input.policy[kind].timeoutMs);
  if (pending.length > 0) {
    const until = Math.min(...pending.map((kind) => input.startedAt + input.policy[kind].timeoutMs));
    return { status: 'wait', until, missing: pending };
  }

  const notes: string[] = [];
  const decisions = new Map<string, RecipientDecision>();
  const headers: HeaderField[] = [];
  /** Headers of the checks that held the message, for a released recipient's copy. */
  const releasedHeaders: HeaderField[] = [];
  const released = new Set(input.released ?? []);
  const strip: StripPart[] = [];
  const perRecipient = new Map<string, { action: RecipientDecision['action']; reason: string; subjectTag?: string }>();
  const escalate = (recipient: string, action: RecipientDecision['action'], reason: string, subjectTag?: string) => {
    if (action === 'hold' && released.has(recipient)) return;
    const current = perRecipient.get(recipient);
    if (!current || SEVERITY[action] > SEVERITY[current.action]) {
      perRecipient.set(recipient, { action, reason, subjectTag: subjectTag ?? current?.subjectTag });
    } else if (subjectTag && current.action === 'deliver') {
      current.subjectTag = subjectTag;
    }
  };
  const everyone = (action: RecipientDecision['action'], reason: string) => {
    for (const r of input.recipients) escalate(r, action, reason);
  };

  for (const kind of input.required) {
    const verdict = byKind.get(kind);
    const policy = input.policy[kind];
    if (!verdict || verdict.failed) {
      const why = verdict ? `failed: ${verdict.failureReason || 'unknown'}` : 'timed out';
      switch (policy.onFailure) {
        case 'fail-open':
          headers.push({ name: checkHeader(input.brand, kind), value: `not checked (${why})` });
          notes.push(`${kind} verdict ${why}: delivered unchecked (fail-open)`);
          break;
        case 'fail-open-logged':
          notes.push(`${kind} verdict ${why}: delivered (fail-open, logged)`);
          break;
        case 'fail-closed':
          notes.push(`${kind} verdict ${why}: held (fail-closed)`);
          releasedHeaders.push({ name: checkHeader(input.brand, kind), value: `not checked (${why}); released by an administrator` });
          everyone('hold', `${kind}-unchecked`);
          break;
      }
      continue;
    }
    switch (verdict.kind) {
      case 'spam': {
        if (verdict.headerValue) headers.push({ name: checkHeader(input.brand, 'spam'), value: verdict.headerValue });
        if (verdict.explanation) headers.push({ name: `X-${input.brand}-Spam-Reasons`, value: verdict.explanation });
        for (const d of verdict.recipients) {
          const recipient = matchRecipient(input.recipients, d.recipient);
          if (!recipient) continue;
          switch (d.action) {
            case 'deliver':
              break;
            case 'tag':
              escalate(recipient, 'deliver', 'spam-tag', d.subjectTag);
              break;
            case 'quarantine':
              escalate(recipient, 'quarantine', 'spam-quarantine');
              break;
            case 'delete':
              escalate(recipient, 'drop', `spam-delete${d.reason ? `:${d.reason}` : ''}`);
              break;
            case 'bounce':
              escalate(recipient, 'bounce', `spam-bounce${d.reason ? `:${d.reason}` : ''}`);
              break;
          }
        }
        break;
      }
      case 'virus': {
        // AV2, AV3, AV5: src/virus decides; infected attachments are stripped when the copy is written.
        const effect = virusEffect({
          direction: input.direction ?? 'inbound',
          status: verdict.status,
          findings: verdict.findings ?? [],
          engine: verdict.engine,
          unscannable: policy.unscannable ?? 'deliver',
        });
        if (effect.action === 'deliver') {
          headers.push({ name: checkHeader(input.brand, 'virus'), value: effect.header });
          if (effect.strip.length > 0) strip.push(...effect.strip);
        } else {
          if (effect.action === 'hold') {
            releasedHeaders.push({ name: checkHeader(input.brand, 'virus'), value: `unscannable${verdict.engine ? ` (${verdict.engine})` : ''}; released by an administrator` });
          }
          everyone(effect.action, effect.reason);
        }
        break;
      }
      case 'audit':
        for (const action of verdict.actions) {
          switch (action) {
            case 'block':
              everyone('bounce', 'audit-block');
              break;
            case 'hold':
              everyone('hold', 'audit-hold');
              break;
            case 'delete':
              everyone('drop', 'audit-delete');
              break;
            case 'add-header':
              headers.push(...verdict.addHeaders);
              break;
            case 'bcc-admin':
            case 'password-lock':
              notes.push(`audit action ${action} is not applied by delivery yet`);
              break;
          }
        }
        break;
    }
  }

  for (const recipient of input.recipients) {
    const chosen = perRecipient.get(recipient) ?? { action: 'deliver' as const, reason: released.has(recipient) ? 'released' : 'clean' };
    if (chosen.action === 'deliver') {
      const treatment: DeliverTreatment = { headers: released.has(recipient) ? [...headers, ...releasedHeaders] : [...headers] };
      if (chosen.subjectTag) treatment.subjectTag = chosen.subjectTag;
      if (strip.length > 0) treatment.strip = [...strip];
      decisions.set(recipient, { action: 'deliver', treatment, reason: chosen.reason });
    } else {
      decisions.set(recipient, { action: chosen.action, reason: chosen.reason });
    }
  }
  return { status: 'decided', decisions, notes };
}

export function checkHeader(brand: string, kind: VerdictKindName): string {
  const label = kind === 'spam' ? 'Spam' : kind === 'virus' ? 'Virus' : 'Audit';
  return `X-${brand}-${label}-Check`;
}

/** Every header delivery writes from verdicts (`X-<Brand>-Spam-Check`, …): nobody else may set them. */
export function verdictHeaderNames(brand: string): string[] {
  return [...VERDICT_KINDS.map((kind) => checkHeader(brand, kind)), `X-${brand}-Spam-Reasons`];
}

function matchRecipient(recipients: readonly string[], address: string): string | undefined {
  const wanted = address.toLowerCase();
  return recipients.find((r) => r.toLowerCase() === wanted);
}

/** A stable key of a treatment: recipients with equal keys share one SMTP transaction. */
export function treatmentKey(treatment: DeliverTreatment): string {
  return JSON.stringify([treatment.subjectTag ?? '', treatment.headers.map((h) => [h.name.toLowerCase(), h.value])]);
}
