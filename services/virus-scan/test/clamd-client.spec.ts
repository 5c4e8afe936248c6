import { Logger } from '@nestjs/common';
import { isTransient } from '@torii/errors';
import { UNKNOWN_FAILURE_DELIVERIES, decideOnFailure } from '@torii/messaging';
import { createServer, type Server } from 'node:net';
import { Readable } from 'node:stream';
import { ClamdClient, ClamdReplyError, ScannerUnavailableError } from '../src/scan/clamd.client';
import { virusScanConfigSchema } from '../src/config/virus-scan.config';
import { startClamd, type TestClamd } from './support/clamd';
import { EICAR } from './support/zips';

// ClamdClient logs each refusal and each nonsense reply; the assertions here say what matters.
beforeAll(() => Logger.overrideLogger(false));

const clientFor = (host: string, port: number, extra: Record<string, string> = {}) =>
  new ClamdClient(virusScanConfigSchema.parse({ CLAMD_HOSTS: `${host}:${port}`, CLAMD_CONNECT_TIMEOUT: '1s', CLAMD_TIMEOUT: '10s', ...extra }));

/** `size` bytes of harmless data in 64 KiB pieces, as a stream (the way a decoded part arrives). */
const bytes = (size: number) =>
  Readable.from(
    (function* () {
      for (let at = 0; at < size; at += 65_536) yield Buffer.alloc(Math.min(65_536, size - at), 0x41);
    })(),
  );

describe('ClamdClient against a real clamd with StreamMaxLength 1M', () => {
  let clamd: TestClamd;
  beforeAll(async () => {
    clamd = await startClamd({ CLAMD_STREAM_MAX_LENGTH: '1M' });
  }, 60_000);
  afterAll(async () => clamd?.close());

  it('a stream over the limit is unscannable every time (clamd resets the connection; its answer is not lost)', async () => {
    const session = await clientFor(clamd.host, clamd.port).session();
    // Against clamd 1.4 about half of these lose the reply to EPIPE; each must still come out as the refusal.
    for (let i = 0; i < 20; i++) {
      const stream = bytes(5_000_000);
      await expect(session.scan(stream)).resolves.toEqual(['Torii.Unscannable.Stream-Too-Large']);
    }
  });

  it('the rest of a refused stream is drained, not left blocking its writer', async () => {
    const session = await clientFor(clamd.host, clamd.port).session();
    const { PassThrough } = await import('node:stream');
    const source = new PassThrough({ highWaterMark: 16 * 1024 });
    const scanned = session.scan(source);
    // The writer keeps going after clamd refused, honouring back-pressure, as the MIME walk does.
    for (let i = 0; i < 200; i++) {
      if (!source.write(Buffer.alloc(32 * 1024, 0x42))) await new Promise((r) => source.once('drain', r));
    }
    source.end();
    await expect(scanned).resolves.toEqual(['Torii.Unscannable.Stream-Too-Large']);
  });

  it('under the limit: a verdict as before', async () => {
    const session = await clientFor(clamd.host, clamd.port).session();
    await expect(session.scan(bytes(900_000))).resolves.toEqual([]);
    await expect(session.scan(Readable.from([EICAR]))).resolves.toEqual(['Eicar-Signature']);
  });

  it('clamd gone: ScannerUnavailableError (temporary)', async () => {
    await clamd.stop();
    try {
      await expect(clientFor(clamd.host, clamd.port).session()).rejects.toBeInstanceOf(ScannerUnavailableError);
    } finally {
      await clamd.start();
    }
  });
});

describe('ClamdClient: what a clamd-speaking peer answers', () => {
  // Real clamd never answers nonsense or drops mid-stream on cue; this peer speaks clamd's protocol for those.
  let server: Server;
  let port = 0;
  /** What the peer does once an INSTREAM came in (`at: 'end'`: once its terminating chunk came, else at once). */
  let answer: { at: 'start' | 'end'; act: (socket: import('node:net').Socket) => void } = { at: 'start', act: () => undefined };
  beforeAll(async () => {
    server = createServer((socket) => {
      let got = Buffer.alloc(0);
      let done = false;
      socket.on('data', (data: Buffer) => {
        got = Buffer.concat([got, data]);
        if (got.toString('latin1').startsWith('zVERSION')) return void socket.end('ClamAV 1.4.6/27000/Mon Dec  7 09:00:00 2026\0');
        if (done || (answer.at === 'end' && !got.subarray(-4).equals(Buffer.alloc(4)))) return;
        done = true;
        answer.act(socket);
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => new Promise((r) => server.close(r)));

  it('a reply not understood: ClamdReplyError with the raw reply, not transient, parked at delivery 20', async () => {
    answer = { at: 'end', act: (socket) => socket.end('stream: I am a teapot\0') };
    const session = await clientFor('127.0.0.1', port).session();
    const error = await session.scan(Readable.from([Buffer.from('hello')])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClamdReplyError);
    expect(error).toMatchObject({ reply: 'stream: I am a teapot' });
    expect(isTransient(error)).toBe(false);
    // The consumer's rule for such errors: retried, then parked at the 20th delivery (not the 300th).
    expect(decideOnFailure(error, UNKNOWN_FAILURE_DELIVERIES - 1, 300, { baseMs: 5_000, maxMs: 300_000 }).action).toBe('retry');
    expect(decideOnFailure(error, UNKNOWN_FAILURE_DELIVERIES, 300, { baseMs: 5_000, maxMs: 300_000 })).toMatchObject({ action: 'dead-letter', reason: 'max-deliveries' });
    expect(decideOnFailure(new ScannerUnavailableError('x'), UNKNOWN_FAILURE_DELIVERIES, 300, { baseMs: 5_000, maxMs: 300_000 }).action).toBe('retry');
  });

  it("clamd's own trouble (its temporary file) is temporary", async () => {
    answer = { at: 'end', act: (socket) => socket.end("stream: Can't create temporary file ERROR\0") };
    const session = await clientFor('127.0.0.1', port).session();
    await expect(session.scan(Readable.from([Buffer.from('hello')]))).rejects.toBeInstanceOf(ScannerUnavailableError);
  });

  it('the connection dropped mid-stream, and a second ask is no size refusal: temporary', async () => {
    answer = { at: 'start', act: (socket) => socket.destroy() };
    const session = await clientFor('127.0.0.1', port).session();
    const error = await session.scan(bytes(5_000_000)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScannerUnavailableError);
    expect(isTransient(error)).toBe(true);
  });

  it('no answer within CLAMD_TIMEOUT: temporary', async () => {
    answer = { at: 'start', act: () => undefined };
    const session = await clientFor('127.0.0.1', port, { CLAMD_TIMEOUT: '300ms' }).session();
    await expect(session.scan(Readable.from([Buffer.from('hello')]))).rejects.toThrow(/no answer within 300 ms/);
  });
});
