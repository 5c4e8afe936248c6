import {
  AuditAction,
  spamActionName,
  VirusStatus,
  type AuditVerdict,
  type SpamVerdict,
  type VirusVerdict,
} from '@torii/contracts';
import { encodeHeaderText } from '../spam/spam-headers.rules';
import type { AuditActionName, VerdictFacts, VirusStatusName } from './verdict-join.rules';

/** Protobuf verdicts reduced to what the join reads (stored as the Verdict row's payload). */
export function spamFacts(v: SpamVerdict): VerdictFacts {
  return {
    kind: 'spam',
    failed: v.outcome?.failed ?? false,
    failureReason: v.outcome?.failureReason ?? '',
    headerValue: v.headerValue,
    explanation: encodeHeaderText(v.explanation),
    recipients: v.recipients.map((r) => ({
      recipient: r.recipient,
      action: spamActionName(r.action),
      subjectTag: r.subjectTag,
      reason: r.reason,
    })),
  };
}

export function virusFacts(v: VirusVerdict): VerdictFacts {
  const statuses: Record<VirusStatus, VirusStatusName> = {
    // An unspecified status is no verdict at all: treat it as unscannable (policy decides).
    [VirusStatus.UNSPECIFIED]: 'unscannable',
    [VirusStatus.CLEAN]: 'clean',
    [VirusStatus.INFECTED]: 'infected',
    [VirusStatus.UNSCANNABLE]: 'unscannable',
  };
  return {
    kind: 'virus',
    failed: v.outcome?.failed ?? false,
    failureReason: v.outcome?.failureReason ?? '',
    status: statuses[v.status] ?? 'unscannable',
    engine: v.engine,
    findings: v.findings.map((f) => ({ part: f.part, filename: f.filename, signature: f.signature })),
  };
}

export function auditFacts(v: AuditVerdict): VerdictFacts {
  const actions: Partial<Record<AuditAction, AuditActionName>> = {
    [AuditAction.BLOCK]: 'block',
    [AuditAction.HOLD]: 'hold',
    [AuditAction.BCC_ADMIN]: 'bcc-admin',
    [AuditAction.ADD_HEADER]: 'add-header',
    [AuditAction.DELETE]: 'delete',
    [AuditAction.PASSWORD_LOCK]: 'password-lock',
  };
  return {
    kind: 'audit',
    failed: v.outcome?.failed ?? false,
    failureReason: v.outcome?.failureReason ?? '',
    actions: v.actions.map((a) => actions[a]).filter((a): a is AuditActionName => a !== undefined),
    addHeaders: v.addHeaders.map((h) => ({ name: h.name, value: h.value })),
  };
}
