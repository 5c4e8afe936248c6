/** SPEC B1: plan sizes by number of addresses, up to 1,000; then every further 100. */
export const PLAN_ROWS: readonly number[] = [
  10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 160, 180, 200, 220, 250, 300, 350, 400, 450, 500, 600, 700, 800, 900,
  1000,
];

/** Largest plan we accept (a guard against typos, not a business limit). */
export const MAX_PLAN_SIZE = 1_000_000;

/**
 * The plan for a requested number of addresses: the row itself, or the next larger one when the number
 * falls between rows (B1); above 1,000, rounded up to the next hundred. Undefined for anything that is not
 * a positive integer up to MAX_PLAN_SIZE.
 */
export function planForAddresses(requested: number): number | undefined {
  if (!Number.isInteger(requested) || requested < 1 || requested > MAX_PLAN_SIZE) return undefined;
  const row = PLAN_ROWS.find((size) => size >= requested);
  return row ?? Math.ceil(requested / 100) * 100;
}

const MB = 1_000_000;
const GB = 1_000_000_000;

/** B1 + B3: quarantine included is 50 MB per 10 addresses, plus 50 MB per extra block. */
export function quarantineCapacityBytes(planSize: number, extraBlocks: number): number {
  return (planSize / 10) * 50 * MB + extraBlocks * 50 * MB;
}

/** B1 + B3: archive included is 1 GB per address, plus 10 GB per extra block. */
export function archiveCapacityBytes(planSize: number, extraBlocks: number): number {
  return planSize * GB + extraBlocks * 10 * GB;
}
