import { Inject, Injectable, Logger } from '@nestjs/common';
import * as clamd from 'clamdjs';
import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { TemporaryError, describeError } from '@torii/errors';
import { VIRUS_SCAN_CONFIG, type VirusScanConfig } from '../config/virus-scan.config';
import { STREAM_TOO_LARGE, classifyClamdReply } from './verdict.rules';

/** No clamd answered, or the one we used failed mid-scan: the message waits and is scanned again. */
export class ScannerUnavailableError extends TemporaryError {
  override readonly name = 'ScannerUnavailableError';
}

/**
 * clamd answered something we do not understand: a bug (ours, or a clamd we do not know), not an outage. Not a
 * TemporaryError on purpose: the consumer parks such a message after UNKNOWN_FAILURE_DELIVERIES (20) instead of
 * retrying it for a day. `reply` is clamd's answer as received.
 */
export class ClamdReplyError extends Error {
  override readonly name = 'ClamdReplyError';
  constructor(
    readonly where: string,
    readonly reply: string,
  ) {
    super(`clamd ${where} answered what we do not understand: ${JSON.stringify(reply)}`);
  }
}

export interface ClamdHost {
  host: string;
  port: number;
}

export function parseClamdHosts(list: readonly string[]): ClamdHost[] {
  return list.map((entry) => {
    const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(entry.trim());
    if (!match) return { host: entry.trim(), port: 3310 };
    return { host: match[1], port: Number(match[2]) };
  });
}

/** A session with one clamd: every part of one message goes to the same healthy host. */
export interface ClamdSession {
  readonly engine: string;
  /**
   * Signatures found in the stream; a Torii.Unscannable.* one when clamd answered that it cannot scan this
   * content (the stream is then drained, not destroyed: the caller may still be writing into it). Throws
   * ScannerUnavailableError when clamd does not answer (refused, timed out, dropped the connection) and
   * ClamdReplyError when its answer makes no sense to us.
   */
  scan(stream: Readable): Promise<string[]>;
}

/** Data bytes per INSTREAM chunk: clamd checks each chunk's length against StreamMaxLength as it comes. */
const CHUNK = 64 * 1024;

/**
 * How one INSTREAM ended: clamd's reply (up to its NUL), or it failed before there was one (`byPeer`: clamd or
 * the connection, not our reading of the message).
 */
type InstreamOutcome = { reply: string } | { failed: Error; sent: number; ended: boolean; byPeer: boolean };

/**
 * One INSTREAM exchange on a fresh connection. clamd may answer before the stream ends (it refused the stream:
 * "INSTREAM size limit exceeded. ERROR"); we then stop sending and drain the rest of `source`. clamd closes such
 * a connection with our unread data in its buffer, so the connection is reset: our next write fails (EPIPE) and
 * Node drops the reply that had arrived with it (in about half of the tries against clamd 1.4). The outcome
 * then says how many data bytes were sent (`sent`) and whether the terminating chunk was (`ended`), so the
 * caller can ask clamd again (probeStreamLimit). Either way `source` is left flowing (drained), never destroyed.
 */
function instream(host: ClamdHost, source: Readable, timeoutMs: number): Promise<InstreamOutcome> {
  return new Promise<InstreamOutcome>((resolve) => {
    const received: Buffer[] = [];
    let sent = 0;
    let ended = false;
    let settled = false;
    const socket: Socket = connect({ host: host.host, port: host.port });
    const timer = setTimeout(() => finish({ failed: new Error(`no answer within ${timeoutMs} ms`), sent, ended, byPeer: true }), timeoutMs);

    function finish(outcome: InstreamOutcome) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      source.off('data', pump);
      // The caller's writer (the MIME walk) may still feed `source`: let it run to its end, unread. Whether the
      // stream is destroyed instead is the caller's decision (when the scan fails).
      source.resume();
      resolve(outcome);
    }
    const answered = () => {
      const all = Buffer.concat(received);
      const nul = all.indexOf(0);
      return nul >= 0 ? all.subarray(0, nul).toString('latin1') : undefined;
    };

    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      const reply = answered();
      if (reply !== undefined) finish({ reply });
    });
    socket.on('end', () => {
      const rest = Buffer.concat(received);
      if (rest.length > 0) finish({ reply: rest.toString('latin1') });
      else finish({ failed: new Error('connection closed without an answer'), sent, ended, byPeer: true });
    });
    socket.on('error', (error) => finish({ failed: error, sent, ended, byPeer: true }));
    socket.on('close', () => finish({ failed: new Error('connection closed without an answer'), sent, ended, byPeer: true }));
    source.on('error', (error) => finish({ failed: new Error(`reading the message: ${describeError(error)}`), sent, ended, byPeer: false }));

    function pump(data: Buffer | string) {
      const buf = typeof data === 'string' ? Buffer.from(data) : data;
      let more = true;
      for (let at = 0; at < buf.length && !settled; at += CHUNK) {
        const piece = buf.subarray(at, at + CHUNK);
        const head = Buffer.alloc(4);
        head.writeUInt32BE(piece.length);
        sent += piece.length;
        more = socket.write(Buffer.concat([head, piece]));
      }
      if (!more && !settled) {
        source.pause();
        socket.once('drain', () => settled || source.resume());
      }
    }
    socket.once('connect', () => {
      socket.write('zINSTREAM\0');
      source.on('data', pump);
      source.once('end', () => {
        if (settled) return;
        ended = true;
        socket.write(Buffer.alloc(4));
      });
    });
  });
}

