import { EventEmitter } from 'node:events';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  SMTPServer,
  type SMTPServerError,
  type SMTPServerOptions,
  type SMTPServerSession,
} from 'smtp-server';

export interface SinkMessage {
  /** 1, 2, 3… in order of arrival since start (not reset by clear()). */
  seq: number;
  envelope: { mailFrom: string; rcptTo: string[] };
  /** The DATA exactly as received (dot-stuffing removed, CRLF kept). */
  raw: Buffer;
  /** The Message-ID header without angle brackets, if there was one. */
  messageId?: string;
  receivedAt: Date;
  /** Whether the transaction ran under STARTTLS. */
  secure: boolean;
  /** The EHLO/HELO name the client gave. */
  heloName: string;
}

export interface SmtpSinkOptions {
  /** 0 (the default) picks a free port; down()/up() keep the port chosen. */
  port?: number;
  host?: string;
  /** When set, each message is also written there as `<seq>-<messageId>.eml`. */
  directory?: string;
  /** One line per message on stdout (for `npm start`). */
  log?: boolean;
  /** Offer STARTTLS (with smtp-server's built-in self-signed localhost certificate). Default false. */
  tls?: boolean;
  /** Advertised SIZE limit; larger messages get `552 5.3.4`. */
  size?: number;
  /** Greeting and EHLO name. */
  name?: string;
}

interface Answer {
  code: number;
  text: string;
}

export interface SmtpSink {
  readonly port: number;
  readonly host: string;
  /** Received messages, oldest first. */
  readonly messages: SinkMessage[];
  /** Resolves with the first `count` messages once that many have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<SinkMessage[]>;
  /** Resolves with the first message (already received or still to come) that matches. */
  waitFor(predicate: (message: SinkMessage) => boolean, timeoutMs?: number): Promise<SinkMessage>;
  /** Forgets received messages (programmed answers stay). */
  clear(): void;
  /** Answer RCPT TO for `address` (any case) with this reply until reset(). */
  rejectRcpt(address: string, code?: number, text?: string): void;
  /** Answer MAIL FROM for `address` ('' for the null sender) with this reply until reset(). */
  rejectMailFrom(address: string, code?: number, text?: string): void;
  /** Answer the end of DATA with this reply, for the next `times` transactions (default: until reset()). */
  failData(code?: number, text?: string, times?: number): void;
  /** Wait this long before answering the end of DATA (to test timeouts). */
  delayData(ms: number): void;
  /** Drops every programmed answer. */
  reset(): void;
  /** Stops listening (open connections are cut): the server looks down. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  readonly isUp: boolean;
  close(): Promise<void>;
}

/**
 * An SMTP server that accepts and records mail: the tenant's mail server or a recipient's MX in tests, and
 * the development sink of `npm start`. Its answers can be programmed per recipient and per transaction.
 */
export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const host = options.host ?? '127.0.0.1';
  const messages: SinkMessage[] = [];
  const arrivals = new EventEmitter();
  arrivals.setMaxListeners(0);
  const rcptAnswers = new Map<string, Answer>();
  const mailFromAnswers = new Map<string, Answer>();
  let dataAnswer: (Answer & { remaining: number }) | undefined;
  let dataDelayMs = 0;
  let seq = 0;
  let port = options.port ?? 0;
  let server: SMTPServer | undefined;
  // Files go on numbering after the highest already there: a restarted sink never overwrites a saved message.
  let fileSeq = 0;
  if (options.directory) {
    await mkdir(options.directory, { recursive: true });
    for (const name of await readdir(options.directory)) {
      const n = /^(\d+)-/.exec(name);
      if (n) fileSeq = Math.max(fileSeq, Number(n[1]));
    }
  }

  const reply = (answer: Answer): SMTPServerError =>
    Object.assign(new Error(answer.text), { responseCode: answer.code });

  const record = async (raw: Buffer, session: SMTPServerSession): Promise<void> => {
    const { envelope } = session;
    const message: SinkMessage = {
      seq: ++seq,
      envelope: {
        mailFrom: envelope.mailFrom === false ? '' : envelope.mailFrom.address,
        rcptTo: envelope.rcptTo.map((r) => r.address),
      },
      raw,
      messageId: headerMessageId(raw),
      receivedAt: new Date(),
      secure: session.secure,
      heloName: session.hostNameAppearsAs,
    };
    if (options.directory) {
      const name = `${String(++fileSeq).padStart(6, '0')}-${safeFileName(message.messageId ?? 'no-message-id')}.eml`;
      await writeFile(join(options.directory, name), raw);
    }
    if (options.log) {
      process.stdout.write(
        `sink: #${message.seq} from <${message.envelope.mailFrom}> to ${message.envelope.rcptTo.map((r) => `<${r}>`).join(',')} ` +
          `${raw.length} bytes ${message.messageId ?? ''}\n`,
      );
    }
    messages.push(message);
    arrivals.emit('message', message);
  };

