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
/** The message's scan time (SCAN_MESSAGE_BUDGET) ran out while clamd kept answering: later parts not scanned. */
export const SCAN_BUDGET_EXCEEDED = 'Torii.Unscannable.Scan-Time-Budget';
/** The walk stopped before the end of the message: what comes after was not scanned. */
const WALK_STOPS = new Set([TOO_MANY_PARTS, HEADER_TOO_LARGE, SCAN_BUDGET_EXCEEDED]);

/** clamd refused the stream: longer than its StreamMaxLength ("INSTREAM size limit exceeded. ERROR"). */
export const STREAM_TOO_LARGE = 'Torii.Unscannable.Stream-Too-Large';

/**
 * clamd's `<reason> ERROR` replies to INSTREAM (libclamav's cl_strerror texts, ClamAV 1.x) that are about the
 * content, so a retry gets the same answer: the part is unscannable, the finding names why. With AlertExceedsMax
 * on, a scan limit is a FOUND (Heuristics.Limits.Exceeded.*) instead; these come when a limit or a broken file
 * stops libclamav itself. "Can't allocate memory" counts as content: libclamav refuses an allocation that a
 * file asks for above its own maximum (cli_max_malloc); a clamd that really runs out of memory is killed (a
 * dropped connection: retried).
 */
const CONTENT_ERRORS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^INSTREAM size limit exceeded\.?$/i, STREAM_TOO_LARGE],
  [/^Exceeded max recursion depth$/i, 'Torii.Unscannable.Max-Recursion'],
  [/^Exceeded max scan size$/i, 'Torii.Unscannable.Max-Scan-Size'],
  [/^Exceeded max scan files$/i, 'Torii.Unscannable.Max-Files'],
  [/^(Exceeded time limit|Time limit reached)$/i, 'Torii.Unscannable.Max-Scan-Time'],
  [/^Can't allocate memory$/i, 'Torii.Unscannable.Memory-Limit'],
  [/^(Bad format or broken data|Can't parse data|Can't unpack some data|Can't read file|Can't map file into memory)$/i, 'Torii.Unscannable.Broken-Data'],
  [/^Error during bytecode execution$/i, 'Torii.Unscannable.Bytecode-Error'],
];

/**
 * clamd's `<reason> ERROR` replies about clamd itself (its temporary directory, disk, locks, state) or about the
 * connection (it gave up waiting for our data): another try, later or on another host, can succeed.
 */
const SCANNER_ERRORS =
  /^(Can't (open file or directory|create new file|unlink file|get file status|set file offset|write to file|duplicate file descriptor|access file|create temporary file|create temporary directory)|Error writing to temporary file|Error processing command\.?|Mutex lock failed|Scanner still active|Bad state \(.*\)|read timeout|read poll)$/i;

/**
 * What one clamd reply to INSTREAM means:
 * - `scanned`: "stream: OK" (no signature) or "stream: <name> FOUND" (".UNOFFICIAL" stripped);
 * - `unscannable`: clamd cannot scan this content (CONTENT_ERRORS): a Torii.Unscannable.* signature, at once;
 * - `unavailable`: a problem of clamd or of the connection (SCANNER_ERRORS, "COMMAND READ TIMED OUT", an empty
 *   reply): the message is scanned again later;
 * - `unknown`: anything else, an ERROR reason without a rule included: not understood, so neither a verdict nor
 *   an outage (the caller fails the delivery with a non-transient error and logs the raw reply).
 */
export type ClamdReply =
  | { kind: 'scanned'; signatures: string[] }
  | { kind: 'unscannable'; signature: string; reason: string }
  | { kind: 'unavailable'; reason: string }
  | { kind: 'unknown'; reply: string };

export function classifyClamdReply(reply: string): ClamdReply {
  const text = reply.replace(/\0+$/, '').trim();
  if (text === '') return { kind: 'unavailable', reason: 'empty reply' };
  // One INSTREAM gets one reply; anything after a NUL is not clamd's.
  if (text.includes('\0')) return { kind: 'unknown', reply: text };
  // The scan's answers are "stream: …"; INSTREAM's own size check answers without the prefix.
  const body = /^stream: (.*)$/s.exec(text)?.[1] ?? text;
  const found = /^(\S+) FOUND$/.exec(body);
  if (found) return { kind: 'scanned', signatures: [found[1].replace(/\.UNOFFICIAL$/, '')] };
  if (body === 'OK') return { kind: 'scanned', signatures: [] };
  if (body === 'COMMAND READ TIMED OUT') return { kind: 'unavailable', reason: text };
  const error = /^(.+) ERROR$/.exec(body);
  if (error) {
    const reason = error[1].trim();
    for (const [pattern, signature] of CONTENT_ERRORS) if (pattern.test(reason)) return { kind: 'unscannable', signature, reason };
    if (SCANNER_ERRORS.test(reason)) return { kind: 'unavailable', reason: text };
  }
  return { kind: 'unknown', reply: text };
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
 * it is not delivered rather than delivered with the infected part left in. The same when the scan time
 * budget stopped the walk: the parts after the stop were never scanned, so no part of it is known clean.
 */
export function decideVerdict(parts: readonly PartScan[], whole: PartScan | undefined): ScanVerdict {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const cut = parts.some((scan) => scan.signatures.some((s) => WALK_STOPS.has(s)));
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
