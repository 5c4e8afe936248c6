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
  /** Received-SPF value (`formatReceivedSpf`), when SPF was checked. */
  receivedSpf?: string;
  /** A complete `Received:` header line (folded as wanted). */
  received?: string;
}

/**
 * Applies what the gateway stamps on every message it passes on: removes incoming Authentication-Results
 * that claim our authserv-id (RFC 8601 §5: forged or stale), then adds ours and the trace headers on top:
 * our Received; Received-SPF above it (RFC 7208 §9.1), so above every earlier hop's Received-SPF, which stay;
 * and our Authentication-Results above every trace field we add (RFC 8601 §5), so a reader finds the one
 * result it may trust first, before anything an earlier hop wrote.
 */
export function stampDeliveryHeaders(headers: HeaderBlock, stamp: DeliveryStamp): void {
  const ours = stamp.authservId.toLowerCase();
  headers.remove('Authentication-Results', (value) => authservId(value) === ours);
  if (stamp.received) headers.prependLine(stamp.received);
  if (stamp.receivedSpf) headers.prepend('Received-SPF', stamp.receivedSpf);
  if (stamp.authenticationResults) headers.prepend('Authentication-Results', stamp.authenticationResults);
}

export interface SpfCheck {
  /** The result word as the edge's SPF check gave it. */
  result: string;
  /** Who checked: our authserv-id. */
  receiver: string;
  clientIp: string;
  helo: string;
  /** MAIL FROM; empty for `<>`, when the HELO identity was checked (RFC 7208 §2.4). */
  mailFrom: string;
  /** The domain that was checked. */
  domain?: string;
}

const SPF_RESULTS = ['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror'] as const;
type SpfResultWord = (typeof SPF_RESULTS)[number];

/**
 * The Received-SPF value (RFC 7208 §9.1) of an SPF check: the result, a comment saying what it means (the
 * words of the RFC's examples and of mailauth, the edge's evaluator; a temperror says "temporary"), and the
 * key-value pairs a reader needs to check it again. Undefined for a word that is not an SPF result.
 */
export function formatReceivedSpf(check: SpfCheck): string | undefined {
  const result = check.result.trim().toLowerCase();
  if (!isSpfResult(result)) return undefined;
  const helo = check.mailFrom === '';
  const sender = helo ? `postmaster@${check.helo}` : check.mailFrom;
  const domain = check.domain || sender.slice(sender.lastIndexOf('@') + 1);
  const pairs: [string, string][] = [
    ['client-ip', check.clientIp],
    ['envelope-from', helo ? '' : check.mailFrom],
    ['helo', check.helo],
    ['receiver', check.receiver],
    ['identity', helo ? 'helo' : 'mailfrom'],
  ];
  const comment = `${check.receiver}: ${spfComment(result, sender, check.clientIp, domain)}`;
  const list = pairs.filter(([, value]) => value).map(([key, value]) => `${key}=${dotAtomOrQuoted(value)};`);
  return `${result} (${commentText(comment)}) ${list.join(' ')}`;
}

function isSpfResult(word: string): word is SpfResultWord {
  return (SPF_RESULTS as readonly string[]).includes(word);
}

function spfComment(result: SpfResultWord, sender: string, ip: string, domain: string): string {
  switch (result) {
    case 'pass':
      return `domain of ${sender} designates ${ip} as permitted sender`;
    case 'fail':
      return `domain of ${sender} does not designate ${ip} as permitted sender`;
    case 'softfail':
      return `domain of transitioning ${sender} does not designate ${ip} as permitted sender`;
    case 'neutral':
      return `${ip} is neither permitted nor denied by domain of ${sender}`;
    case 'none':
      return `${domain} does not designate permitted sender hosts`;
    case 'permerror':
      return `permanent error in processing during lookup of ${sender}`;
    case 'temperror':
      return `temporary error in processing during lookup of ${sender}`;
  }
}

/** Control characters become spaces: none may stand in a structured header, not even quoted. */
// eslint-disable-next-line no-control-regex
const printable = (text: string): string => text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();

/** A comment's text (RFC 5322 §3.2.2): backslash, parentheses as quoted-pairs. */
function commentText(text: string): string {
  return printable(text).replace(/[\\()]/g, (c) => `\\${c}`);
}

/** A key-value value (RFC 7208 §9.1): a dot-atom as it is, anything else (an address, IPv6) a quoted-string. */
function dotAtomOrQuoted(value: string): string {
  const text = printable(value);
  if (/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/.test(text)) return text;
  return `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
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