  const serverOptions: SMTPServerOptions = {
    name: options.name ?? 'sink.torii.test',
    banner: 'Torii test sink',
    logger: false,
    authOptional: true,
    disabledCommands: options.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    size: options.size,
    closeTimeout: 100,
    onMailFrom(address, _session, callback) {
      const answer = mailFromAnswers.get(address.address.toLowerCase());
      callback(answer ? reply(answer) : null);
    },
    onRcptTo(address, _session, callback) {
      const answer = rcptAnswers.get(address.address.toLowerCase());
      callback(answer ? reply(answer) : null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error: Error) => callback(error));
      stream.on('end', () => {
        const finish = () => {
          if (stream.sizeExceeded) {
            return callback(
              reply({ code: 552, text: `5.3.4 Message size exceeds fixed limit of ${options.size} bytes` }),
            );
          }
          if (dataAnswer && dataAnswer.remaining > 0) {
            dataAnswer.remaining--;
            const answer = dataAnswer;
            if (dataAnswer.remaining <= 0) dataAnswer = undefined;
            return callback(reply(answer));
          }
          record(Buffer.concat(chunks), session).then(
            () => callback(null, `2.0.0 Ok: queued as ${seq}`),
            (error: unknown) =>
              callback(
                reply({ code: 451, text: `4.3.0 Sink could not store the message: ${String(error)}` }),
              ),
          );
        };
        if (dataDelayMs > 0) setTimeout(finish, dataDelayMs);
        else finish();
      });
    },
  };

  const listen = async (): Promise<void> => {
    const next = new SMTPServer(serverOptions);
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(port, host, () => {
        next.off('error', reject);
        resolve();
      });
    });
    // Clients that reset their connection must not crash the process.
    next.on('error', () => undefined);
    port = (next.server.address() as AddressInfo).port;
    server = next;
  };

  const stop = async (): Promise<void> => {
    const current = server;
    server = undefined;
    if (!current) return;
    await new Promise<void>((resolve) => {
      current.close(() => resolve());
      // Cut open sessions at once, as a crashed server would.
      for (const connection of current.connections) (connection as unknown as { close(): void }).close();
    });
  };

  await listen();

  function waitFor(count: number, timeoutMs?: number): Promise<SinkMessage[]>;
  function waitFor(predicate: (message: SinkMessage) => boolean, timeoutMs?: number): Promise<SinkMessage>;
  function waitFor(
    what: number | ((message: SinkMessage) => boolean),
    timeoutMs = 10_000,
  ): Promise<SinkMessage[] | SinkMessage> {
    const check = (): SinkMessage[] | SinkMessage | undefined => {
      if (typeof what === 'number') return messages.length >= what ? messages.slice(0, what) : undefined;
      return messages.find(what);
    };
    const ready = check();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const onMessage = () => {
        const result = check();
        if (!result) return;
        clearTimeout(timer);
        arrivals.off('message', onMessage);
        resolve(result);
      };
      const timer = setTimeout(() => {
        arrivals.off('message', onMessage);
        const wanted = typeof what === 'number' ? `${what} messages` : 'a matching message';
        reject(new Error(`SMTP sink: waited ${timeoutMs} ms for ${wanted}, have ${messages.length}`));
      }, timeoutMs);
      arrivals.on('message', onMessage);
    });
  }

  return {
    get port() {
      return port;
    },
    host,
    messages,
    waitFor,
    clear: () => void messages.splice(0),
    rejectRcpt: (address, code = 550, text = '5.1.1 Recipient address rejected: User unknown') =>
      void rcptAnswers.set(address.toLowerCase(), { code, text }),
    rejectMailFrom: (address, code = 550, text = '5.7.1 Sender rejected') =>
      void mailFromAnswers.set(address.toLowerCase(), { code, text }),
    failData: (code = 451, text = '4.3.0 Temporary failure, try again later', times = Infinity) => {
      dataAnswer = { code, text, remaining: times };
    },
    delayData: (ms) => {
      dataDelayMs = ms;
    },
    reset: () => {
      rcptAnswers.clear();
      mailFromAnswers.clear();
      dataAnswer = undefined;
      dataDelayMs = 0;
    },
    down: stop,
    up: async () => {
      if (!server) await listen();
    },
    get isUp() {
      return server !== undefined;
    },
    close: stop,
  };
}

/** The Message-ID of the header section, without angle brackets. */
export function headerMessageId(raw: Buffer): string | undefined {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, end === -1 ? Math.min(raw.length, 65_536) : end).toString('latin1');
  const match = /^message-id:[ \t]*(?:\r?\n[ \t]+)?<?([^>\r\n]+)>?/im.exec(head);
  return match?.[1].trim();
}

function safeFileName(text: string): string {
  return text.replace(/[^A-Za-z0-9@._+-]/g, '_').slice(0, 120);
}
