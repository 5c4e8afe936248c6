import { createZodDto } from '@torii/http';
import { z } from 'zod';

export const DomainCreateSchema = z.object({
  name: z.string().min(1).max(300).describe('ASCII domain name (IDNs and the operator’s domains are refused)'),
  planSize: z.number().int().describe('Addresses wanted; rounded up to the next plan of B1').default(10),
});
export class DomainCreateDto extends createZodDto(DomainCreateSchema) {}

export const PlanChangeSchema = z.object({ planSize: z.number().int() });
export class PlanChangeDto extends createZodDto(PlanChangeSchema) {}

export const DomainStatusSchema = z.object({ status: z.enum(['active', 'suspended']) });
export class DomainStatusDto extends createZodDto(DomainStatusSchema) {}

export const PolicySchema = z.object({ settings: z.record(z.string().max(100), z.string().max(1000)) });
export class PolicyDto extends createZodDto(PolicySchema) {}

const ip = z.union([z.ipv4(), z.ipv6()]);
export const MailServerSchema = z.object({
  hostname: z
    .string()
    .max(253)
    .regex(/^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/, 'not a host name')
    .transform((h) => h.toLowerCase()),
  ips: z.array(ip).max(16).default([]),
  port: z.number().int().min(1).max(65535).default(25),
});
export class MailServerDto extends createZodDto(MailServerSchema) {}

export interface DomainView {
  name: string;
  tenantId: string;
  planSize: number;
  status: 'active' | 'suspended';
  createdAt: string;
}
