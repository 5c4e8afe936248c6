import { createZodDto } from '@torii/http';
import { z } from 'zod';

const period = z
  .enum(['previous-month', 'current-month'])
  .default('previous-month')
  .describe('previous-month (the default: the whole month) or current-month (the 1st to yesterday; today is never in a report)');

export const AddressReportQuerySchema = z.object({ period });
export class AddressReportQueryDto extends createZodDto(AddressReportQuerySchema) {}

export const DomainReportQuerySchema = z.object({
  period,
  addresses: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true')
    .describe('true: add each address that had mail after the domain lines (default false)'),
});
export class DomainReportQueryDto extends createZodDto(DomainReportQuerySchema) {}
