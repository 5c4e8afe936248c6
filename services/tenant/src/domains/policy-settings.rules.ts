/**
 * The settings each service's domain policy takes, and their values. Consumers read them from the directory
 * (`spamPolicy`, `virusPolicy`, `archivePolicy`); an unknown key or value would silently mean the default, so
 * the API refuses it instead (a typo like `unscanable: hold` must not leave unscannable mail delivered).
 */
export const POLICY_SETTINGS = {
  /** delivery: when no spam verdict comes in time, deliver unchecked (default) or hold. */
  spam: { on_failure: ['deliver', 'hold'] },
  /** delivery and virus-scan: unscannable mail delivered with a header (default) or held; no verdict: hold (default) or deliver. */
  virus: { unscannable: ['deliver', 'hold'], on_failure: ['hold', 'deliver'] },
  /** The audit archive has no settings yet. */
  archive: {},
} as const satisfies Record<string, Record<string, readonly string[]>>;

export type PolicyService = keyof typeof POLICY_SETTINGS;

export function isPolicyService(service: string): service is PolicyService {
  return Object.hasOwn(POLICY_SETTINGS, service);
}

/** What is wrong with `settings` for `service`, one entry per key; empty when all is well. */
export function policySettingsProblems(service: PolicyService, settings: Record<string, string>): { key: string; detail: string }[] {
  const allowed: Record<string, readonly string[]> = POLICY_SETTINGS[service];
  const problems: { key: string; detail: string }[] = [];
  for (const [key, value] of Object.entries(settings)) {
    const values = Object.hasOwn(allowed, key) ? allowed[key] : undefined;
    if (!values) {
      const known = Object.keys(allowed);
      problems.push({ key, detail: `not a ${service} setting (${known.length ? `known: ${known.join(', ')}` : 'it has none'})` });
    } else if (!values.includes(value)) {
      problems.push({ key, detail: `must be one of ${values.join(', ')}, not ${JSON.stringify(value)}` });
    }
  }
  return problems;
}
