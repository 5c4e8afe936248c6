import { mkdtemp, rm } from 'node:fs/promises';
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The part of s3rver (untyped, CommonJS) that we use. */
interface S3rverApp {
  callback(): RequestListener;
  store: { getBucket(name: string): Promise<unknown> };
  logger?: { close(): void; exceptions: { unhandle(): void } };
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverApp;
interface S3rverAccounts {
  DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
}

export interface S3ServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /**
   * Where objects live. When omitted, a fresh temporary folder that close() removes; a folder given here
   * is kept (e.g. `.torii/s3` for `npm start`).
   */
  directory?: string;
  /** s3rver logs every request unless silent; silent by default. */
  silent?: boolean;
  /** Extra access key ids to accept besides `S3RVER` (s3rver does not check v4 signatures). */
  accessKeys?: string[];
}

export interface S3Server {
  /** e.g. `http://127.0.0.1:41234`, for S3_ENDPOINT. */
  endpoint: string;
  port: number;
  directory: string;
  close(): Promise<void>;
}

export const S3RVER_ACCESS_KEY = 'S3RVER';
export const S3RVER_SECRET_KEY = 'S3RVER';

/**
 * Runs an S3-compatible server in-process (s3rver) for tests and `npm start`.
 *
 * s3rver lacks ListMultipartUploads (`GET /<bucket>?uploads`), which the `minio` client calls before a
 * streamed upload to look for one to resume; we answer it with an empty list so multipart uploads work.
 */
export async function startS3Server(options: S3ServerOptions = {}): Promise<S3Server> {
  // s3rver ships no types (the interfaces above describe what we use); loaded lazily so importing
  // @torii/testing for a database helper does not load Koa.
  const S3rver = require('s3rver') as S3rverConstructor;
  const accounts = require('s3rver/lib/models/account') as S3rverAccounts;
  for (const key of options.accessKeys ?? []) accounts.DUMMY_ACCOUNT.createKeyPair(key, key);

  const host = options.host ?? '127.0.0.1';
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'torii-s3-')));
  const silent = options.silent ?? true;
  const app = new S3rver({ directory, silent, vhostBuckets: false, allowMismatchedSignatures: true });
  const handle = app.callback();

  const server = createServer((req, res) => {
    const bucket = listUploadsBucket(req);
    if (bucket === undefined) return void handle(req, res);
    answerListUploads(app, bucket, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(silent ? undefined : String(error));
    });
  });
  // Node's defaults would cut off a slow multipart upload of a large message.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    directory,
    close: async () => {
      await closeServer(server, app);
      if (options.directory === undefined) await rm(directory, { recursive: true, force: true });
    },
  };
}

/** The bucket name when the request is ListMultipartUploads, else undefined. */
function listUploadsBucket(req: IncomingMessage): string | undefined {
  if (req.method !== 'GET' || !req.url) return undefined;
  const url = new URL(req.url, 'http://s3.local');
  if (!url.searchParams.has('uploads')) return undefined;
  const match = /^\/([^/]+)\/?$/.exec(url.pathname);
  return match ? decodeURIComponent(match[1]) : undefined;
}

async function answerListUploads(app: S3rverApp, bucket: string, res: ServerResponse): Promise<void> {
  const head = '<?xml version="1.0" encoding="UTF-8"?>\n';
  const name = escapeXml(bucket);
  if (!(await app.store.getBucket(bucket))) {
    res.writeHead(404, { 'Content-Type': 'application/xml' });
    res.end(
      `${head}<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message>` +
        `<BucketName>${name}</BucketName></Error>`,
    );
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/xml' });
  res.end(
    `${head}<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Bucket>${name}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>` +
      `<NextKeyMarker></NextKeyMarker><NextUploadIdMarker></NextUploadIdMarker>` +
      `<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>`,
  );
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function closeServer(server: Server, app: S3rverApp): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => {
      app.logger?.exceptions.unhandle();
      app.logger?.close();
      if (error) reject(error);
      else resolve();
    });
    // Keep-alive sockets of a client that was not closed would hold close() open forever; requests still
    // running get a short grace period.
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 2_000).unref();
  });
}
