// Pure decisions of the quarantine box (SPAM10–13): capacity, quota, warnings, retention, digests, links.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Decimal, as the tenant service counts plan quota (B1): 50 MB = 50,000,000 bytes. */
export const MB = 1_000_000;
/** B1: 50 MB of quarantine included per 10 addresses of the plan. */
export const INCLUDED_PER_10_ADDRESSES = 50 * MB;
export const WARN_RATIO = 0.8;
export const MIN_RETENTION_DAYS = 1;
export const MAX_RETENTION_DAYS = 14;
export const DIGEST_MAX_ITEMS = 50;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * The domain's quarantine capacity: the tenant service publishes it with the spam settings
 * (`quarantineCapacityBytes`, plan + extra blocks); from the plan alone when it is missing.
 */
export function domainCapacityBytes(settings: Record<string, string> | undefined, planAddresses: number): number {
  const published = Number(settings?.quarantineCapacityBytes);
  if (Number.isFinite(published) && published > 0) return published;
  return Math.max(1, Math.ceil(planAddresses / 10)) * INCLUDED_PER_10_ADDRESSES;
}

/** An address without a quota set by its admin gets an even share of the capacity over the plan's addresses. */
export function defaultQuotaBytes(capacity: number, planAddresses: number): number {
  return Math.floor(capacity / Math.max(1, planAddresses));
}

/** Whether the quotas set for a domain (this one replacing the address's former one) fit its capacity. */
export function quotaFits(capacity: number, otherQuotas: readonly number[], wanted: number): boolean {
  return otherQuotas.reduce((a, b) => a + b, 0) + wanted <= capacity;
}

export interface AdmissionInput {
  usedBytes: number;
  size: number;
  quotaBytes: number;
  /** The 80% warning was already sent for the current crossing. */
  warned: boolean;
}

export type Admission =
  | { kind: 'refuse' }
  /** `warn`: send the 80% warning now; `warned`: the flag to store. */
  | { kind: 'accept'; warn: boolean; warned: boolean };

/** SPAM11: a message that does not fit is refused (bounced); the warning fires once when 80% is crossed. */
export function admit({ usedBytes, size, quotaBytes, warned }: AdmissionInput): Admission {
  const after = usedBytes + size;
  if (after > quotaBytes) return { kind: 'refuse' };
  const over = after >= WARN_RATIO * quotaBytes;
  return { kind: 'accept', warn: over && !warned, warned: over };
}

/** After items leave a box: the warning re-arms once usage is back under 80%. */
export function warnedAfterRemoval(usedBytes: number, quotaBytes: number, warned: boolean): boolean {
  return warned && usedBytes >= WARN_RATIO * quotaBytes;
}

export function expiresAt(quarantinedAt: Date, retentionDays: number): Date {
  return new Date(quarantinedAt.getTime() + retentionDays * DAY_MS);
}

/** Digest schedule: every `hours` hours (24 = daily); due when never sent or the period has passed. */
export function digestDue(hours: number | null, lastDigestAt: Date | null, now: Date): boolean {
  if (hours === null || hours <= 0) return false;
  return lastDigestAt === null || now.getTime() - lastDigestAt.getTime() >= hours * HOUR_MS;
}

export type LinkPurpose = 'release' | 'allow-sender';
export const LINK_PURPOSES: readonly LinkPurpose[] = ['release', 'allow-sender'];

export interface LinkClaims {
  /** What this link may do (one purpose only). */
  p: LinkPurpose;
  /** Quarantine item id. */
  i: string;
  /** The box's address (the item must still belong to it). */
  a: string;
  /** Expiry, seconds since the epoch. */
  e: number;
  /** Single-use id. */
  j: string;
}

const b64 = (b: Buffer): string => b.toString('base64url');
const mac = (secret: string, body: string): Buffer => createHmac('sha256', secret).update(`torii-quarantine-link.${body}`).digest();

