import {
  AckPolicy,
  DeliverPolicy,
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
  /** 0 or absent: kept forever. */
  maxAgeMs?: number;
  maxBytes?: number;
  maxMsgSize?: number;
  /** How long `Nats-Msg-Id` duplicates are detected (server default: 2 minutes). */
  duplicateWindowMs?: number;
  replicas?: number;
}

/** A stream as `@torii/contracts` defines it (NATS-shaped: durations in nanoseconds). */
export interface NatsStreamDefinition {
  readonly name: string;
  readonly subjects: readonly string[];
  readonly retention: 'limits' | 'workqueue' | 'interest';
  readonly storage: 'file' | 'memory';
  readonly max_age: number;
  readonly duplicate_window: number;
}

const NS_PER_MS = 1_000_000;

/** A contracts stream definition as a `StreamSpec` (what services ensure at boot and tests declare). */
export function streamSpecOf(definition: NatsStreamDefinition): StreamSpec {
  return {
    name: definition.name,
    subjects: [...definition.subjects],
    retention: definition.retention,
    storage: definition.storage,
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

export function streamConfigFor(spec: StreamSpec): Partial<StreamConfig> & { name: string } {
  return {
    name: spec.name,
    subjects: spec.subjects,
    retention: retentions[spec.retention ?? 'limits'],
    storage: spec.storage === 'memory' ? StorageType.Memory : StorageType.File,
    max_age: nanos(spec.maxAgeMs ?? 0),
    max_bytes: spec.maxBytes ?? -1,
    max_msg_size: spec.maxMsgSize ?? -1,
    num_replicas: spec.replicas ?? 1,
    ...(spec.duplicateWindowMs === undefined ? {} : { duplicate_window: nanos(spec.duplicateWindowMs) }),
  };
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
 * Creates missing streams and updates changed ones. Safe to run at every boot, from every replica.
 *
 * Subjects are only ever added: a stream keeps the subjects it has and gains the ones declared. During a
 * rolling upgrade an older replica declares fewer subjects than a newer one (MAIL without `mail.feedback`,
 * say); replacing the list would make the stream drop the newer subject, and every publish on it would fail
 * with "no responders" until the last old replica is gone. Removing a subject is a deliberate operation
 * (`nats stream edit`), not something a boot should do.
 */
export async function ensureStreams(jsm: JetStreamManager, specs: StreamSpec[]): Promise<StreamInfo[]> {
  const infos: StreamInfo[] = [];
  for (const spec of specs) {
    const wanted = streamConfigFor(spec);
    let info: StreamInfo | undefined;
    try {
      info = await jsm.streams.info(spec.name);
    } catch (error) {
      if (!isApiError(error, JetStreamApiCodes.StreamNotFound)) throw error;
    }
    if (info) {
      const have = info.config.subjects ?? [];
      wanted.subjects = [...have, ...spec.subjects.filter((subject) => !have.includes(subject))];
    }
    if (!info) {
      infos.push(await jsm.streams.add(wanted));
    } else if (differs(wanted, info.config).length > 0) {
      infos.push(await jsm.streams.update(spec.name, { ...info.config, ...wanted }));
    } else {
      infos.push(info);
    }
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
