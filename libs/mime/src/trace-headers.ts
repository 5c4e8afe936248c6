import type { HeaderBlock } from './header-rewriter';

/**
 * The authserv-id of an Authentication-Results value (RFC 8601 §2.2): the first token, before any
 * version number and the first `;`, with comments removed.
 */
export function authservId(value: string): string {
  const head = value.split(';', 1)[0].replace(/\([^)]*\)/g, ' ').trim();
  return (head.split(/\s+/)[0] ?? '').toLowerCase();
}

export interface DeliveryStamp {
  /** Our authserv-id (usually the gateway's host name). */
  authservId: string;
  /** Authentication-Results value without the header name, starting with our authserv-id. */
  authenticationResults?: string;
  /** Received-SPF value, when SPF was checked. */
  receivedSpf?: string;
  /** A complete `Received:` header line (folded as wanted). */
  received?: string;
}

/**
 * Applies what the gateway stamps on every message it passes on: removes incoming Authentication-Results
 * that claim our authserv-id (RFC 8601 §5: forged or stale), then adds ours and the trace headers on top.
 */
export function stampDeliveryHeaders(headers: HeaderBlock, stamp: DeliveryStamp): void {
  const ours = stamp.authservId.toLowerCase();
  headers.remove('Authentication-Results', (value) => authservId(value) === ours);
  if (stamp.receivedSpf) headers.prepend('Received-SPF', stamp.receivedSpf);
  if (stamp.authenticationResults) headers.prepend('Authentication-Results', stamp.authenticationResults);
  if (stamp.received) headers.prependLine(stamp.received);
}

/** Formats a Received trace header (RFC 5321 §4.4) for one hop through the gateway. */
export function formatReceived(hop: {
  fromHelo: string;
  fromPtr?: string;
  fromIp: string;
  by: string;
  with: 'SMTP' | 'ESMTP' | 'ESMTPS' | 'ESMTPA' | 'ESMTPSA';
  id: string;
  for?: string;
  tls?: string;
  date: Date;
}): string {
  const from = `from ${hop.fromHelo} (${hop.fromPtr ?? 'unknown'} [${hop.fromIp}])`;
  const tls = hop.tls ? `\r\n\t(${hop.tls})` : '';
  const forPart = hop.for ? `\r\n\tfor <${hop.for}>` : '';
  return `Received: ${from}\r\n\tby ${hop.by} (Torii) with ${hop.with} id ${hop.id}${tls}${forPart};\r\n\t${rfc5322Date(hop.date)}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function rfc5322Date(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[date.getUTCDay()]}, ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}
