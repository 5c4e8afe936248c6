// mailsplit ships no types; referencing ours here makes them part of every program that compiles this lib.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./mailsplit.d.ts" />
import { Headers } from 'mailsplit';
import { Transform, type TransformCallback } from 'node:stream';
import { PermanentError } from '@torii/errors';
import { linearMailsplitHeaders } from './mailsplit-headers';

// Every Splitter and Headers here parses a header block in linear time (mailsplit's own is quadratic).
linearMailsplitHeaders();

/**
 * The header section of a message, as the rewriter hands it to an edit function. Header bytes are kept as
 * received: a raw 8-bit value (RFC 6532 UTF-8 under SMTPUTF8, or Shift_JIS, EUC-JP, Latin-1 that no header
 * declares) is never decoded and encoded again, so an edit cannot garble the text of a header it touches, nor
 * of any other.
 */
export class HeaderBlock {
  constructor(private readonly headers: Headers) {}

  /** Raw (folded as received) lines of a header, `Name: value` included, one character per byte (latin1). */
  get(name: string): string[] {
    return this.headers.get(name);
  }

  /**
   * The header's value with folding removed, without the name, as text: UTF-8 decoded, so a byte of another
   * charset reads as U+FFFD. For reading and matching; an edit that keeps the value uses `valueBytes`.
   */
  values(name: string): string[] {
    return this.valueBytes(name).map((value) => value.toString('utf8'));
  }

  /** The header's value bytes exactly as received, less the folding line breaks and the surrounding blanks. */
  valueBytes(name: string): Buffer[] {
    return this.get(name).map(valueOf);
  }

  has(name: string): boolean {
    return this.headers.hasHeader(name);
  }

  /** Removes every instance of `name` whose value (as `values` reads it) matches `predicate` (all when omitted). */
  remove(name: string, predicate?: (value: string) => boolean): number {
    const list = this.headers.getList();
    let removed = 0;
    for (let i = list.length - 1; i >= 0; i--) {
      const entry = list[i];
      if (entry.key !== name.toLowerCase()) continue;
      if (predicate && !predicate(valueOf(entry.line).toString('utf8'))) continue;
      list.splice(i, 1);
      removed++;
    }
    if (removed) this.headers.changed = true;
    return removed;
  }

  /**
   * Adds a header at the top, folded at 76 columns. A string is text and goes out as UTF-8 (ours is ASCII:
   * encode anything else first); a Buffer goes out byte for byte, e.g. a raw 8-bit value from `valueBytes`.
   */
  prepend(name: string, value: string | Buffer): void {
    const bytes = typeof value === 'string' ? Buffer.from(value) : value;
    const line = `${name}: ${bytes.toString('latin1').replace(/[\r\n]/g, '')}`;
    this.headers.addFormatted(name, fold(line, 76, name.length + 2), 0);
  }

  /**
   * Sets a header that occurs once (Subject, say): the first instance gets the value where it stands (folded
   * as `prepend` does; an edit must not reorder a header block: a tagged Subject moved above the sender's
   * `Received` lines would split the trace), later instances go (a second, untagged Subject would be the one
   * some mail programs show). Added at the top when there is none.
   */
  replace(name: string, value: string | Buffer): void {
    const list = this.headers.getList();
    const key = name.toLowerCase();
    const first = list.findIndex((e) => e.key === key);
    if (first < 0) return this.prepend(name, value);
    for (let i = list.length - 1; i > first; i--) if (list[i].key === key) list.splice(i, 1);
    const entry = list[first];
    const bytes = typeof value === 'string' ? Buffer.from(value) : value;
    const original = entry.line.slice(0, entry.line.indexOf(':'));
    entry.line = fold(`${original}: ${bytes.toString('latin1').replace(/[\r\n]/g, '')}`, 76, original.length + 2);
    this.headers.changed = true;
  }

  /** Adds an already formatted (possibly folded) header line at the top, e.g. a `Received:` trace. */
  prependLine(line: string): void {
    const name = line.slice(0, line.indexOf(':'));
    this.headers.addFormatted(name, Buffer.from(line).toString('latin1'), 0);
  }
}

/** The value of a raw header line as bytes: CRLFs of folding removed (RFC 5322 2.2.3), SP/HTAB trimmed. */
function valueOf(line: string): Buffer {
  const value = line.slice(line.indexOf(':') + 1).replace(/\r?\n(?=[ \t])/g, '');
  return Buffer.from(value.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, ''), 'latin1');
}

/**
 * Folds a header line (one character per byte) before a space or tab, so that no line is longer than `width`
 * where a blank allows it, never before `from` (the value's start). Only SP and HTAB are folding white space:
 * a byte 0x85 or 0xA0 inside a UTF-8 or Shift_JIS character is not (a `\s` would take it for one).
 */
function fold(line: string, width: number, from: number): string {
  let end = line.length; // no fold within trailing blanks: a line of blanks only is not allowed
  while (end > 0 && isBlank(line[end - 1])) end--;
  const folds: number[] = [];
  let start = 0; // where the current line starts
  let fits = -1; // the last place to fold that keeps the current line within width
  for (let i = Math.max(from, 1); i < end; i++) {
    if (!isBlank(line[i]) || isBlank(line[i - 1])) continue;
    if (i - start > width) {
      if (fits > start) folds.push((start = fits));
      // No blank within width: the line stays long up to the first one.
      if (i - start > width) {
        folds.push((start = i));
        continue;
      }
    }
    fits = i;
  }
  if (line.length - start > width && fits > start) folds.push(fits);
  return [0, ...folds].map((at, k) => line.slice(at, folds[k])).join('\r\n');
}

const isBlank = (char: string): boolean => char === ' ' || char === '\t';

export class HeaderTooLargeError extends PermanentError {}

/**
 * Streams a message through, letting `edit` change its top-level header section; the body passes through
 * byte for byte, never held in memory as a whole. Unchanged headers are emitted exactly as received.
 */
export class HeaderRewriter extends Transform {
  private buffer: Buffer = Buffer.alloc(0);
  private headerDone = false;

  constructor(
    private readonly edit: (headers: HeaderBlock) => void,
    private readonly maxHeaderBytes = 1024 * 1024,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.headerDone) return callback(null, chunk);
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const end = findHeaderEnd(this.buffer);
    if (end < 0) {
      if (this.buffer.length > this.maxHeaderBytes) {
        return callback(new HeaderTooLargeError(`header section exceeds ${this.maxHeaderBytes} bytes`));
      }
      return callback();
    }
    this.emitHeaders(this.buffer.subarray(0, end), callback, this.buffer.subarray(end));
  }

  override _flush(callback: TransformCallback): void {
    if (this.headerDone) return callback();
    // A message with no body: the whole thing is its header section.
    this.emitHeaders(this.buffer, callback, Buffer.alloc(0));
  }

  private emitHeaders(raw: Buffer, callback: TransformCallback, rest: Buffer): void {
    this.headerDone = true;
    this.buffer = Buffer.alloc(0);
    try {
      const headers = new Headers(raw);
      this.edit(new HeaderBlock(headers));
      this.push(headers.build());
      if (rest.length) this.push(rest);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }
}

/** Index just past the blank line that ends the header section, or -1 when it has not arrived yet. */
function findHeaderEnd(buffer: Buffer): number {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return crlf + 4;
  if (lf >= 0) return lf + 2;
  return -1;
}
