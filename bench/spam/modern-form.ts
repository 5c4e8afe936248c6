/**
 * Robustness check: does the model judge the form of 2002 mail, or its content? Every plain-text message of a
 * manifest is re-wrapped the way a mail program of today sends it (multipart/alternative, UTF-8 quoted-printable
 * text plus an HTML rendering with <div dir="ltr">, links as <a>), keeping From, To, Subject, Date and
 * Message-ID, and scored both ways. A model that learned "HTML = spam" from 2002 would flag modern ham.
 *   node -r @swc-node/register bench/spam/modern-form.ts --manifest FILE --root DIR [--label ham|spam] [--model PATH]
 * Prints the mean score and the counts at or above 50%, 90% and 100% before → after, and the largest rises.
 */
import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { DEFAULT_MODEL_PATH, SpamEngine } from '@torii/spam-engine';
import { mboxSender, parseArgs, readManifest, readMessage } from './corpus';

const args = parseArgs(process.argv.slice(2));
if (typeof args.manifest !== 'string' || typeof args.root !== 'string') {
  console.error('usage: modern-form --manifest FILE --root DIR [--label ham|spam] [--model PATH]');
  process.exit(2);
}
const label = args.label === 'spam' ? 'spam' : 'ham';
const engine = SpamEngine.load(typeof args.model === 'string' ? args.model : DEFAULT_MODEL_PATH);
const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const toHtml = (text: string) =>
  '<div dir="ltr">' +
  text
    .split(/\n{2,}/)
    .map((p) => '<div>' + escapeHtml(p).replace(/(https?:\/\/[^\s<]+)/g, '<a href="$1">$1</a>').replace(/\n/g, '<br>') + '</div>')
    .join('<div><br></div>') +
  '</div>';

async function main(): Promise<void> {
  const rows: { before: number; after: number; path: string }[] = [];
  for (const entry of readManifest(args.manifest as string)) {
    if (entry.label !== label) continue;
    const raw = readMessage(args.root as string, entry);
    const parsed = await simpleParser(raw);
    if (parsed.html || !parsed.text) continue; // plain-text mail only: that is what gets re-wrapped
    const to = parsed.to ? (Array.isArray(parsed.to) ? parsed.to.map((t) => t.text).join(', ') : parsed.to.text) : 'someone@example.org';
    const modern = await new MailComposer({
      from: parsed.from?.text,
      to,
      subject: parsed.subject,
      date: parsed.date,
      messageId: parsed.messageId,
      text: parsed.text,
      html: toHtml(parsed.text),
      textEncoding: 'quoted-printable',
    })
      .compile()
      .build();
    const mailFrom = mboxSender(raw);
    const envelope = mailFrom ? { mailFrom } : undefined;
    rows.push({ before: engine.score({ message: raw, envelope }).percent, after: engine.score({ message: modern, envelope }).percent, path: entry.path });
  }
  const n = rows.length;
  const mean = (k: 'before' | 'after') => (rows.reduce((a, r) => a + r[k], 0) / (n || 1)).toFixed(2);
  const atLeast = (k: 'before' | 'after', t: number) => rows.filter((r) => r[k] >= t).length;
  console.log(
    `${label}: ${n} plain-text messages re-wrapped; mean score ${mean('before')}% -> ${mean('after')}%; ` +
      `>= 50%: ${atLeast('before', 50)} -> ${atLeast('after', 50)}; >= 90%: ${atLeast('before', 90)} -> ${atLeast('after', 90)}; ` +
      `100%: ${atLeast('before', 100)} -> ${atLeast('after', 100)}`,
  );
  for (const r of [...rows].sort((a, b) => b.after - b.before - (a.after - a.before)).slice(0, 5)) {
    console.log(`  ${r.before.toFixed(2)}% -> ${r.after.toFixed(2)}%  ${r.path}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
