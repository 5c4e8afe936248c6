/**
 * What clamd's answers mean for a message, as pure functions: which signatures are infections and which
 * say "could not be scanned" (AV5), which MIME parts are the body, and the verdict that follows.
 */

export type ScanStatus = 'clean' | 'infected' | 'unscannable';

/** One thing found, attributed to a MIME part. `part` is '' for the message body (AV2: not deliverable). */
export interface Finding {
  part: string;
  filename: string;
  signature: string;
}

/** One scanned part (or the whole message, part = '*'). */
export interface PartScan {
  /** mailsplit's IMAP-style part number, e.g. "2" or "1.3"; "TEXT" for a single-part message; "*" whole. */
  part: string;
  filename: string;
  /** True for the readable body of the message (not an attachment). */
  body: boolean;
  /** Signature names clamd reported (".UNOFFICIAL" stripped); empty when clean. */
  signatures: string[];
}

/** Signatures that mean "could not look inside", not "found something" (AlertEncrypted, AlertExceedsMax, ours). */
export function isUnscannableSignature(signature: string): boolean {
  return /^(Heuristics\.Encrypted\.|Heuristics\.Limits\.Exceeded\.|Torii\.Unscannable\.)/.test(signature);
}

/** A MIME walk stopped by its limits (mime-walk.ts): parts after the stop were not scanned. */
export const TOO_MANY_PARTS = 'Torii.Unscannable.Too-Many-Parts';
export const HEADER_TOO_LARGE = 'Torii.Unscannable.Header-Too-Large';

/**
 * clamd's reply to INSTREAM: "stream: OK", "stream: Eicar-Signature.UNOFFICIAL FOUND", or an error such as
 * "INSTREAM size limit exceeded. ERROR" (thrown: the caller treats it as a scanner failure).
 */
export function parseClamdReply(reply: string): { signatures: string[] } | { error: string } {
  const text = reply.replace(/\0/g, '').trim();
  const found = /^(?:[^:]*:\s*)?(.+?)\s+FOUND$/.exec(text);
  if (found) return { signatures: [found[1].replace(/\.UNOFFICIAL$/, '')] };
  if (/^(?:[^:]*:\s*)?OK$/.test(text)) return { signatures: [] };
  return { error: text || 'empty reply' };
}

/** Content types clamd cannot look into (AV5): S/MIME and PGP encryption, split messages. */
export function unscannableContentType(contentType: string, smimeType = ''): string | undefined {
  const type = contentType.toLowerCase();
  if (type === 'multipart/encrypted') return 'Torii.Unscannable.PGP-Encrypted';
  if (type === 'application/pgp-encrypted') return 'Torii.Unscannable.PGP-Encrypted';
  if ((type === 'application/pkcs7-mime' || type === 'application/x-pkcs7-mime') && smimeType.toLowerCase() !== 'signed-data') {
    return 'Torii.Unscannable.SMIME-Encrypted';
  }
  if (type === 'message/partial') return 'Torii.Unscannable.Partial-Message';
  return undefined;
}

/** A leaf part is the body when it is readable text meant to be shown, not a file. */
export function isBodyPart(input: { root: boolean; contentType: string; disposition: string; filename: string }): boolean {
  if (input.root) return true;
  if (input.disposition.toLowerCase() === 'attachment' || input.filename) return false;
  return /^text\/(plain|html|enriched)$/i.test(input.contentType);
}

export interface ScanVerdict {
  status: ScanStatus;
  findings: Finding[];
}

/**
 * The verdict of a message from its per-part scans and the whole-message scan. Parts say where; the whole
 * scan catches what the MIME walk missed (malformed structure), attributed to the body. Infected wins over
 * unscannable; a limit hit on the whole message only (its MIME levels count against MaxRecursion) does not
 * make a message whose parts all scanned within limits unscannable. When the MIME walk stopped at its limits,
 * an infection is the message's (part ''): delivery cannot walk that message to replace one part either, so
 * it is not delivered rather than delivered with the infected part left in.
 */
export function decideVerdict(parts: readonly PartScan[], whole: PartScan | undefined): ScanVerdict {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const cut = parts.some((scan) => scan.signatures.some((s) => s === TOO_MANY_PARTS || s === HEADER_TOO_LARGE));
  for (const scan of parts) {
    for (const signature of scan.signatures) {
      const message = scan.body || (cut && !isUnscannableSignature(signature));
      findings.push({ part: message ? '' : scan.part, filename: scan.body ? '' : scan.filename, signature });
      seen.add(signature);
    }
  }
  for (const signature of whole?.signatures ?? []) {
    if (seen.has(signature)) continue;
    if (isUnscannableSignature(signature) && parts.length > 0) continue;
    findings.push({ part: '', filename: '', signature });
  }
  const infected = findings.some((f) => !isUnscannableSignature(f.signature));
  const status: ScanStatus = infected ? 'infected' : findings.length > 0 ? 'unscannable' : 'clean';
  return { status, findings };
}
