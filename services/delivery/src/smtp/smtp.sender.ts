import type { Readable } from 'node:stream';
import { isIP } from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { describeError } from '@torii/errors';
import { connectionFailure, parseReply, type SmtpReply } from './smtp-reply.rules';

export interface SmtpTransactionRequest {
  /** The host name (for TLS SNI and the record) and the address to connect to. */
  host: string;
  ip: string;
  port: number;
  /** Our EHLO name. */
  ehloName: string;
  /** Envelope sender; '' for the null reverse path. */
  mailFrom: string;
  recipients: string[];
  /** Opens the message content (called once, when DATA starts). */
  openMessage: () => Promise<Readable>;
  connectTimeoutMs: number;
  socketTimeoutMs: number;
}

export interface SmtpTransactionResult {
  /** False when no SMTP session could be established (the next MX may be tried). */
  connected: boolean;
  /** The final answer per recipient: its RCPT refusal, else the end-of-DATA reply. */
  replies: Map<string, SmtpReply>;
  /** The end-of-DATA reply, when DATA was reached. */
  dataReply?: SmtpReply;
  /** STARTTLS was used. */
  secure: boolean;
}

interface SmtpErrorLike {
  code?: string;
  responseCode?: number;
  response?: string;
  recipient?: string;
  rejectedErrors?: SmtpErrorLike[];
  message?: string;
}

/**
 * One SMTP transaction with nodemailer's SMTPConnection: STARTTLS when offered (opportunistic, any
 * certificate: MX hosts rarely have one we could verify), each RCPT answer kept, then DATA.
 */
export async function sendSmtpTransaction(request: SmtpTransactionRequest): Promise<SmtpTransactionResult> {
  const connection = new SMTPConnection({
    host: request.ip,
    port: request.port,
    name: request.ehloName,
    secure: false,
    opportunisticTLS: true,
    // SNI only with a name (RFC 6066 forbids IP literals).
    tls: { rejectUnauthorized: false, ...(isIP(request.host) ? {} : { servername: request.host }) },
    connectionTimeout: request.connectTimeoutMs,
    greetingTimeout: request.connectTimeoutMs,
    socketTimeout: request.socketTimeoutMs,
  });
  let lastError: unknown;
  connection.on('error', (error) => (lastError = error));
  const all = (reply: SmtpReply) => new Map(request.recipients.map((r) => [r, reply]));
  try {
    try {
      await new Promise<void>((resolve, reject) => {
        connection.once('error', reject);
        connection.connect(() => {
          connection.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      return { connected: false, replies: all(connectionFailure(describeError(error))), secure: false };
    }
    const secure = connection.secure;
    let content: Readable;
    try {
      content = await request.openMessage();
    } catch (error) {
      return { connected: true, replies: all(connectionFailure(`cannot read the message: ${describeError(error)}`)), secure };
    }
    return await new Promise<SmtpTransactionResult>((resolve) => {
      content.once('error', (error) => (lastError = error));
      connection.send({ from: request.mailFrom, to: request.recipients }, content, (error, info) => {
        const replies = new Map<string, SmtpReply>();
        const rejected = (error as SmtpErrorLike | null)?.rejectedErrors ?? (info?.rejectedErrors as SmtpErrorLike[] | undefined) ?? [];
        for (const r of rejected) {
          if (r.recipient) replies.set(r.recipient, parseReply(r.responseCode ?? 0, r.response ?? r.message ?? 'refused'));
        }
        if (!error) {
          const dataReply = parseReply(250, info.response);
          for (const r of request.recipients) if (!replies.has(r)) replies.set(r, dataReply);
          return resolve({ connected: true, replies, dataReply, secure: connection.secure });
        }
        const e = error as SmtpErrorLike;
        const reply = e.responseCode ? parseReply(e.responseCode, e.response ?? '') : connectionFailure(describeError(lastError ?? error));
        const dataReply = e.code === 'EMESSAGE' ? reply : undefined;
        for (const r of request.recipients) if (!replies.has(r)) replies.set(r, reply);
        resolve({ connected: true, replies, dataReply, secure: connection.secure });
      });
    });
  } finally {
    try {
      connection.quit();
    } catch {
      // already closed
    }
    setTimeout(() => connection.close(), 1_000).unref();
  }
}
