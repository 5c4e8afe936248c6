import { header, headers, type ParsedMessage } from './parse';
import { baseDomain, nonSpaceLength, type UrlInfo } from './tokenize';
import type { AuthenticationResults, ClientInfo, Envelope } from './types';

export interface RuleContext {
  msg: ParsedMessage;
  urls: UrlInfo[];
  envelope?: Envelope;
  auth?: AuthenticationResults;
  client?: ClientInfo;
}

export interface Rule {
  id: string;
  description: string;
  /**
   * `learned`: the rule is a feature of the content model and its weight comes from training data.
   * A number: a fixed log-odds added after calibration, for what a 2002 training corpus cannot show
   * (SPF/DKIM/DMARC, the SMTP client). Fixed weights are small on purpose: evidence, not a verdict.
   */
  weight: 'learned' | number;
  test(ctx: RuleContext): boolean;
}

const MSGID_RE = /^<[^<>@\s]+@[^<>@\s]+>$/;
// RFC 5322 date-time, loosely: optional day name, day, month name, year, time, zone.
const DATE_RE = /^(?:[A-Za-z]{3},?\s+)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?\s*(?:[+-]\d{4}|[A-Za-z]{1,5})?/;
const URLISH_TEXT_RE = /^(?:https?:\/\/)?(?:www\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)+)(?:[/:?#]\S*)?$/i;

function visibleTextLength(msg: ParsedMessage): number {
  return nonSpaceLength(msg.text) + msg.html.textLength;
}

function receivedTime(msg: ParsedMessage): number | undefined {
  const first = headers(msg, 'received')[0];
  if (!first) return undefined;
  const semi = first.lastIndexOf(';');
  if (semi < 0) return undefined;
  const t = Date.parse(first.slice(semi + 1).trim().replace(/\s*\(.*\)\s*$/, ''));
  return Number.isNaN(t) ? undefined : t;
}

function heloLooksBad(helo: string | undefined): 'ip' | 'nodot' | undefined {
  if (!helo) return undefined;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(helo)) return 'ip';
  if (!helo.startsWith('[') && !helo.includes('.')) return 'nodot';
  return undefined;
}

// Outlook Express and Outlook of 1997–2003 on Windows write a Message-ID `<` 12 hex `$` 8 hex `$` 8 hex `@host>`,
// a top-level boundary `----=_NextPart_000_0000_01C2XXXX.XXXXXXXX` and an X-MimeOLE header. Bulk mailers of the time copied
// one or two of these marks, rarely all (SpamAssassin's FORGED_MUA_OUTLOOK / FORGED_OUTLOOK_TAGS idea). Later
// Outlook versions (12.0 and up) stopped writing X-MimeOLE, so only the old mailer names are held to it.
const MS_MSGID_RE = /^<[0-9a-f]{12}\$[0-9a-f]{8}\$[0-9a-f]{8}@[^<>@\s]+>$/i;
const MS_BOUNDARY_RE = /^----=_NextPart_\d{3}_[0-9A-F]{4}_[0-9A-F]{8}\.[0-9A-F]{8}$/;
const CLASSIC_MS_MAILER_RE = /^Microsoft (?:Outlook Express [456]\.|Outlook(?: IMO)?, Build (?:8|9|10)\.|Office Outlook, Build 11\.|Outlook 8\.5)/i;

function mailerOf(msg: ParsedMessage): string {
  return (header(msg, 'x-mailer') ?? header(msg, 'user-agent') ?? '').trim();
}

/** Anything in the header that says a Microsoft mail program wrote the message. */
function microsoftMarked(msg: ParsedMessage): boolean {
  return /microsoft|outlook|windows (?:live )?mail/i.test(mailerOf(msg)) || header(msg, 'x-mimeole') !== undefined || header(msg, 'thread-index') !== undefined;
}

function topBoundary(msg: ParsedMessage): string | undefined {
  return /;\s*boundary\s*=\s*"?([^";\s]+)/i.exec(header(msg, 'content-type') ?? '')?.[1];
}

