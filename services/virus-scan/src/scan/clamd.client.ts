import { Inject, Injectable, Logger } from '@nestjs/common';
import * as clamd from 'clamdjs';
import type { Readable } from 'node:stream';
import { TemporaryError, describeError } from '@torii/errors';
import { VIRUS_SCAN_CONFIG, type VirusScanConfig } from '../config/virus-scan.config';
import { parseClamdReply } from './verdict.rules';

/** No clamd answered, or the one we used failed mid-scan: the message waits and is scanned again. */
export class ScannerUnavailableError extends TemporaryError {
  override readonly name = 'ScannerUnavailableError';
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
  scan(stream: Readable): Promise<string[]>;
}

/**
 * clamd over TCP (INSTREAM through clamdjs), several hosts: each message starts at the next host in turn
 * (load) and skips hosts that do not answer PING (failover). clamdjs has no overall deadline, so each scan
 * is raced against CLAMD_TIMEOUT and its stream destroyed when it loses.
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
    const scanner = clamd.createScanner(host.host, host.port);
    const timeoutMs = this.config.CLAMD_TIMEOUT;
    const where = `${host.host}:${host.port}`;
    return {
      engine,
      async scan(stream: Readable): Promise<string[]> {
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new ScannerUnavailableError(`clamd ${where} did not answer within ${timeoutMs} ms`)), timeoutMs);
        });
        try {
          const reply = await Promise.race([scanner.scanStream(stream, timeoutMs), deadline]);
          const parsed = parseClamdReply(reply);
          if ('error' in parsed) throw new ScannerUnavailableError(`clamd ${where}: ${parsed.error}`);
          return parsed.signatures;
        } catch (error) {
          stream.destroy();
          if (error instanceof ScannerUnavailableError) throw error;
          throw new ScannerUnavailableError(`clamd ${where}: ${describeError(error)}`, { cause: error });
        } finally {
          clearTimeout(timer);
        }
      },
    };
  }
}
