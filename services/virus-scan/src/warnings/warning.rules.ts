/**
 * Who is warned about an infected message and what the warning says (AV2, AV3), as pure functions.
 * Inbound: the domain's administrators and the recipients, never the sender (usually forged: backscatter).
 * Outbound: the sender (an authenticated tenant user) and the administrators.
 */
import type { Finding } from '../scan/verdict.rules';
import { isUnscannableSignature } from '../scan/verdict.rules';

export type DirectionName = 'inbound' | 'outbound';

/** What happened to the message: mirrors delivery's effect of the verdict (src/virus in delivery). */
export type Outcome = 'attachments-removed' | 'not-delivered' | 'not-sent';

export function outcomeOf(direction: DirectionName, findings: readonly Finding[]): Outcome {
  if (direction === 'outbound') return 'not-sent';
  const bodyInfected = findings.some((f) => f.part === '' && !isUnscannableSignature(f.signature));
  return bodyInfected ? 'not-delivered' : 'attachments-removed';
}

export function warningRecipients(input: { direction: DirectionName; sender: string; recipients: readonly string[]; admins: readonly string[] }): string[] {
  const wanted = input.direction === 'inbound' ? [...input.admins, ...input.recipients] : [input.sender, ...input.admins];
  const seen = new Set<string>();
  return wanted.filter((a) => {
    const key = a.trim().toLowerCase();
    if (!key.includes('@') || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export interface WarningText {
  subject: string;
  text: string;
}

export function warningText(input: {
  brand: string;
  direction: DirectionName;
  messageId: string;
  sender: string;
  recipients: readonly string[];
  subject: string;
  findings: readonly Finding[];
  outcome: Outcome;
}): WarningText {
  const what: Record<Outcome, string> = {
    'attachments-removed': 'The infected attachments were removed and replaced by a notice; the rest of the message went on to the recipient (it may still be held or quarantined by the other checks).',
    'not-delivered': 'The message itself is infected and was not delivered.',
    'not-sent': 'The message was not sent.',
  };
  const found = input.findings
    .filter((f) => !isUnscannableSignature(f.signature))
    .map((f) => `  - ${f.part === '' ? 'message body' : `part ${f.part}${f.filename ? ` "${f.filename}"` : ''}`}: ${f.signature}`);
  const subject = input.direction === 'inbound' ? `[${input.brand}] Virus found in a message to you` : `[${input.brand}] Virus found: your message was not sent`;
  const text = [
    `${input.brand} found a virus in a${input.direction === 'inbound' ? 'n incoming' : 'n outgoing'} message.`,
    '',
    `  Sender:     ${input.sender || '(none)'}`,
    `  Recipients: ${input.recipients.join(', ')}`,
    `  Subject:    ${input.subject || '(none)'}`,
    `  Message id: ${input.messageId}`,
    '',
    'Found:',
    ...found,
    '',
    what[input.outcome],
    '',
    'This is an automatic message; please do not reply.',
    '',
  ].join('\r\n');
  return { subject, text };
}

export interface WarningGroup {
  /** Part of the submission id: `in` for the message's own domain, `in-<domain>` for another of the tenant's, `out`. */
  suffix: string;
  direction: 'inbound' | 'outbound';
  /** The domain the submission belongs to (its server receives an inbound one). */
  domain: string;
  recipients: string[];
}

/**
 * Who gets which copy of a warning: addresses of the message's domain, and of the tenant's other domains, go
 * to that domain's own server (inbound, each domain its own submission); anything else goes out to its MX.
 * Sending an address of another of the tenant's domains out would only come back in through our own MX.
 */
export function warningGroups(to: readonly string[], messageDomain: string, tenantDomains: ReadonlySet<string>): WarningGroup[] {
  const own = messageDomain.toLowerCase();
  const byDomain = new Map<string, string[]>();
  const out: string[] = [];
  for (const address of to) {
    const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
    if (domain === own || tenantDomains.has(domain)) byDomain.set(domain, [...(byDomain.get(domain) ?? []), address]);
    else out.push(address);
  }
  const groups: WarningGroup[] = [...byDomain].map(([domain, recipients]) => ({
    suffix: domain === own ? 'in' : `in-${domain.replace(/[^a-z0-9-]/g, '-')}`,
    direction: 'inbound' as const,
    domain,
    recipients,
  }));
  if (out.length > 0) groups.push({ suffix: 'out', direction: 'outbound', domain: own, recipients: out });
  return groups;
}
