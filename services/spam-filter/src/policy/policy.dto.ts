import { createZodDto } from '@torii/http';
import { z } from 'zod';
import { entryValueProblem } from './list-values.rules';
import { LIST_FIELDS, MATCH_MODES, PRIORITIES, SUBJECT_TAGS, THRESHOLDS, THRESHOLD_ACTIONS } from './policy.rules';

export const DomainPolicySchema = z.object({
  threshold: z.enum(THRESHOLDS).describe('"100" = only 100.00%; "90" = 90.00% or more'),
  action: z.enum(THRESHOLD_ACTIONS).describe('what happens when the threshold is reached'),
  tag: z.enum(SUBJECT_TAGS).describe('Subject tag for the action "tag"'),
  priority: z.enum(PRIORITIES).describe('which rules come first; per-address allow lists apply only with "address-first"'),
});
export class DomainPolicyDto extends createZodDto(DomainPolicySchema) {}

export const AddressPolicySchema = z.object({
  threshold: z.enum(THRESHOLDS).nullable().optional().describe('null or absent: follow the domain'),
  action: z.enum(THRESHOLD_ACTIONS).nullable().optional(),
  tag: z.enum(SUBJECT_TAGS).nullable().optional(),
});
export class AddressPolicyDto extends createZodDto(AddressPolicySchema) {}

export const ListEntryCreateSchema = z
  .object({
    field: z.enum(LIST_FIELDS).describe('what the entry looks at: the From address, the From domain, or the decoded Subject'),
    match: z.enum(MATCH_MODES).default('contains'),
    value: z
      .string()
      .trim()
      .min(1)
      .max(998)
      .describe(
        'any language; compared NFKC-normalised, case-insensitive in every script. from-address: name@domain or @domain; from-domain: a domain name (IDN in either form)',
      ),
  })
  .superRefine((entry, ctx) => {
    const problem = entryValueProblem(entry.field, entry.value);
    if (problem) ctx.addIssue({ code: 'custom', path: ['value'], message: problem });
  });
export class ListEntryCreateDto extends createZodDto(ListEntryCreateSchema) {}

export interface ListEntryView {
  id: string;
  list: string;
  field: string;
  match: string;
  value: string;
  createdAt: string;
  createdBy: string;
  /** False for an address's allow entry while the domain's rules come first (SPAM9): kept, but it decides nothing. */
  active: boolean;
}

export interface DomainPolicyView {
  domain: string;
  threshold: string;
  action: string;
  tag: string;
  priority: string;
  /** True when nothing was set yet and these are the defaults. */
  isDefault: boolean;
  /** Whether the domain subscribes to the spam service now; without it no mail is scored and nothing here acts. */
  subscribed: boolean;
  /**
   * When no verdict comes in time (the spam service down or slow): `deliver` (marked not checked, the default)
   * or `hold`. Set in the tenant service (`PUT …/domains/{domain}/policies/spam`, `on_failure`); shown here.
   */
  onFailure: 'deliver' | 'hold';
}

export interface AddressPolicyView {
  address: string;
  /** The address's own overrides (null = follows the domain). */
  overrides: { threshold: string | null; action: string | null; tag: string | null };
  /** What applies now, and from which scope: with "domain-first" the overrides are inactive. */
  effective: { threshold: string; action: string; tag: string; scope: 'domain' | 'address' };
  priority: string;
  /** SPAM9: whether this address's allow list is in force. */
  allowListActive: boolean;
}
