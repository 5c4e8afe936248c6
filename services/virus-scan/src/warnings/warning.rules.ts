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
    'attachments-removed': 'The infected attachments were removed and replaced by a notice; the rest of the message was delivered.',
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