export function signLink(secret: string, claims: Omit<LinkClaims, 'j'> & { j?: string }): string {
  const full: LinkClaims = { ...claims, j: claims.j ?? b64(randomBytes(12)) };
  const body = b64(Buffer.from(JSON.stringify(full), 'utf8'));
  return `${body}.${b64(mac(secret, body))}`;
}

export type LinkCheck = { ok: true; claims: LinkClaims } | { ok: false; why: 'malformed' | 'bad-signature' | 'expired' };

export function verifyLink(secret: string, token: string, now: Date): LinkCheck {
  const [body, sig, extra] = token.split('.');
  if (!body || !sig || extra !== undefined) return { ok: false, why: 'malformed' };
  const expected = mac(secret, body);
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, why: 'bad-signature' };
  let claims: LinkClaims;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as LinkClaims;
  } catch {
    return { ok: false, why: 'malformed' };
  }
  if (!LINK_PURPOSES.includes(claims.p) || typeof claims.i !== 'string' || typeof claims.a !== 'string' || typeof claims.j !== 'string') {
    return { ok: false, why: 'malformed' };
  }
  if (typeof claims.e !== 'number' || claims.e * 1000 <= now.getTime()) return { ok: false, why: 'expired' };
  return { ok: true, claims };
}

/** HTML-escapes text put into our pages and digests (message fields are attacker-controlled). */
/**
 * One line of display text: every run of control characters (C0 incl. tab, CR and LF; DEL; C1 incl. NEL) and
 * the Unicode line and paragraph separators becomes one space. A Subject or display name decoded from RFC 2047
 * may carry any of them, and in a notice's text part a line break would let a spammer write lines of their own
 * (a fake "Release" link) into the digest.
 */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** The bare address of a From/sender value (`"Name" <a@b>` → `a@b`), lowercase. */
export function bareAddress(value: string): string {
  const angle = /<([^<>]*)>/.exec(value);
  return (angle ? angle[1] : value).trim().toLowerCase();
}

/** The raw header section of a message (up to the first empty line). */
export function headerSectionOf(raw: Buffer): string {
  const s = raw.toString('latin1');
  const m = /\r?\n\r?\n/.exec(s);
  return m ? s.slice(0, m.index) : s;
}

/** Header fields, unfolded, in order (values undecoded, as a text view). */
export function headerFields(section: string): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const line of section.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && out.length > 0) out[out.length - 1].value += ` ${line.trim()}`;
    else {
      const colon = line.indexOf(':');
      if (colon > 0) out.push({ name: line.slice(0, colon), value: line.slice(colon + 1).trim() });
    }
  }
  return out;
}

/** An address as a header may carry it bare (no space, quote, angle bracket or control character). */
// eslint-disable-next-line no-control-regex
const HEADER_ADDRESS = /^[^\s<>()",;:\\@\u0000-\u001f\u007f]+@[^\s<>()",;:\\@\u0000-\u001f\u007f]+$/u;

/** RFC 5322 date-time in UTC: `Tue, 08 Dec 2026 01:17:10 +0000`. */
export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/** What the spam record kept of the original's arrival (src/scoring StoredInput): the edge's facts. */
export interface ArrivalFacts {
  envelope: { mailFrom: string };
  auth: { spf?: { result: string; domain?: string } };
  client: { ip: string; helo: string; rdns: string; tls?: string };
  /** When and by which edge host it came in (records written before these were kept lack them). */
  receivedAt?: string;
  receivedBy?: string;
}

const SPF_RESULTS = new Set(['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror']);
// eslint-disable-next-line no-control-regex
const traceText = (text: string): string => text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
const traceToken = (text: string): string => {
  const t = traceText(text);
  return /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/.test(t) ? t : `"${t.replace(/["\\]/g, (c) => `\\${c}`)}"`;
};
const traceComment = (text: string): string => traceText(text).replace(/[\\()]/g, (c) => `\\${c}`);

