import { archiveCapacityBytes, quarantineCapacityBytes } from '../domains/plans.rules';

export type ServiceCode = 'spam' | 'virus' | 'archive' | 'secondary';
export const SERVICE_CODES: readonly ServiceCode[] = ['spam', 'virus', 'archive', 'secondary'];

/** SPEC P8. */
export const MAX_MESSAGE_BYTES = 100 * 1_000_000;

/** What the snapshot is built from: the domain's rows, as plain data. */
export interface DomainFacts {
  name: string;
  tenantId: string;
  tenantName: string;
  tenantActive: boolean;
  domainActive: boolean;
  planSize: number;
  revision: number;
  policies: Partial<Record<'spam' | 'virus' | 'archive', Record<string, string>>>;
  subscriptions: { service: ServiceCode; startsOn: string; endsOn: string | null; quarantineExtraBlocks: number; archiveExtraBlocks: number }[];
  addresses: { localPart: string; kind: 'mailbox' | 'list'; userId?: string }[];
  server: { hostname: string; ips: string[]; port: number } | null;
  adminEmails: string[];
}

export interface ServiceState {
  subscribed: boolean;
  startsOn: string;
  endsOn: string;
  quarantineExtraBlocks: number;
  archiveExtraBlocks: number;
}

/** Dates are `YYYY-MM-DD`; a subscription is active from its first to its last day, inclusive. */
export function isActiveOn(sub: { startsOn: string; endsOn: string | null }, today: string): boolean {
  return sub.startsOn <= today && (sub.endsOn === null || sub.endsOn >= today);
}

/**
 * The state of one service for the snapshot: the subscription active today, else the next one to start,
 * else the latest that ended (for its dates); "never subscribed" is all empty.
 */
export function serviceState(subs: DomainFacts['subscriptions'], service: ServiceCode, today: string): ServiceState {
  const mine = subs.filter((s) => s.service === service).sort((a, b) => a.startsOn.localeCompare(b.startsOn));
  const pick = mine.find((s) => isActiveOn(s, today)) ?? mine.find((s) => s.startsOn > today) ?? mine[mine.length - 1];
  if (!pick) return { subscribed: false, startsOn: '', endsOn: '', quarantineExtraBlocks: 0, archiveExtraBlocks: 0 };
  return {
    subscribed: isActiveOn(pick, today),
    startsOn: pick.startsOn,
    endsOn: pick.endsOn ?? '',
    quarantineExtraBlocks: pick.quarantineExtraBlocks,
    archiveExtraBlocks: pick.archiveExtraBlocks,
  };
}

/** The DomainDirectory snapshot as plain data (camelCase fields of the proto contract). */
export function buildSnapshot(facts: DomainFacts, today: string) {
  const services = Object.fromEntries(SERVICE_CODES.map((code) => [code, serviceState(facts.subscriptions, code, today)])) as Record<
    ServiceCode,
    ServiceState
  >;
  const spamPolicy = {
    ...facts.policies.spam,
    // Capacities (B1, B3) travel with the owning service's settings: DirectoryLimits only has the size limit.
    quarantineCapacityBytes: String(quarantineCapacityBytes(facts.planSize, services.spam.quarantineExtraBlocks)),
  };
  const archivePolicy = {
    ...facts.policies.archive,
    archiveCapacityBytes: String(archiveCapacityBytes(facts.planSize, services.archive.archiveExtraBlocks)),
  };
  const toSub = (s: ServiceState) => ({ subscribed: s.subscribed, startsOn: s.startsOn, endsOn: s.endsOn });
  return {
    domain: facts.name,
    tenantId: facts.tenantId,
    tenantName: facts.tenantName,
    active: facts.tenantActive && facts.domainActive,
    planAddresses: facts.planSize,
    services: { spam: toSub(services.spam), virus: toSub(services.virus), archive: toSub(services.archive), secondary: toSub(services.secondary) },
    addresses: [...facts.addresses]
      .sort((a, b) => a.localPart.localeCompare(b.localPart))
      .map((a) => ({ localPart: a.localPart, kind: a.kind, ...(a.userId !== undefined && { userId: a.userId }) })),
    server: facts.server ?? undefined,
    adminEmails: [...facts.adminEmails].sort(),
    limits: { maxMessageBytes: MAX_MESSAGE_BYTES },
    spamPolicy: { settings: spamPolicy },
    virusPolicy: { settings: { ...facts.policies.virus } },
    archivePolicy: { settings: archivePolicy },
    revision: facts.revision,
  };
}

export type SnapshotData = ReturnType<typeof buildSnapshot>;

/** Today as `YYYY-MM-DD` in UTC (the operator's time zone is a later setting). */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}
