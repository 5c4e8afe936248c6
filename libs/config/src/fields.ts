import { z } from 'zod';

/** Reusable environment fields, so every service spells the same setting the same way. */
export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

export const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Durations as `500ms`, `30s`, `15m`, `4h`, `7d` or plain milliseconds; parsed to milliseconds. */
export const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: 'expected a duration such as 500ms, 30s, 15m, 4h or 7d' });
        return z.NEVER;
      }
      return ms;
    });

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(value: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNITS[match[2] ?? 'ms']);
}

/** Comma-separated list; blanks removed. */
export const list = (fallback: string[] = []) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined ? fallback : v.split(',').map((s) => s.trim()).filter(Boolean)));

export const url = (fallback?: string) => (fallback === undefined ? z.url() : z.url().default(fallback));

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

/** Fields that nearly every service shares. Spread them into a service schema. */
export const commonFields = {
  /** `production` turns off development conveniences (e.g. generated self-signed certificates). */
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** fatal, error, warn, info, debug, trace or silent. Logs are JSON lines carrying trace ids. */
  LOG_LEVEL: logLevel,
  /** Product name in headers the gateway adds, e.g. `X-<Brand>-Spam-Check`. */
  TORII_BRAND: z.string().regex(/^[A-Za-z0-9-]+$/, 'letters, digits and dashes only').default('Torii'),
  /** NATS with JetStream (2.10+ in production); several URLs comma-separated. */
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  /**
   * Copies of each JetStream stream a service creates at boot (3 on a 3-node NATS cluster). A boot raises an
   * existing stream to it and never lowers one; limits set with `nats stream edit` are kept. */
  NATS_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  /** OTLP/HTTP endpoint of an OpenTelemetry collector; traces are exported only when set. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
};

export const databaseFields = {
  /** PostgreSQL connection URL; the database is created by `npm start` when missing. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
    .default('postgresql://postgres@127.0.0.1:5432/torii'),
};

/** Services with an HTTP API (they check API keys and sessions with the tenant service, which answers only them). */
export const authFields = {
  /**
   * Shared secret the services send (X-Torii-Internal-Token) to the tenant service's API-key and session checks
   * under `/internal/`; without it those answer 403. Every service needs the same value. Required in production (at
   * least 32 characters); unset, `npm start` and tests use a development default.
   */
  INTERNAL_TOKEN: z.string().optional(),
};

export const storageFields = {
  /** S3 API endpoint (MinIO, Ceph, AWS). */
  S3_ENDPOINT: z.url().optional(),
  /** Region the S3 client signs for (MinIO accepts any). */
  S3_REGION: z.string().default('us-east-1'),
  /** S3 credentials (the defaults are the development server's). */
  S3_ACCESS_KEY: z.string().default('S3RVER'),
  S3_SECRET_KEY: z.string().default('S3RVER'),
  /** Bucket for messages (created at boot when missing). */
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{2,62}$/, 'not a valid bucket name').default('torii-mail'),
};
