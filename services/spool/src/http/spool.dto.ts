import type { DomainSpool } from '../spool/spool.repository';

/** One domain's spooled mail as the API shows it (bytes as a number: the limit is far below 2^53). */
export interface DomainSpoolResponseDto {
  domain: string;
  messages: number;
  bytes: number;
  oldest: string | null;
  nextAttemptAt: string | null;
  lastError: string;
}

export interface SpoolOverviewResponseDto {
  bytes: number;
  limitBytes: number;
  full: boolean;
  messages: number;
  domains: (DomainSpoolResponseDto & { tenantId: string })[];
}

export function presentDomain(row: DomainSpool | undefined, domain: string): DomainSpoolResponseDto {
  return {
    domain,
    messages: row?.messages ?? 0,
    bytes: Number(row?.bytes ?? 0n),
    oldest: row ? row.oldest.toISOString() : null,
    nextAttemptAt: row ? row.nextAttemptAt.toISOString() : null,
    lastError: row?.lastError ?? '',
  };
}
