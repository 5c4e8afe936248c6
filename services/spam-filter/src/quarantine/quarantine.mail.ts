// Composition of the mails the quarantine sends (80% warning, digest) as UTF-8 MIME: nodemailer's composer
// encodes a Japanese subject as RFC 2047 encoded words and the bodies as quoted-printable/base64.
import MailComposer from 'nodemailer/lib/mail-composer';
import { escapeHtml, oneLine } from './quarantine.rules';

export interface NoticeBase {
  brand: string;
  gatewayHostname: string;
  /** The box's address: the recipient. */
  to: string;
  submitId: string;
  now: Date;
}

/** Decimal units, as plans count them; small quotas in kB rather than "0.0 MB". */
const mb = (bytes: number): string => (bytes >= 100_000 ? `${(bytes / 1_000_000).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1000))} kB`);

async function build(base: NoticeBase, subject: string, text: string, html?: string): Promise<Buffer> {
  return new MailComposer({
    from: { name: `${base.brand} quarantine`, address: `postmaster@${base.gatewayHostname}` },
    to: base.to,
    subject,
    text,
    ...(html ? { html } : {}),
    messageId: `<${base.submitId}@${base.gatewayHostname}>`,
    date: base.now,
    textEncoding: 'base64',
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
  })
    .compile()
    .build();
}

export function composeWarning(base: NoticeBase & { usedBytes: number; quotaBytes: number }): Promise<Buffer> {
  const percent = Math.floor((base.usedBytes / base.quotaBytes) * 100);
  const text = [
    `Your quarantine box (${base.to}) is ${percent}% full: ${mb(base.usedBytes)} of ${mb(base.quotaBytes)}.`,
    '',
    'When it is full, further spam for you is returned to its senders instead of being kept.',
    'Delete or release messages you do not need, or ask your administrator for a larger quota.',
    '',
    `隔離ボックス (${base.to}) の使用量が ${percent}% に達しました (${mb(base.usedBytes)} / ${mb(base.quotaBytes)})。`,
  ].join('\n');
  return build(base, `[${base.brand}] Quarantine box ${percent}% full / 隔離ボックスの容量警告`, text);
}

export interface DigestLine {
  sender: string;
  subject: string;
  date: Date;
  scorePercent: number;
  releaseUrl: string;
  /** Absent while the box's allow list is inactive (the domain's rules come first, SPAM9). */
  allowUrl?: string;
}

export function composeDigest(digest: NoticeBase & { lines: DigestLine[]; more: number; restUrl: string }): Promise<Buffer> {
  // Sender and subject are the spammer's text: one line each, in both parts (items filed before this rule too).
  const base = { ...digest, lines: digest.lines.map((l) => ({ ...l, sender: oneLine(l.sender), subject: oneLine(l.subject) })) };
  const fmtDate = (d: Date) => d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  const score = (p: number) => `${p.toFixed(2)}%`;
  const text = [
    `${base.lines.length + base.more} new message(s) in your quarantine box (${base.to}) / 新しく隔離されたメール:`,
    '',
    ...base.lines.flatMap((l) => [
      `${fmtDate(l.date)}  ${score(l.scorePercent)}  ${l.sender}`,
      `  ${l.subject}`,
      `  Release / 配信: ${l.releaseUrl}`,
      ...(l.allowUrl ? [`  Allow sender / 送信者を許可: ${l.allowUrl}`] : []),
      '',
    ]),
    ...(base.more > 0 ? [`… and ${base.more} more: ${base.restUrl}`] : [`Your whole box: ${base.restUrl}`]),
  ].join('\n');
  const rows = base.lines
    .map(
      (l) =>
        `<tr><td>${escapeHtml(fmtDate(l.date))}</td><td>${escapeHtml(l.sender)}</td><td>${escapeHtml(l.subject)}</td><td>${score(l.scorePercent)}</td>` +
        `<td><a href="${escapeHtml(l.releaseUrl)}">Release / 配信</a>${l.allowUrl ? ` · <a href="${escapeHtml(l.allowUrl)}">Allow sender / 送信者を許可</a>` : ''}</td></tr>`,
    )
    .join('\n');
  const html = `<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>Quarantine digest</title></head>
<body>
<p>${escapeHtml(`${base.lines.length + base.more} new message(s) in your quarantine box (${base.to}) / 新しく隔離されたメール`)}</p>
<table border="1" cellpadding="4" cellspacing="0">
<tr><th>Date / 日時</th><th>From / 送信者</th><th>Subject / 件名</th><th>Score</th><th></th></tr>
${rows}
</table>
<p>${base.more > 0 ? `… and ${base.more} more: ` : ''}<a href="${escapeHtml(base.restUrl)}">${escapeHtml(base.restUrl)}</a></p>
</body></html>`;
  return build(base, `[${base.brand}] Quarantine digest / 隔離メールのお知らせ (${base.lines.length + base.more})`, text, html);
}
