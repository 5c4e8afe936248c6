import type { ParsedMessage } from './parse';

/** An authentication check's result as RFC 8601 names it. */
export type AuthResultValue = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'temperror' | 'permerror' | 'policy';

export interface AuthenticationResults {
  spf?: AuthResultValue;
  dkim?: AuthResultValue;
  /** A passing DKIM signature's domain is aligned with the From domain. */
  dkimAligned?: boolean;
  dmarc?: AuthResultValue;
}

export interface Envelope {
  mailFrom?: string;
  rcptTo?: string[];
}

export interface ClientInfo {
  ip?: string;
  helo?: string;
  /** Reverse DNS name; `''` means looked up and absent, `undefined` means not looked up. */
  rdns?: string;
}

/** What the engine scores: the message (raw bytes or already parsed) and what the SMTP edge knows. */
export interface MessageInput {
  message: Buffer | string | ParsedMessage;
  envelope?: Envelope;
  auth?: AuthenticationResults;
  client?: ClientInfo;
}

export type Label = 'spam' | 'ham';
