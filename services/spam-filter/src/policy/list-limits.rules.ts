import type { ListField } from './policy.rules';

/**
 * SPAM7/8: each list (allow or block, of a domain or of an address) holds at most 300 address entries and
 * 300 domain entries. Subject entries are not in the spec; we bound them the same way (our choice).
 */
export const LIST_LIMITS: Readonly<Record<ListField, number>> = { 'from-address': 300, 'from-domain': 300, subject: 300 };

/** Whether one more entry of `field` fits, given how many the list already holds of that field. */
export function listHasRoom(field: ListField, current: number): boolean {
  return current < LIST_LIMITS[field];
}
