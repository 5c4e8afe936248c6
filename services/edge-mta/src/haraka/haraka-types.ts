import type { Writable } from 'node:stream';

/**
 * The small part of Haraka 3.3's plugin API that the Torii plugins use. Haraka ships no types; these are
 * written against haraka@3.3.4 (connection.js, transaction.js) and kept minimal on purpose.
 */
export interface HarakaAddress {
  user: string | null;
  host: string | null;
  /** `user@host` without brackets; a property in 3.3, not a method. */
  address: string;
  isNull(): boolean;
}

export interface HarakaMessageStream {
  pipe<T extends Writable>(destination: T, options?: { dot_stuffed?: boolean; line_endings?: string; end?: boolean }): T;
  /** Header lines that replace the received ones when piped (Haraka passes its parsed, decoded header list). */
  headers: unknown[];
}

export interface HarakaTransaction {
  uuid: string;
  mail_from: HarakaAddress | null;
  rcpt_to: HarakaAddress[];
  data_bytes: number;
  message_stream: HarakaMessageStream;
  notes: Record<string, unknown>;
  add_data(line: Buffer): void;
}

export interface HarakaConnection {
  uuid: string;
  local: { ip: string | null; port: number | null; host: string };
  remote: { ip: string; port: number; host: string | null };
  hello: { host: string | null; verb: string | null };
  tls: { enabled: boolean; cipher: { name?: string; standardName?: string; version?: string } };
  proxy: { allowed: boolean; ip?: string | null };
  notes: Record<string, unknown>;
  transaction: HarakaTransaction | null;
  capabilities: string[] | null;
  relaying: boolean;
  /** The command line being processed (Haraka sets it before dispatching a command). */
  current_line?: string | null;
  loginfo(message: string, data?: unknown): void;
  logwarn(message: string, data?: unknown): void;
  logerror(message: string, data?: unknown): void;
}

/** Haraka's hook callback: a return constant and an optional reply (text or DSN-shaped object). */
export type HarakaNext = (code?: number, message?: string | SmtpReply) => void;

/** Haraka's return constants (haraka-constants), as the sandbox exposes them. */
export const HookResult = {
  CONT: 900,
  STOP: 901,
  DENY: 902,
  DENYSOFT: 903,
  DENYDISCONNECT: 904,
  DISCONNECT: 905,
  OK: 906,
  DENYSOFTDISCONNECT: 909,
} as const;

/**
 * A reply with its own code and enhanced status. Haraka's `respond()` takes the code from any object whose
 * constructor is named `DSN` (as haraka-dsn's are), which lets us answer 552/451/452 where Haraka's default
 * mapping would say 550/450.
 */
export class DSN {
  readonly reply: string;
  constructor(
    readonly code: number,
    readonly enhanced: string,
    readonly text: string,
  ) {
    this.reply = `${enhanced} ${text}`;
  }
  toString(): string {
    return `${this.code} ${this.reply}`;
  }
}

export type SmtpReply = DSN;

export interface HarakaPlugin {
  name: string;
  register_hook(hook: string, method: string, priority?: number): void;
  loginfo(message: string, data?: unknown): void;
  logerror(message: string, data?: unknown): void;
}

export interface HarakaServer {
  notes: Record<string, unknown>;
}
