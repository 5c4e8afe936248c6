import { connect, type Socket } from 'node:net';
import { createTransport } from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';

export interface SendMailOptions {
  host?: string;
  port: number;
  from: string;
  to: string[];
  /** The message as it goes on the wire. When neither raw nor message is given, a small one is made up. */
  raw?: Buffer | string;
  /** A message for nodemailer to compose (subject, text, html, attachments, headers…). */
  message?: Omit<Mail.Options, 'from' | 'to' | 'envelope' | 'raw'>;
  ehloName?: string;
  /** With neither raw nor message: pad the made-up message's body to about this many bytes. */
  size?: number;
  /** Use STARTTLS when offered (default true, any certificate accepted); `require` fails without it. */
  tls?: boolean | 'require';
  timeoutMs?: number;
}

export interface SendMailResult {
  response: string;
  accepted: string[];
  rejected: string[];
  messageId?: string;
}

/**
 * Sends one message over SMTP with nodemailer. Rejects (with nodemailer's error carrying `responseCode`
 * and `response`) when the server refuses the sender, every recipient or the data.
 */
export async function sendMail(options: SendMailOptions): Promise<SendMailResult> {
  const tls = options.tls ?? true;
  const transport = createTransport({
    host: options.host ?? '127.0.0.1',
    port: options.port,
    secure: false,
    ignoreTLS: tls === false,
    requireTLS: tls === 'require',
    tls: { rejectUnauthorized: false },
    name: options.ehloName ?? 'client.torii.test',
    connectionTimeout: options.timeoutMs ?? 10_000,
    greetingTimeout: options.timeoutMs ?? 10_000,
    socketTimeout: options.timeoutMs ?? 30_000,
  });
  try {
    const mail: Mail.Options =
      options.raw !== undefined
        ? { envelope: { from: options.from, to: options.to }, raw: options.raw }
        : options.message
          ? { ...options.message, from: options.from, to: options.to }
          : {
              envelope: { from: options.from, to: options.to },
              raw: madeUpMessage(options.from, options.to, options.size),
            };
    const info = (await transport.sendMail(mail)) as {
      response: string;
      accepted: (string | Mail.Address)[];
      rejected: (string | Mail.Address)[];
      messageId?: string;
    };
    const address = (a: string | Mail.Address): string => (typeof a === 'string' ? a : (a.address ?? ''));
    return {
      response: info.response,
      accepted: info.accepted.map(address),
      rejected: info.rejected.map(address),
      messageId: info.messageId,
    };
  } finally {
    transport.close();
  }
}

function madeUpMessage(from: string, to: string[], size = 0): string {
  const id = `${Date.now().toString(36)}.${Math.random().toString(36).slice(2)}@client.torii.test`;
  const head =
    `From: <${from}>\r\nTo: ${to.map((t) => `<${t}>`).join(', ')}\r\nSubject: test message\r\n` +
    `Date: ${new Date().toUTCString()}\r\nMessage-ID: <${id}>\r\nMIME-Version: 1.0\r\n` +
    `Content-Type: text/plain; charset=utf-8\r\n\r\n`;
  let body = 'Hello from the Torii tests.\r\n';
  const line = `${'x'.repeat(76)}\r\n`;
  if (size > head.length + body.length)
    body += line.repeat(Math.ceil((size - head.length - body.length) / line.length));
  return head + body;
}

export interface SmtpReply {
  code: number;
  /** The text of every line, without the code, joined by `\n`. */
  text: string;
  /** The reply as received, lines joined by CRLF. */
  raw: string;
}

export interface SmtpDialogOptions {
  /** Per reply; the dialog stops with what it has when a reply takes longer. Default 10 s. */
  timeoutMs?: number;
  /** Source address to connect from, e.g. `127.0.0.2` to play a tenant's registered server. */
  localAddress?: string;
}

/**
 * Speaks SMTP by hand: connects, reads the greeting, then sends each line (CRLF added) and reads one
 * reply for it. Returns the greeting followed by one reply per line sent; stops early when the server
 * closes the connection. For a message, send `DATA`, then the whole content ending in `\r\n.` as one line.
 * Meant for asserting exact codes such as `550 5.1.1` or `552 5.3.4`.
 */
export async function smtpDialog(
  host: string,
  port: number,
  lines: string[],
  options: SmtpDialogOptions = {},
): Promise<SmtpReply[]> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const socket = connect({ host, port, localAddress: options.localAddress });
  const reader = new ReplyReader(socket);
  const replies: SmtpReply[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const greeting = await reader.next(timeoutMs);
    if (!greeting) return replies;
    replies.push(greeting);
    for (const line of lines) {
      if (socket.destroyed || socket.writableEnded) break;
      socket.write(`${line}\r\n`);
      const reply = await reader.next(timeoutMs);
      if (!reply) break;
      replies.push(reply);
    }
    return replies;
  } finally {
    socket.destroy();
  }
}

/** Splits the byte stream of a server into complete (possibly multi-line) replies. */
class ReplyReader {
  private buffer = '';
  private pending: string[] = [];
  private readonly complete: SmtpReply[] = [];
  private waiter: (() => void) | undefined;
  private closed = false;

  constructor(socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => {
      this.buffer += data;
      let newline: number;
      while ((newline = this.buffer.indexOf('\n')) !== -1) {
        const line = this.buffer.slice(0, newline).replace(/\r$/, '');
        this.buffer = this.buffer.slice(newline + 1);
        this.pending.push(line);
        if (!/^\d{3}-/.test(line)) {
          this.complete.push(toReply(this.pending));
          this.pending = [];
        }
      }
      this.wake();
    });
    const end = () => {
      this.closed = true;
      this.wake();
    };
    socket.on('close', end);
    socket.on('error', end);
  }

  /** The next reply, or undefined when the connection closed or the time ran out. */
  async next(timeoutMs: number): Promise<SmtpReply | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.complete.length === 0 && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.complete.shift();
  }

  private wake(): void {
    this.waiter?.();
  }
}

function toReply(lines: string[]): SmtpReply {
  return {
    code: Number(lines[lines.length - 1].slice(0, 3)) || 0,
    text: lines.map((line) => line.slice(4)).join('\n'),
    raw: lines.join('\r\n'),
  };
}
