// mailsplit ships no types; referencing ours here makes them part of every program that compiles this lib.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./mailsplit.d.ts" />
import { Headers } from 'mailsplit';
import { Transform, type TransformCallback } from 'node:stream';
import { PermanentError } from '@torii/errors';

/** The header section of a message, as the rewriter hands it to an edit function. */
export class HeaderBlock {
  constructor(private readonly headers: Headers) {}

  /** Raw (unfolded-as-received) lines of a header, `Name: value` included. */
  get(name: string): string[] {
    return this.headers.get(name);
  }

  /** The header's value with folding removed, without the name. */
  values(name: string): string[] {
    return this.get(name).map((line) => line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]/g, ' ').trim());
  }

  has(name: string): boolean {
    return this.headers.hasHeader(name);
  }

  /** Removes every instance of `name` whose unfolded value matches `predicate` (all when omitted). */
  remove(name: string, predicate?: (value: string) => boolean): number {
    const list = this.headers.getList();
    let removed = 0;
    for (let i = list.length - 1; i >= 0; i--) {
      const entry = list[i];
      if (entry.key !== name.toLowerCase()) continue;
      const value = entry.line.slice(entry.line.indexOf(':') + 1).replace(/\r?\n[ \t]/g, ' ').trim();
      if (predicate && !predicate(value)) continue;
      list.splice(i, 1);
      removed++;
    }
    if (removed) this.headers.changed = true;
    return removed;
  }

  /** Adds a header at the top, folded at 76 columns. The value must already be encoded (ASCII). */
  prepend(name: string, value: string): void {
    this.headers.add(name, value, 0);
  }

  /** Adds an already formatted (possibly folded) header line at the top, e.g. a `Received:` trace. */
  prependLine(line: string): void {
    const name = line.slice(0, line.indexOf(':'));
    this.headers.addFormatted(name, line, 0);
  }
}

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