/** The rule table. Ids are stable: they appear in explanations, in the API and in the model. */
export const RULES: readonly Rule[] = [
  // --- structure, learned from data ---
  { id: 'HTML_ONLY', description: 'HTML without a plain-text alternative', weight: 'learned', test: ({ msg }) => msg.hasHtml && !msg.hasTextPlain },
  {
    id: 'IMAGE_ONLY',
    description: 'images with almost no text',
    weight: 'learned',
    test: ({ msg }) => (msg.html.images > 0 || msg.parts.some((p) => p.contentType.startsWith('image/'))) && visibleTextLength(msg) < 200,
  },
  { id: 'HTML_HIDDEN_TEXT', description: 'HTML text hidden from the reader', weight: 'learned', test: ({ msg }) => msg.html.hidden },
  { id: 'NO_TEXT', description: 'no readable text at all', weight: 'learned', test: ({ msg }) => visibleTextLength(msg) === 0 && msg.subject.trim() === '' },
  { id: 'MIME_DEFECT', description: 'malformed MIME structure', weight: 'learned', test: ({ msg }) => msg.defects.length > 0 },
  {
    id: 'TEXT_BASE64',
    description: 'text part base64-encoded although plain ASCII/Latin-1 would do',
    weight: 'learned',
    test: ({ msg }) => msg.parts.some((p) => p.contentType.startsWith('text/') && p.transferEncoding === 'base64' && /^(?:|us-ascii|iso-8859-1|windows-1252)$/.test(p.charset)),
  },
  // --- URL tricks ---
  { id: 'URL_IP_LITERAL', description: 'link to a numeric IP address', weight: 'learned', test: ({ urls }) => urls.some((u) => u.ipLiteral) },
  { id: 'URL_USERINFO', description: 'link hiding its host behind user@', weight: 'learned', test: ({ urls }) => urls.some((u) => u.userInfo) },
  { id: 'URL_OBFUSCATED', description: 'percent-encoded host name in a link', weight: 'learned', test: ({ urls }) => urls.some((u) => u.obfuscated) },
  {
    id: 'URL_ANCHOR_MISMATCH',
    description: 'link text shows one domain, the link goes to another',
    weight: 'learned',
    test: ({ msg }) =>
      msg.html.links.some((l) => {
        const shown = URLISH_TEXT_RE.exec(l.text);
        const target = /^https?:\/\/([^/?#:@]+)/i.exec(l.href.replace(/\/\/[^/]*@/, '//'));
        return !!shown && !!target && /[a-z]/i.test(shown[1].split('.').pop() ?? '') && baseDomain(shown[1].toLowerCase()) !== baseDomain(target[1].toLowerCase());
      }),
  },
  // --- headers ---
  { id: 'DATE_MISSING', description: 'no Date header', weight: 'learned', test: ({ msg }) => header(msg, 'date') === undefined },
  {
    id: 'DATE_MALFORMED',
    description: 'Date header not in RFC 5322 form',
    weight: 'learned',
    test: ({ msg }) => {
      const d = header(msg, 'date');
      return d !== undefined && (!DATE_RE.test(d) || Number.isNaN(Date.parse(d.replace(/\s*\(.*\)\s*$/, ''))));
    },
  },
  {
    id: 'DATE_SKEW',
    description: 'Date more than two days away from the time the message was received',
    weight: 'learned',
    test: ({ msg }) => {
      const d = Date.parse((header(msg, 'date') ?? '').replace(/\s*\(.*\)\s*$/, ''));
      const r = receivedTime(msg);
      return !Number.isNaN(d) && r !== undefined && Math.abs(d - r) > 2 * 86_400_000;
    },
  },
  { id: 'MSGID_MISSING', description: 'no Message-ID header', weight: 'learned', test: ({ msg }) => header(msg, 'message-id') === undefined },
  {
    id: 'MSGID_MALFORMED',
    description: 'Message-ID not of the form <left@right>',
    weight: 'learned',
    test: ({ msg }) => {
      const id = header(msg, 'message-id');
      return id !== undefined && !MSGID_RE.test(id.trim());
    },
  },
  { id: 'FROM_MISSING', description: 'no usable From address', weight: 'learned', test: ({ msg }) => !msg.from || !msg.from.address.includes('@') },
  {
    id: 'FROM_NAME_SPOOF',
    description: 'From display name shows an address of another domain',
    weight: 'learned',
    test: ({ msg }) => {
      const shown = /[^\s<>"@]+@([a-z0-9.-]+\.[a-z]{2,})/i.exec(msg.from?.name ?? '');
      return !!shown && !!msg.from && baseDomain(shown[1].toLowerCase()) !== baseDomain(msg.from.domain);
    },
  },
  { id: 'TO_MISSING', description: 'no To or Cc header', weight: 'learned', test: ({ msg }) => header(msg, 'to') === undefined && header(msg, 'cc') === undefined },
  { id: 'TO_UNDISCLOSED', description: 'undisclosed recipients', weight: 'learned', test: ({ msg }) => /undisclosed|recipient list not shown/i.test(header(msg, 'to') ?? '') },
  { id: 'SUBJECT_EMPTY', description: 'empty Subject', weight: 'learned', test: ({ msg }) => msg.subject.trim() === '' },
  {
    id: 'SUBJECT_SHOUTING',
    description: 'Subject mostly in capitals',
    weight: 'learned',
    test: ({ msg }) => {
      const letters = msg.subject.replace(/[^A-Za-z]/g, '');
      return letters.length >= 10 && letters.replace(/[^A-Z]/g, '').length / letters.length > 0.7;
    },
  },
  {
    id: 'REPLY_TO_OTHER_DOMAIN',
    description: 'Reply-To in another domain than From',
    weight: 'learned',
    test: ({ msg }) => !!msg.from && !!msg.replyTo && msg.replyTo.domain !== '' && baseDomain(msg.replyTo.domain) !== baseDomain(msg.from.domain),
  },
  // --- header forgery: a mailer's marks that do not belong together (form, not value) ---
  {
    id: 'MSGID_OUTLOOK_NO_MUA',
    description: 'Message-ID in Outlook form, but nothing else says Outlook wrote it',
    weight: 'learned',
    test: ({ msg }) => MS_MSGID_RE.test((header(msg, 'message-id') ?? '').trim()) && !microsoftMarked(msg),
  },
  {
    id: 'FORGED_MUA_OUTLOOK',
    description: 'X-Mailer claims an old Outlook, but the X-MimeOLE header that Outlook wrote is missing',
    weight: 'learned',
    test: ({ msg }) => CLASSIC_MS_MAILER_RE.test(mailerOf(msg)) && header(msg, 'x-mimeole') === undefined,
  },
  {
    id: 'FORGED_OUTLOOK_TAGS',
    description: 'MIME boundary in Outlook style, but not of its form or without an Outlook mailer',
    weight: 'learned',
    test: ({ msg }) => {
      const b = topBoundary(msg);
      return !!b && b.startsWith('----=_NextPart_') && (!MS_BOUNDARY_RE.test(b) || !microsoftMarked(msg));
    },
  },
  { id: 'SUBJECT_SPACED', description: 'Subject with a long run of spaces inside', weight: 'learned', test: ({ msg }) => /\S[ \t]{4,}\S/.test(msg.subject) },
  {
    id: 'HTML_NO_CHARSET',
    description: 'HTML part without a charset',
    weight: 'learned',
    test: ({ msg }) => msg.parts.some((p) => p.contentType === 'text/html' && p.charset === ''),
  },
  {
    id: 'MULTIPART_NO_MIME_VERSION',
    description: 'multipart message without MIME-Version',
    weight: 'learned',
    test: ({ msg }) => header(msg, 'mime-version') === undefined && /^\s*multipart\//i.test(header(msg, 'content-type') ?? ''),
  },
  // --- authentication and SMTP client: fixed evidence (no such data in the training corpus) ---
  { id: 'SPF_FAIL', description: 'SPF fail: the sending host is not allowed for the envelope domain', weight: 1.5, test: ({ auth }) => auth?.spf === 'fail' },
  { id: 'SPF_SOFTFAIL', description: 'SPF softfail', weight: 0.5, test: ({ auth }) => auth?.spf === 'softfail' },
  { id: 'DKIM_FAIL', description: 'DKIM signature does not verify', weight: 1.0, test: ({ auth }) => auth?.dkim === 'fail' },
  { id: 'DKIM_ALIGNED_PASS', description: 'valid DKIM signature of the From domain', weight: -0.7, test: ({ auth }) => auth?.dkim === 'pass' && auth.dkimAligned === true },
  { id: 'DMARC_FAIL', description: 'DMARC fail: From domain not authenticated', weight: 2.5, test: ({ auth }) => auth?.dmarc === 'fail' },
  { id: 'DMARC_PASS', description: 'DMARC pass: From domain authenticated', weight: -1.0, test: ({ auth }) => auth?.dmarc === 'pass' },
  { id: 'HELO_IP_LITERAL', description: 'HELO is a bare IP address', weight: 0.7, test: ({ client }) => heloLooksBad(client?.helo) === 'ip' },
  { id: 'HELO_NO_DOT', description: 'HELO is not a fully qualified name', weight: 0.7, test: ({ client }) => heloLooksBad(client?.helo) === 'nodot' },
  { id: 'CLIENT_NO_RDNS', description: 'sending host has no reverse DNS', weight: 0.5, test: ({ client }) => client?.rdns === '' },
];

const RULE_BY_ID = new Map(RULES.map((r) => [r.id, r]));

/** The header-forgery rules (FeatureOptions.headerForgery). */
export const FORGERY_RULE_IDS: ReadonlySet<string> = new Set(['MSGID_OUTLOOK_NO_MUA', 'FORGED_MUA_OUTLOOK', 'FORGED_OUTLOOK_TAGS', 'SUBJECT_SPACED', 'HTML_NO_CHARSET', 'MULTIPART_NO_MIME_VERSION']);

export function ruleById(id: string): Rule | undefined {
  return RULE_BY_ID.get(id);
}

/** Ids of the rules that fire, in table order. */
export function evaluateRules(ctx: RuleContext): Rule[] {
  return RULES.filter((r) => r.test(ctx));
}
