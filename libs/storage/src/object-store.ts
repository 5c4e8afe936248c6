import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Client } from 'minio';
import { InvalidObjectKeyError, ObjectNotFoundError, ObjectStoreError, isNotFound, toStorageError } from './errors';
import { assertValidKey, assertValidPrefix } from './keys';

export interface ObjectStoreConfig {
  /** `http(s)://host:port` of the S3 API. */
  endpoint: string;
  region: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  /**
   * Bytes held in memory per upload: a stream is sent as one PUT when it fits in one part, else as a
   * multipart upload of parts this size (S3 minimum 5 MiB). 16 MiB sends a 100 MB message in 7 parts.
   */
  partSize?: number;
}

/** The environment shape of @torii/config's `storageFields`. */
export interface StorageEnv {
  S3_ENDPOINT?: string;
  S3_REGION: string;
  S3_ACCESS_KEY: string;
  S3_SECRET_KEY: string;
  S3_BUCKET: string;
}

/** The development object store of `npm start`. */
export const DEFAULT_S3_ENDPOINT = 'http://127.0.0.1:9000';
const DEFAULT_PART_SIZE = 16 * 1024 * 1024;
const MIN_PART_SIZE = 5 * 1024 * 1024;

export interface PutOptions {
  contentType?: string;
  /** User metadata (`x-amz-meta-*`): ASCII keys and values. */
  metadata?: Record<string, string>;
}

export interface PutResult {
  key: string;
  /** Bytes stored. */
  size: number;
  /** Hex SHA-256 of the bytes stored, computed while they streamed past. */
  sha256: string;
  /** As the store reports it; a multipart ETag is not an MD5 of the content. */
  etag: string;
}

export interface ObjectStat {
  size: number;
  etag: string;
  lastModified: Date;
  contentType?: string;
  /** User metadata, keys lower-case without the `x-amz-meta-` prefix. */
  metadata: Record<string, string>;
}

export interface ListedObject {
  key: string;
  size: number;
  lastModified: Date;
}

/**
 * Messages and other blobs in one S3 bucket (MinIO in production, s3rver in development and tests).
 * Failures surface as ObjectNotFoundError (permanent), InvalidObjectKeyError (permanent) or
 * ObjectStoreError (temporary), each with the client's error as `cause`.
 */
export class ObjectStore {
  readonly bucket: string;
  private readonly client: Client;
  private readonly region: string;
  private readonly partSize: number;

  constructor(config: ObjectStoreConfig) {
    const url = new URL(config.endpoint);
    const useSSL = url.protocol === 'https:';
    this.bucket = config.bucket;
    this.region = config.region;
    this.partSize = Math.max(config.partSize ?? DEFAULT_PART_SIZE, MIN_PART_SIZE);
    this.client = new Client({
      endPoint: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port ? Number(url.port) : useSSL ? 443 : 80,
      useSSL,
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      // Known region: the client never has to ask the store for the bucket's location.
      region: config.region,
      pathStyle: true,
    });
  }

  static fromEnv(env: StorageEnv): ObjectStore {
    return new ObjectStore({
      endpoint: env.S3_ENDPOINT ?? DEFAULT_S3_ENDPOINT,
      region: env.S3_REGION,
      accessKey: env.S3_ACCESS_KEY,
      secretKey: env.S3_SECRET_KEY,
      bucket: env.S3_BUCKET,
    });
  }

  /** A readiness check: the object store answers and the bucket exists. */
  async ping(): Promise<void> {
    let exists: boolean;
    try {
      exists = await this.client.bucketExists(this.bucket);
    } catch (error) {
      throw toStorageError('ping', this.bucket, error);
    }
    if (!exists) throw new Error(`bucket ${this.bucket} does not exist`);
  }

