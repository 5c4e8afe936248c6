import type { Direction, FeedbackKind, MessageInitShape, RecipientSchema } from '@torii/contracts';
import type { SpfInit, AuthResultsInit } from '../auth/mail-auth.service';
import type { HarakaConnection, HarakaTransaction } from './haraka-types';

/** What the Torii plugins remember about one SMTP connection. */
export interface ConnectionState {
  listener: 'inbound' | 'relay';
  /** Verified reverse DNS names of the client, looked up once, only for registered server IPs. */
  ptrNames?: string[];
  /** A MAIL command reset a transaction that had an accepted MAIL (torii_protocol refuses it). */
  nestedMail?: boolean;
}

/** What the Torii plugins remember about one transaction (MAIL FROM to end of DATA). */
export interface TransactionState {
  direction?: Direction;
  tenantId?: string;
  domain?: string;
  mailParams: Record<string, string | null>;
  recipients: MessageInitShape<typeof RecipientSchema>[];
  /** Set when the recipients are a feedback address (SPAM14): the message is a report, stored, relayed nowhere. */
  feedback?: FeedbackKind;
  spf?: SpfInit;
  auth?: AuthResultsInit;
  /** Bytes of DATA seen so far (dot-stuffed, as received). */
  dataBytes: number;
  oversized: boolean;
  /** Effective size limit of this transaction (the tenant's may be lower than the global one). */
  limit: number;
  /** Set once the message is stored and its event acknowledged: the 250 may be sent. */
  queuedId?: string;
}

const KEY = 'torii';

export function connectionState(connection: HarakaConnection): ConnectionState {
  const notes = connection.notes as Record<string, ConnectionState | undefined>;
  notes[KEY] ??= { listener: 'inbound' };
  return notes[KEY];
}

export function transactionState(transaction: HarakaTransaction, limit: number): TransactionState {
  const notes = transaction.notes as Record<string, TransactionState | undefined>;
  notes[KEY] ??= { mailParams: {}, recipients: [], dataBytes: 0, oversized: false, limit };
  return notes[KEY];
}

/** RFC 3461 xtext (`+2B` → `+`), used by ENVID and ORCPT. */
export function decodeXtext(value: string): string {
  return value.replace(/\+([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