/**
 * After a connection failed mid-stream without a reply: was it clamd refusing a stream over StreamMaxLength?
 * Announces one chunk of `sent` bytes on a new connection and sends nothing more: clamd checks the length on
 * the chunk header alone and answers "INSTREAM size limit exceeded. ERROR" at once when it is over the limit
 * (nothing of ours is left unread, so that reply arrives); under the limit it finds the end of our data (we
 * half-close) and closes without a word. Resolves to clamd's reply, or undefined when it did not refuse.
 */
function probeStreamLimit(host: ClamdHost, sent: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const received: Buffer[] = [];
    const socket = connect({ host: host.host, port: host.port });
    const done = (reply: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reply);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      const all = Buffer.concat(received);
      if (all.includes(0)) done(all.subarray(0, all.indexOf(0)).toString('latin1'));
    });
    socket.on('error', () => done(undefined));
    socket.on('close', () => done(received.length ? Buffer.concat(received).toString('latin1') : undefined));
    socket.once('connect', () => {
      const head = Buffer.alloc(4);
      head.writeUInt32BE(Math.min(sent, 0xffffffff));
      socket.end(Buffer.concat([Buffer.from('zINSTREAM\0'), head]));
    });
  });
}

/**
 * clamd over TCP (INSTREAM), several hosts: each message starts at the next host in turn (load) and skips hosts
 * that do not answer VERSION (failover). Each scan has its own deadline, CLAMD_TIMEOUT. What clamd answers is
 * told apart (classifyClamdReply): a verdict, "cannot scan this content" (an unscannable signature, at once),
 * clamd's own trouble or no answer (ScannerUnavailableError: retried), or nonsense (ClamdReplyError).
 */
@Injectable()
export class ClamdClient {
  private readonly logger = new Logger(ClamdClient.name);
  private readonly hosts: ClamdHost[];
  private next = 0;

  constructor(@Inject(VIRUS_SCAN_CONFIG) private readonly config: VirusScanConfig) {
    this.hosts = parseClamdHosts(config.CLAMD_HOSTS);
  }

  async session(): Promise<ClamdSession> {
    const start = this.next++ % this.hosts.length;
    const failures: string[] = [];
    for (let i = 0; i < this.hosts.length; i++) {
      const host = this.hosts[(start + i) % this.hosts.length];
      try {
        const version = await clamd.version(host.host, host.port, this.config.CLAMD_CONNECT_TIMEOUT);
        return this.open(host, version.replace(/\0/g, '').trim());
      } catch (error) {
        failures.push(`${host.host}:${host.port}: ${describeError(error)}`);
      }
    }
    this.logger.warn(`no clamd answered: ${failures.join('; ')}`);
    throw new ScannerUnavailableError(`no clamd answered (${failures.join('; ')})`);
  }

  private open(host: ClamdHost, engine: string): ClamdSession {
    const { CLAMD_TIMEOUT: timeoutMs, CLAMD_CONNECT_TIMEOUT: probeMs } = this.config;
    const where = `${host.host}:${host.port}`;
    const logger = this.logger;
    return {
      engine,
      async scan(stream: Readable): Promise<string[]> {
        try {
          return await scanOnce(stream);
        } catch (error) {
          stream.destroy();
          throw error;
        }
      },
    };

    async function scanOnce(stream: Readable): Promise<string[]> {
      const outcome = await instream(host, stream, timeoutMs);
      let reply: string;
      if ('reply' in outcome) {
        reply = outcome.reply;
      } else {
        // Dropped before the end of the stream: clamd's size refusal whose reply was lost, or an outage.
        const refused = outcome.byPeer && !outcome.ended && outcome.sent > 0 ? await probeStreamLimit(host, outcome.sent, probeMs) : undefined;
        const probed = refused === undefined ? undefined : classifyClamdReply(refused);
        if (refused === undefined || probed?.kind !== 'unscannable' || probed.signature !== STREAM_TOO_LARGE) {
          throw new ScannerUnavailableError(`clamd ${where}: ${describeError(outcome.failed)}`, { cause: outcome.failed });
        }
        reply = refused;
      }
      const answer = classifyClamdReply(reply);
      switch (answer.kind) {
        case 'scanned':
          return answer.signatures;
        case 'unscannable':
          logger.warn(`clamd ${where} cannot scan a part: ${JSON.stringify(reply)} → ${answer.signature}`);
          return [answer.signature];
        case 'unavailable':
          throw new ScannerUnavailableError(`clamd ${where}: ${answer.reason}`);
        case 'unknown':
          logger.error(`clamd ${where} answered what we do not understand (raw reply ${JSON.stringify(answer.reply)}): not a verdict, not retried as an outage`);
          throw new ClamdReplyError(where, answer.reply);
      }
    }
  }
}
