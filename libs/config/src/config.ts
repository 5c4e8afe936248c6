import { z } from 'zod';

/** Raised when the environment does not satisfy a service's schema; names every bad variable at once. */
export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: string[],
  ) {
    super(`${service}: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

/**
 * Validates `env` against `schema` and returns the typed configuration. Empty strings count as unset, so
 * `FOO=` falls back to the default instead of failing a number parse.
 */
export function parseConfig<S extends z.ZodType>(service: string, schema: S, env: Env = process.env): z.output<S> {
  const cleaned: Env = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && value !== '') cleaned[key] = value;
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    const key = typeof issue.path[0] === 'string' ? issue.path[0] : undefined;
    const given = key === undefined ? undefined : cleaned[key];
    return `${name}: ${issue.message}${key === undefined || given === undefined ? ' (not set)' : ` (${shownValue(key, given)})`}`;
  });
  throw new ConfigError(service, problems);
}

/** Variables whose value is a secret by their name: their values never reach a log or the terminal. */
export const SECRET_NAME = /SECRET|TOKEN|PASSWORD|PASSWD|KEY/i;

/**
 * How a rejected value is shown in the boot error: as given, except a secret's (only its length) and the
 * password of a URL with credentials (`postgres://user:***@host/db`). The error goes to stderr, and from there
 * to whatever collects the pod's logs.
 */
export function shownValue(name: string, value: string): string {
  if (SECRET_NAME.test(name)) return `got ${value.length} characters, not shown`;
  return `got ${JSON.stringify(value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:)[^/?#@]*@/i, '$1***@'))}`;
}

/**
 * Reads the configuration once at boot. On a bad environment it prints one message naming every problem and
 * stops the process: a service never runs half-configured.
 */
export function loadConfig<S extends z.ZodType>(service: string, schema: S, env: Env = process.env): z.output<S> {
  try {
    return parseConfig(service, schema, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
}
