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
    const given = typeof issue.path[0] === 'string' ? cleaned[issue.path[0]] : undefined;
    return `${name}: ${issue.message}${given === undefined ? ' (not set)' : ` (got ${JSON.stringify(given)})`}`;
  });
  throw new ConfigError(service, problems);
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
