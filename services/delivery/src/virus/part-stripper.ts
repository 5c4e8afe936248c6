import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { linearMailsplitHeaders } from '@torii/mime';
import { Joiner, Splitter, type StripChunk, type StripNode } from 'mailsplit';
import type { StripPart } from './virus-effect.rules';

// mailsplit's header parse is quadratic in folded lines; @torii/mime's is linear (same result).
linearMailsplitHeaders();

/** mailsplit's IMAP-style part number, the numbering virus-scan's findings use ("TEXT" for a single part). */
function partPath(node: StripNode): string {
  const nr = node.partNr || [];
  return nr.length > 0 ? nr.join('.') : 'TEXT';
}

export function noticeText(part: StripPart, brand: string): string {
  const name = part.filename || `part ${part.part}`;
  return `${brand} removed the attachment "${name}": a virus was found in it (${part.signature}).\r\nThe rest of the message is unchanged.\r\n`;
}

/**
 * Replaces the infected parts by a short text/plain notice (AV2), through mailsplit's Splitter and Joiner:
 * every other part, header and boundary passes byte for byte. A part inside an archive is the archive
 * attachment itself, so the archive goes as a whole.
 */
class PartReplacer extends Transform {
  private skipping: StripNode | undefined;

  constructor(
    private readonly parts: Map<string, StripPart>,
    private readonly brand: string,
  ) {
    super({ objectMode: true });
  }

  override _transform(chunk: StripChunk, _encoding: BufferEncoding, done: TransformCallback): void {
    if (chunk.type === 'node') {
      this.skipping = undefined;
      const hit = this.parts.get(partPath(chunk));
      if (hit && !chunk.root) {
        for (const name of ['Content-Type', 'Content-Disposition', 'Content-Transfer-Encoding', 'Content-ID', 'Content-Description', 'Content-Location']) chunk.headers.remove(name);
        chunk.headers.add('Content-Type', 'text/plain; charset=utf-8');
        chunk.headers.add('Content-Disposition', 'inline');
        chunk.headers.add('Content-Transfer-Encoding', 'base64');
        this.push(chunk);
        const encoded = Buffer.from(noticeText(hit, this.brand)).toString('base64').match(/.{1,76}/g) ?? [];
        this.push({ type: 'body', node: chunk, value: Buffer.from(`${encoded.join('\r\n')}\r\n`) });
        this.skipping = chunk;
        return done();
      }
    } else if (chunk.type === 'body' && this.skipping && chunk.node === this.skipping) {
      return done();
    }
    this.push(chunk);
    done();
  }
}

export function stripInfectedParts(source: Readable, parts: readonly StripPart[], brand: string): Readable {
  const splitter = new Splitter();
  const replacer = new PartReplacer(new Map(parts.map((p) => [p.part, p])), brand);
  const joiner = new Joiner();
  const fail = (error: Error) => joiner.destroy(error);
  source.on('error', fail);
  splitter.on('error', fail);
  replacer.on('error', fail);
  return source.pipe(splitter).pipe(replacer).pipe(joiner);
}
