import { Headers } from 'mailsplit';

type ParsedLine = { key: string; line: string };
interface HeadersInternals {
  headers: Buffer | false;
  lines: ParsedLine[];
  parsed: boolean;
  mbox?: string;
  http?: string;
  _normalizeHeader(key: string): string;
  _parseHeaders(): void;
}

const prototype = Headers.prototype as unknown as HeadersInternals;

/** mailsplit's own header parse, kept for the test that compares the two. */
export const mailsplitParseHeaders: () => void = prototype._parseHeaders;

/**
 * The same parse in one pass. mailsplit 5.4 splices each folded line out of an array, from the end: quadratic
 * in the lines of one header block. 85,000 empty folded lines (a 255 KiB part header) held the event loop for
 * 6–18 s, per part (QA: one 5 MB message froze virus-scan for minutes). Joined forward, every run of folded
 * lines goes to the line before it, exactly as there: the first line may be an mbox `From ` or `POST ` line.
 * (The maintained fork, @zone-eu/mailsplit, fixed both since; this is until the project moves to it.)
 */
function parseHeadersLinear(this: HeadersInternals): void {
  if (!this.headers) {
    this.lines = [];
    this.parsed = true;
    return;
  }
  // Trailing line breaks go by an index scan: /[\r\n]+$/ retries a run of CRs from every position in it (a
  // 250,000-CR header line took 27 s).
  const text = this.headers.toString('binary');
  let end = text.length;
  while (end > 0 && (text.charCodeAt(end - 1) === 10 || text.charCodeAt(end - 1) === 13)) end--;
  const raw = text.slice(0, end).split(/\r?\n/);
  const joined: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const chr = raw[i].charAt(0);
    if (i && (chr === ' ' || chr === '\t')) joined[joined.length - 1] += '\r\n' + raw[i];
    else joined.push(raw[i]);
  }
  const lines: ParsedLine[] = [];
  for (let i = 0; i < joined.length; i++) {
    const line = joined[i];
    if (!i && /^From /i.test(line)) this.mbox = line;
    else if (!i && /^POST /i.test(line)) this.http = line;
    else lines.push({ key: this._normalizeHeader(line.substr(0, line.indexOf(':'))), line });
  }
  this.lines = lines;
  this.parsed = true;
}

/** Makes every mailsplit Splitter and Headers in this process parse headers in linear time (idempotent). */
export function linearMailsplitHeaders(): void {
  prototype._parseHeaders = parseHeadersLinear;
}
