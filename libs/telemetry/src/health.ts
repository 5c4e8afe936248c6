import { describeError } from '@torii/errors';

/** Readiness checks by name: each resolves when its dependency answers, and throws (or rejects) otherwise. */
export type HealthChecks = Record<string, () => Promise<void>>;

export type CheckResult = { status: 'ok' } | { status: 'failed'; error: string };

export interface ReadinessReport {
  status: 'ok' | 'unavailable';
  checks: Record<string, CheckResult>;
}

/** A check that does not answer in this time counts as failed, so a hung database cannot hang the probe. */
export const DEFAULT_CHECK_TIMEOUT_MS = 3_000;

/** Runs every check at once and reports each one; `unavailable` as soon as any failed. */
export async function checkReadiness(
  checks: HealthChecks,
  timeoutMs = DEFAULT_CHECK_TIMEOUT_MS,
): Promise<ReadinessReport> {
  const names = Object.keys(checks);
  const results = await Promise.all(names.map((name) => runCheck(checks[name], timeoutMs)));
  const report: ReadinessReport = { status: 'ok', checks: {} };
  names.forEach((name, i) => {
    report.checks[name] = results[i];
    if (results[i].status === 'failed') report.status = 'unavailable';
  });
  return report;
}

async function runCheck(check: () => Promise<void>, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([Promise.resolve().then(check), timeout]);
    return { status: 'ok' };
  } catch (error) {
    return { status: 'failed', error: describeError(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** Liveness says only that the process answers; it never checks dependencies (a restart would not fix them). */
export function liveness(): { status: 'ok' } {
  return { status: 'ok' };
}