/**
 * A released copy's trace fields (SPAM3): what delivery stamped on the original's first pass and, the copy being
 * a new submission, does not stamp on it: the Received line of the sender's hop into the gateway and, above it,
 * Received-SPF with the result the edge found (RFC 7208 §9.1). Rebuilt from the spam record, so the mailbox sees
 * where the message came from and how it authenticated. The original follows unchanged, in its own line
 * endings. (Authentication-Results is delivery's alone: it removes any claiming our authserv-id from a
 * submission and stamps the original's from its own record of the first pass; the score comes as a verdict:
 * QuarantineService.releaseItem.)
 */
export function withArrivalTrace(raw: Buffer, arrival: ArrivalFacts, r: { gateway: string; messageId: string; recipient: string; fallbackDate: Date }): Buffer {
  const lf = raw.indexOf(0x0a);
  const eol = lf > 0 && raw[lf - 1] !== 0x0d ? '\n' : '\r\n';
  const { client } = arrival;
  const ip = traceText(client.ip) || '0.0.0.0';
  const helo = traceText(client.helo) || 'unknown';
  const at = arrival.receivedAt && !Number.isNaN(Date.parse(arrival.receivedAt)) ? new Date(arrival.receivedAt) : r.fallbackDate;
  const tls = client.tls ? traceComment(client.tls) : '';
  const received =
    `Received: from ${helo} (${traceText(client.rdns) || 'unknown'} [${ip}])${eol}\tby ${traceText(arrival.receivedBy ?? '') || r.gateway} (Torii) ` +
    `with ${tls ? 'ESMTPS' : 'ESMTP'} id ${traceText(r.messageId)}${tls ? `${eol}\t(${tls})` : ''}${eol}\tfor <${traceText(r.recipient)}>;${eol}\t${rfc5322Date(at)}`;
  const fields = [received];
  const result = arrival.auth.spf?.result.trim().toLowerCase() ?? '';
  if (SPF_RESULTS.has(result)) {
    const mailFrom = traceText(arrival.envelope.mailFrom);
    const identity = mailFrom ? 'mailfrom' : 'helo';
    const domain = traceText(arrival.auth.spf?.domain ?? '') || (mailFrom ? mailFrom.slice(mailFrom.lastIndexOf('@') + 1) : helo);
    const pairs: [string, string][] = [
      ['client-ip', ip],
      ['envelope-from', mailFrom],
      ['helo', helo],
      ['receiver', r.gateway],
      ['identity', identity],
    ];
    const list = pairs.filter(([, v]) => v).map(([k, v]) => `${k}=${traceToken(v)};`);
    fields.unshift(`Received-SPF: ${result} (${traceComment(`${r.gateway}: SPF ${result} for ${domain} from ${ip}, when it arrived`)})${eol}\t${list.join(' ')}`);
  }
  return Buffer.concat([Buffer.from(fields.join(eol) + eol, 'utf8'), raw]);
}

/**
 * The quarantined bytes with a resent block on top (RFC 5322 §3.6.6): who of the tenant's people forwarded
 * the copy (`Resent-From`; an API key, which has no address, as a named postmaster), when, to whom, under
 * which id. The original message follows unchanged, in its own line endings.
 */
export function withResentFields(raw: Buffer, r: { from: string | undefined; fromName: string; postmaster: string; to: string; date: Date; messageId: string }): Buffer {
  const from = r.from && HEADER_ADDRESS.test(r.from) ? r.from : `"${r.fromName.replace(/[^A-Za-z0-9 ._:@-]/g, '_')}" <${r.postmaster}>`;
  const lf = raw.indexOf(0x0a);
  const eol = lf > 0 && raw[lf - 1] !== 0x0d ? '\n' : '\r\n';
  const block = [`Resent-Date: ${rfc5322Date(r.date)}`, `Resent-From: ${from}`, `Resent-To: ${r.to}`, `Resent-Message-ID: <${r.messageId}>`].join(eol) + eol;
  return Buffer.concat([Buffer.from(block, 'utf8'), raw]);
}
