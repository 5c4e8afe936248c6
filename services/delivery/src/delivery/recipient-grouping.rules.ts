import { treatmentKey, type DeliverTreatment } from '../verdicts/verdict-join.rules';

export interface RoutableRecipient {
  address: string;
  treatment: DeliverTreatment;
}

export interface RecipientGroup<R extends RoutableRecipient> {
  /** Where the group goes: the tenant's server (inbound), the recipient domain (outbound). */
  destination: string;
  treatment: DeliverTreatment;
  recipients: R[];
}

/**
 * One SMTP transaction per destination and treatment: recipients whose copies are byte-identical share a
 * transaction; a recipient whose subject is tagged gets its own. Order of first appearance is kept.
 */
export function groupRecipients<R extends RoutableRecipient>(
  recipients: readonly R[],
  destinationOf: (recipient: R) => string,
  maxPerTransaction = 100,
): RecipientGroup<R>[] {
  const groups = new Map<string, RecipientGroup<R>[]>();
  const order: RecipientGroup<R>[] = [];
  for (const recipient of recipients) {
    const destination = destinationOf(recipient);
    const key = `${destination}\u0000${treatmentKey(recipient.treatment)}`;
    const list = groups.get(key) ?? [];
    let group = list[list.length - 1];
    if (!group || group.recipients.length >= maxPerTransaction) {
      group = { destination, treatment: recipient.treatment, recipients: [] };
      list.push(group);
      order.push(group);
      groups.set(key, list);
    }
    group.recipients.push(recipient);
  }
  return order;
}

/** The domain of an address, lowercase. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return (at === -1 ? '' : address.slice(at + 1)).toLowerCase();
}
