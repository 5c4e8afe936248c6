import { createZodDto } from '@torii/http';
import { z } from 'zod';

export const AddressCreateSchema = z.object({
  address: z.string().min(1).max(320).describe('A local part, or local@domain of this domain'),
  kind: z.enum(['mailbox', 'list']).default('mailbox'),
});
export class AddressCreateDto extends createZodDto(AddressCreateSchema) {}

export const AddressUpdateSchema = z.object({ kind: z.enum(['mailbox', 'list']) });
export class AddressUpdateDto extends createZodDto(AddressUpdateSchema) {}

export interface AddressView {
  address: string;
  localPart: string;
  kind: 'mailbox' | 'list';
  createdAt: string;
}

export interface ImportReport {
  created: number;
  duplicate: number;
  invalid: number;
  /** Lines that would have been created, when the import as a whole was refused (over the plan's limit). */
  refused?: number;
  /** `refused`: valid and new, but not created because the import as a whole would pass the plan's limit. */
  lines: { line: number; input: string; outcome: 'created' | 'duplicate' | 'invalid' | 'refused'; detail?: string }[];
}
