import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV, type KvOptions } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { describeError } from '@torii/errors';
import type { Codec } from './codec';

export interface KvValue<T> {
  value: T;
  revision: number;
}

export type KvChange<T> =
  | { key: string; revision: number; operation: 'put'; value: T }
  | { key: string; revision: number; operation: 'delete' };

export interface KvWatch {
  stop(): void;
  /** Resolves when the watch ends (stopped or connection closed). */
  readonly done: Promise<void>;
}

/** True for the error of a `KvStore.update`/`create` that lost to another write of the key (read again, retry). */
export function isRevisionConflict(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/** A typed key-value bucket (JetStream KV): values pass through a codec. */
export class KvStore<T> {
  private constructor(
    private readonly kv: KV,
    private readonly codec: Codec<T>,
  ) {}

  /** Opens a bucket, creating it when `create` is set (idempotent). */
  static async open<T>(
    connection: NatsConnection,
    bucket: string,
    codec: Codec<T>,
    options: { create?: boolean } & Partial<KvOptions> = {},
  ): Promise<KvStore<T>> {
    const { create, ...kvOptions } = options;
    const kvm = new Kvm(connection);
    const kv = create ? await kvm.create(bucket, kvOptions) : await kvm.open(bucket, kvOptions);
    return new KvStore(kv, codec);
  }

  /** The current value, or null when the key is absent or deleted. */
  async get(key: string): Promise<KvValue<T> | null> {
    const entry = await this.kv.get(key);
    if (!entry || entry.operation !== 'PUT') return null;
    return { value: this.codec.decode(entry.value), revision: entry.revision };
  }

  /** Stores a value; returns its revision. */
  put(key: string, value: T): Promise<number> {
    return this.kv.put(key, this.codec.encode(value));
  }

  /**
   * Compare-and-set: stores the value only while the key is still at `revision` (from `get`); returns the new
   * revision. Another write in between makes it throw an error `isRevisionConflict` recognises.
   */
  update(key: string, value: T, revision: number): Promise<number> {
    return this.kv.update(key, this.codec.encode(value), revision);
  }

  /** Stores the value only while the key is absent or deleted (else as `update`'s conflict); returns its revision. */
  create(key: string, value: T): Promise<number> {
    return this.kv.create(key, this.codec.encode(value));
  }

  /** Every key whose last operation is a put (deleted and purged keys are left out). */
  async keys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const key of await this.kv.keys()) keys.push(key);
    return keys;
  }

  delete(key: string): Promise<void> {
    return this.kv.delete(key);
  }

  /**
   * Calls `onChange` for the current value of every matching key, then for each later change. A value that
   * cannot be decoded is reported to `onError` and skipped.
   */
  async watch(
    onChange: (change: KvChange<T>) => void | Promise<void>,
    options: { key?: string; onError?: (error: unknown) => void } = {},
  ): Promise<KvWatch> {
    const iterator = await this.kv.watch({ key: options.key ?? '>' });
    const done = (async () => {
      for await (const entry of iterator) {
        try {
          if (entry.operation === 'PUT') {
            await onChange({ key: entry.key, revision: entry.revision, operation: 'put', value: this.codec.decode(entry.value) });
          } else {
            await onChange({ key: entry.key, revision: entry.revision, operation: 'delete' });
          }
        } catch (error) {
          options.onError?.(new Error(`kv watch ${entry.key}: ${describeError(error)}`, { cause: error }));
        }
      }
    })();
    return { stop: () => iterator.stop(), done };
  }
}
