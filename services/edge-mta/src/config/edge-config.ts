import { bool, commonFields, duration, list, loadConfig, port, positiveInt, storageFields, z, type Env } from '@torii/config';

/** P8: every message is at most 100 MB unless the operator lowers it. */
export const DEFAULT_MAX_MESSAGE_BYTES = 100 * 1024 * 1024;

export const edgeConfigSchema = z.object({
  ...commonFields,
  ...storageFields,
  /** Inbound MX listener (25 in production). */
  SMTP_INBOUND_PORT: port(2525),
  /** Relay (smart host) listener for tenants' servers (587 in production). */
  SMTP_RELAY_PORT: port(2587),
  SMTP_BIND_ADDRESS: z.string().default('127.0.0.1'),
  /** Our name in the greeting, EHLO answer and MailReceived.received_by. */
  SMTP_HOSTNAME: z.string().regex(/^[A-Za-z0-9.-]+$/, 'a host name').default('localhost'),
  MAX_MESSAGE_BYTES: positiveInt(DEFAULT_MAX_MESSAGE_BYTES),
  /** PEM files for STARTTLS; a self-signed pair is generated into STATE_DIR when unset. */
  TLS_CERT_FILE: z.string().optional(),
  TLS_KEY_FILE: z.string().optional(),
  /** Load balancers allowed to send the PROXY protocol header (IPs or CIDRs). */
  PROXY_PROTOCOL_FROM: list([]),
  /** Where the generated Haraka configuration, spool files and the abort journal live. */
  STATE_DIR: z.string().default('.state/edge-mta'),
  HTTP_PORT: port(3003),
  HTTP_BIND_ADDRESS: z.string().default('127.0.0.1'),
  /** The NATS KV bucket holding one DomainDirectory per domain (tests use their own). */
  DIRECTORY_BUCKET: z.string().regex(/^[A-Za-z0-9_-]+$/).default('directory'),
  /** The NATS KV bucket where the spool publishes its state (SEC4: 452 4.3.1 when full). */
  SPOOL_STATE_BUCKET: z.string().regex(/^[A-Za-z0-9_-]+$/).default('spool-state'),
  /** A spool state older than this is ignored (the spool is not publishing): nothing is refused for it. */
  SPOOL_STATE_MAX_AGE: duration('5m'),
  /** DNS servers for PTR, SPF, DKIM and DMARC lookups; the system's when empty. */
  DNS_SERVERS: list([]),
  /**
   * A JSON file of DNS records that replaces DNS entirely (tests, local runs), by type first:
   * `{"PTR": {"127.0.0.1": ["localhost"]}, "A": {"localhost": ["127.0.0.1"]}, "TXT": {...}}`; anything absent is
   * "not found". Delivery reads the same file (see src/dns/resolver.ts).
   */
  DNS_OVERRIDES_FILE: z.string().optional(),
  DNS_TIMEOUT: duration('5s'),
  /** Relay also requires the PTR name to resolve back to the client IP (forward-confirmed rDNS). */
  RELAY_REQUIRE_FCRDNS: bool(true),
  /** How long the queue step (object store + publish ack) may take before the client gets 451. */
  QUEUE_TIMEOUT: duration('120s'),
  PUBLISH_TIMEOUT: duration('10s'),
  /** Shutdown waits this long for in-flight SMTP sessions before closing them. */
  SHUTDOWN_GRACE: duration('30s'),
  /** Maximum recipients per transaction (RFC 5321 requires at least 100). */
  MAX_RECIPIENTS: positiveInt(100),
  /**
   * SPAM14 by mail: the domain of the feedback addresses `spam@` (it got through but is spam) and `not-spam@`
   * (it was flagged but is not). Unset: no feedback by mail. Nothing points at it in DNS: users send the
   * report to their own mail server, which relays it through us (relay port) like any outbound mail, so only
   * a registered server and a registered sender address of the tenant's domain get in. The edge stores the
   * report and publishes FeedbackMail; it relays it nowhere. Refused on the inbound port.
   */
  FEEDBACK_DOMAIN: z
    .string()
    .regex(/^(([A-Za-z0-9-]+\.)+[A-Za-z0-9-]+)?$/, 'a domain name')
    .transform((domain) => domain.toLowerCase() || undefined)
    .optional(),
  /** Put in front of published subjects (tests give each run its own stream, e.g. `t_abc.`). */
  SUBJECT_PREFIX: z.string().regex(/^([A-Za-z0-9_-]+\.)*$/).default(''),
});

export type EdgeConfig = z.output<typeof edgeConfigSchema>;

export function loadEdgeConfig(env: Env = process.env): EdgeConfig {
  return loadConfig('edge-mta', edgeConfigSchema, env);
}
