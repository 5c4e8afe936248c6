import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  ReplayPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Codec } from './codec';

/** A stream declared in code and created (or brought up to date) at boot. */
export interface StreamSpec {
  name: string;
  subjects: string[];
  /** `limits` (default) keeps messages until maxAge/maxBytes; `workqueue` deletes on ack; `interest` once all consumers acked. */
  retention?: 'limits' | 'workqueue' | 'interest';
  storage?: 'file' | 'memory';
  /** `new`: a full stream refuses publishes (the publisher sees the error); `old` (server default): drops its oldest. */
  discard?: 'old' | 'new';
  /**
   * Limits, applied when the stream is created only: an operator may change them later (`nats stream edit`) and
   * no boot puts them back. 0 or absent `maxAgeMs`: kept forever; absent `maxBytes`/`maxMsgSize`: unlimited.
   */
  maxAgeMs?: number;
  maxBytes?: number;
  maxMsgSize?: number;
  /** How long `Nats-Msg-Id` duplicates are detected (server default: 2 minutes). */
  duplicateWindowMs?: number;
  /** Copies in a cluster when created; overrides `ensureStreams`' `replicas`. A boot only ever raises it. */
  replicas?: number;
}

/** Settings of `ensureStreams` that come from the deployment, not from the stream declarations. */
export interface EnsureStreamsOptions {
  /** Copies of each stream it creates (default 1); a boot raises an existing stream to it, never lowers one. */
  replicas?: number;
}

/** Raised when `NATS_STREAM_REPLICAS` is not a whole number from 1 to 5. */
export class StreamReplicasError extends Error {
  constructor(value: string) {
    super(`NATS_STREAM_REPLICAS must be a whole number from 1 to 5 (got ${JSON.stringify(value)})`);
    this.name = 'StreamReplicasError';
  }
}

/**
 * Stream replicas from the environment (`NATS_STREAM_REPLICAS`, validated by the services' config schemas
 * too), for the Nest module and transport when the service passes none; undefined when unset.
 */
export function streamReplicasFromEnv(env: Record<string, string | undefined> = process.env): number | undefined {
  const value = env['NATS_STREAM_REPLICAS']?.trim();
  if (!value) return undefined;
  if (!/^[1-5]$/.test(value)) throw new StreamReplicasError(value);
  return Number(value);
}

/** A stream as `@torii/contracts` defines it (NATS-shaped: durations in nanoseconds). */
export interface NatsStreamDefinition {
  readonly name: string;
  readonly subjects: readonly string[];
  readonly retention: 'limits' | 'workqueue' | 'interest';
  readonly storage: 'file' | 'memory';
  readonly max_age: number;
  readonly duplicate_window: number;
  readonly discard: 'old' | 'new';
}

const NS_PER_MS = 1_000_000;

/** A contracts stream definition as a `StreamSpec` (what services ensure at boot and tests declare). */
export function streamSpecOf(definition: NatsStreamDefinition): StreamSpec {
  return {
    name: definition.name,
    subjects: [...definition.subjects],
    retention: definition.retention,
    storage: definition.storage,
    discard: definition.discard,
    maxAgeMs: definition.max_age / NS_PER_MS,
    duplicateWindowMs: definition.duplicate_window / NS_PER_MS,
  };
}

/** A durable pull consumer and how its messages are handled. */
export interface ConsumerSpec {
  /** Durable name (letters, digits, `-`, `_`). */
  durable: string;
  stream: string;
  /** One subject filter (NATS 2.9 has no `filter_subjects`). */
  filterSubject: string;
  /** Deliveries allowed before a failing message goes to the dead letters. */
  maxDeliver: number;
  /** How long the server waits for an ack before redelivering (heartbeats extend it while a handler works). */
  ackWaitMs: number;
  /** Handlers running at once for this consumer (default 1). */
  concurrency?: number;
  /** Server-side redelivery delays for unacked messages (after a crash); the server then ignores ackWait. */
  backoffMs?: number[];
  maxAckPending?: number;
  /** Codec per subject pattern (exact subject or `*`/`>` wildcard); JSON when none matches. */
  codecs?: Record<string, Codec<unknown>>;
}

const retentions = {
  limits: RetentionPolicy.Limits,
  workqueue: RetentionPolicy.Workqueue,
  interest: RetentionPolicy.Interest,
} as const;

const discards = { old: DiscardPolicy.Old, new: DiscardPolicy.New } as const;

/** The configuration a new stream is created with. */
export function streamConfigFor(spec: StreamSpec, options: EnsureStreamsOptions = {}): Partial<StreamConfig> & { name: string } {
  return {
    name: spec.name,
    subjects: spec.subjects,
    retention: retentions[spec.retention ?? 'limits'],
    storage: spec.storage === 'memory' ? StorageType.Memory : StorageType.File,
    max_age: nanos(spec.maxAgeMs ?? 0),
    max_bytes: spec.maxBytes ?? -1,
    max_msg_size: spec.maxMsgSize ?? -1,
    num_replicas: spec.replicas ?? options.replicas ?? 1,
    ...(spec.discard === undefined ? {} : { discard: discards[spec.discard] }),
    ...(spec.duplicateWindowMs === undefined ? {} : { duplicate_window: nanos(spec.duplicateWindowMs) }),
  };
}