  /** Creates the bucket unless it exists; safe to call at every boot, also from several services at once. */
  async ensureBucket(): Promise<void> {
    try {
      if (await this.client.bucketExists(this.bucket)) return;
      await this.client.makeBucket(this.bucket, this.region);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'BucketAlreadyOwnedByYou' || code === 'BucketAlreadyExists') return;
      throw toStorageError('ensureBucket', this.bucket, error);
    }
  }

  /**
   * Stores a stream under `key`, replacing any object there. Reads the stream once, hashing and counting
   * as it goes, and holds at most one part in memory. A failed multipart upload is aborted, so no partial
   * object becomes visible.
   */
  async put(key: string, stream: Readable, options: PutOptions = {}): Promise<PutResult> {
    assertValidKey(key);
    const headers = objectHeaders(options);
    const hash = createHash('sha256');
    let size = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let uploadId: string | undefined;
    const parts: { part: number; etag: string }[] = [];

    const uploadPart = async (data: Buffer) => {
      uploadId ??= await this.client.initiateNewMultipartUpload(this.bucket, key, headers);
      const part = parts.length + 1;
      const { etag } = await this.client.uploadPart(
        { bucketName: this.bucket, objectName: key, uploadID: uploadId, partNumber: part, headers: {} },
        data,
      );
      parts.push({ part, etag });
    };

    try {
      for await (const chunk of stream as AsyncIterable<Buffer | string>) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        hash.update(bytes);
        size += bytes.length;
        pending.push(bytes);
        pendingBytes += bytes.length;
        while (pendingBytes >= this.partSize) {
          const all = Buffer.concat(pending, pendingBytes);
          pending = [all.subarray(this.partSize)];
          pendingBytes = all.length - this.partSize;
          await uploadPart(all.subarray(0, this.partSize));
        }
      }
      const rest = Buffer.concat(pending, pendingBytes);
      pending = [];
      let etag: string;
      if (uploadId === undefined) {
        // Fits in one part: a plain PUT (no multipart bookkeeping on the server).
        ({ etag } = await this.client.putObject(this.bucket, key, rest, rest.length, headers));
      } else {
        if (rest.length > 0) await uploadPart(rest);
        ({ etag } = await this.client.completeMultipartUpload(this.bucket, key, uploadId, parts));
      }
      return { key, size, sha256: hash.digest('hex'), etag };
    } catch (error) {
      if (uploadId !== undefined) {
        await this.client.abortMultipartUpload(this.bucket, key, uploadId).catch(() => undefined);
      }
      throw toStorageError('put', key, error);
    }
  }

  /** Streams the object. Throws ObjectNotFoundError before returning when there is none. */
  async get(key: string): Promise<Readable> {
    assertValidKey(key);
    try {
      return await this.client.getObject(this.bucket, key);
    } catch (error) {
      throw toStorageError('get', key, error);
    }
  }

  /** Streams `length` bytes from `offset` (to the end when `length` is omitted). */
  async getRange(key: string, offset: number, length?: number): Promise<Readable> {
    assertValidKey(key);
    if (!Number.isInteger(offset) || offset < 0)
      throw new InvalidObjectKeyError(key, `bad range offset ${offset}`);
    try {
      return await this.client.getPartialObject(this.bucket, key, offset, length);
    } catch (error) {
      throw toStorageError('getRange', key, error);
    }
  }

  /**
   * The first `maxBytes` bytes as one buffer: all of a smaller object, nothing of an empty one. Throws
   * ObjectNotFoundError when there is none. (An empty object has no byte 0 to start a range at: S3 and MinIO
   * answer 416, s3rver drops the stream. Read as an error it would be retried for ever.)
   */
  async readHead(key: string, maxBytes: number): Promise<Buffer> {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of await this.getRange(key, 0, maxBytes)) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
      return Buffer.concat(chunks);
    } catch (error) {
      if (error instanceof ObjectNotFoundError) throw error;
      const stat = await this.stat(key).catch(() => undefined);
      if (stat?.size === 0) return Buffer.alloc(0);
      if (stat === null) throw new ObjectNotFoundError(key, { cause: error });
      throw error instanceof ObjectStoreError ? error : toStorageError('readHead', key, error);
    }
  }

  /** Size, ETag, date and metadata of the object; null when there is none. */
  async stat(key: string): Promise<ObjectStat | null> {
    assertValidKey(key);
    try {
      const stat = await this.client.statObject(this.bucket, key);
      const metadata: Record<string, string> = {};
      let contentType: string | undefined;
      for (const [name, value] of Object.entries(stat.metaData as Record<string, unknown>)) {
        const lower = name.toLowerCase();
        if (lower === 'content-type') contentType = String(value);
        else metadata[lower.replace(/^x-amz-meta-/, '')] = String(value);
      }
      return { size: stat.size, etag: stat.etag, lastModified: stat.lastModified, contentType, metadata };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw toStorageError('stat', key, error);
    }
  }

  /** Removes the object; removing one that is not there is not an error. */
  async delete(key: string): Promise<void> {
    assertValidKey(key);
    try {
      await this.client.removeObject(this.bucket, key);
    } catch (error) {
      if (isNotFound(error)) return;
      throw toStorageError('delete', key, error);
    }
  }

  /**
   * Every object whose key starts with `prefix`, in key order, fetched page by page; with `startAfter`, only
   * the keys after it (S3 starts the listing there: the keys before it are not read at all).
   */
  async *list(prefix: string, options: { startAfter?: string } = {}): AsyncGenerator<ListedObject> {
    assertValidPrefix(prefix);
    try {
      for await (const item of this.client.listObjectsV2(this.bucket, prefix, true, options.startAfter ?? '')) {
        if (item.name === undefined) continue; // a common prefix; cannot occur with recursive listing
        yield { key: item.name, size: item.size, lastModified: item.lastModified };
      }
    } catch (error) {
      throw toStorageError('list', prefix, error);
    }
  }

  /** A URL that lets its bearer download the object for `ttlSeconds` (at most 7 days, the S3 limit). */
  async presignedGet(key: string, ttlSeconds: number): Promise<string> {
    assertValidKey(key);
    try {
      return await this.client.presignedGetObject(this.bucket, key, ttlSeconds);
    } catch (error) {
      throw toStorageError('presign', key, error);
    }
  }
}

function objectHeaders({ contentType, metadata }: PutOptions): Record<string, string> {
  const headers: Record<string, string> = { 'Content-Type': contentType ?? 'application/octet-stream' };
  for (const [name, value] of Object.entries(metadata ?? {}))
    headers[`x-amz-meta-${name.toLowerCase()}`] = value;
  return headers;
}