/**
 * What a boot changes on an existing stream, or undefined when nothing: only the fields the code owns.
 *
 * - Subjects are only ever added: a stream keeps the subjects it has and gains the ones declared. During a
 *   rolling upgrade an older replica declares fewer subjects than a newer one (MAIL without `mail.feedback`,
 *   say); replacing the list would make the stream drop the newer subject, and every publish on it would fail
 *   with "no responders" until the last old replica is gone. Removing a subject is a deliberate operation
 *   (`nats stream edit`), not something a boot should do.
 * - Replicas are only ever raised: an operator's R3 stream stays R3 when a service declaring 1 boots.
 * - Retention, storage, discard policy and the duplicate window follow the declaration: the code relies on them.
 * - Limits (max age, bytes, messages, message size) are the operator's once the stream exists: a boot never
 *   resets what was set with `nats stream edit`.
 */
export function streamUpdateFor(spec: StreamSpec, current: StreamConfig, options: EnsureStreamsOptions = {}): StreamConfig | undefined {
  const created = streamConfigFor(spec, options);
  const have = current.subjects ?? [];
  const owned: Partial<StreamConfig> = {
    subjects: [...have, ...spec.subjects.filter((subject) => !have.includes(subject))],
    retention: created.retention,
    storage: created.storage,
    num_replicas: Math.max(current.num_replicas ?? 1, created.num_replicas ?? 1),
    ...(created.discard === undefined ? {} : { discard: created.discard }),
    ...(created.duplicate_window === undefined ? {} : { duplicate_window: created.duplicate_window }),
  };
  return differs(owned, current).length > 0 ? { ...current, ...owned } : undefined;
}

/**
 * The server-side consumer. `max_deliver` is unlimited on purpose: the runner enforces `maxDeliver` itself
 * and dead-letters the message, so a message whose last delivery was lost (a crash) is not left stranded
 * unacked in the stream, and one whose dead-letter copy failed is retried.
 */
export function consumerConfigFor(spec: ConsumerSpec): ConsumerConfig {
  return {
    durable_name: spec.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    replay_policy: ReplayPolicy.Instant,
    filter_subject: spec.filterSubject,
    ack_wait: nanos(spec.ackWaitMs),
    max_deliver: -1,
    ...(spec.backoffMs?.length ? { backoff: spec.backoffMs.map(nanos) } : {}),
    ...(spec.maxAckPending === undefined ? {} : { max_ack_pending: spec.maxAckPending }),
  };
}

function isApiError(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

/** Field-by-field comparison of the fields we declare, so an identical config is left untouched. */
function differs(wanted: object, actual: object): string[] {
  const current = actual as Record<string, unknown>;
  return Object.entries(wanted)
    .filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(current[key]))
    .map(([key]) => key);
}

/**
 * Creates missing streams and brings the fields the code owns up to date on existing ones (see
 * `streamUpdateFor`). Safe to run at every boot, from every replica.
 */
export async function ensureStreams(jsm: JetStreamManager, specs: StreamSpec[], options: EnsureStreamsOptions = {}): Promise<StreamInfo[]> {
  const infos: StreamInfo[] = [];
  for (const spec of specs) {
    let info: StreamInfo | undefined;
    try {
      info = await jsm.streams.info(spec.name);
    } catch (error) {
      if (!isApiError(error, JetStreamApiCodes.StreamNotFound)) throw error;
    }
    if (!info) {
      infos.push(await jsm.streams.add(streamConfigFor(spec, options)));
      continue;
    }
    const update = streamUpdateFor(spec, info.config, options);
    infos.push(update ? await jsm.streams.update(spec.name, update) : info);
  }
  return infos;
}

/** Creates the durable pull consumer, or updates it when its declaration changed. */
export async function ensureConsumer(jsm: JetStreamManager, spec: ConsumerSpec): Promise<ConsumerInfo> {
  const wanted = consumerConfigFor(spec);
  let info: ConsumerInfo | undefined;
  try {
    info = await jsm.consumers.info(spec.stream, spec.durable);
  } catch (error) {
    if (!isApiError(error, JetStreamApiCodes.ConsumerNotFound)) throw error;
  }
  if (!info) return jsm.consumers.add(spec.stream, wanted);
  const changed = differs(wanted, info.config);
  if (changed.length === 0) return info;
  const { durable_name: _durable, ack_policy: _ack, deliver_policy: _deliver, replay_policy: _replay, ...mutable } = wanted;
  return jsm.consumers.update(spec.stream, spec.durable, mutable);
}
