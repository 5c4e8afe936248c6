import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { Splitter, type MimeNode, type SplitterChunk } from 'mailsplit';
import { isBodyPart, unscannableContentType, type PartScan } from './verdict.rules';

export interface PartInfo {
  part: string;
  filename: string;
  body: boolean;
  contentType: string;
}

/** Scans one decoded part; resolves to the signatures found. */
export type PartScanner = (info: PartInfo, decoded: Readable) => Promise<string[]>;

/** mailsplit's IMAP-style part number ("TEXT" for a single-part message); delivery strips by the same numbers. */
export function partPath(node: MimeNode): string {
  const nr = node.partNr || [];
  return nr.length > 0 ? nr.join('.') : 'TEXT';
}

function describe(node: MimeNode): PartInfo {
  const contentType = (node.contentType || 'text/plain').toLowerCase();
  const disposition = (node.headers.getFirst('Content-Disposition') || '').split(';')[0].trim();
  const filename = node.filename || '';
  return { part: partPath(node), filename, contentType, body: isBodyPart({ root: node.root, contentType, disposition, filename }) };
}

/**
 * Walks the MIME tree of a raw message as it streams, decodes every leaf (base64, quoted-printable) and hands
 * it to `scan`, one part at a time, with back-pressure. Parts clamd cannot look into (encrypted, partial)
 * are reported with a Torii.Unscannable.* signature and not scanned.
 */
export async function scanMimeParts(source: Readable, scan: PartScanner, onSubject?: (subject: string) => void): Promise<PartScan[]> {
  const splitter = new Splitter();
  source.on('error', (error) => splitter.destroy(error));
  source.pipe(splitter);
  const results: PartScan[] = [];
  let current: { node: MimeNode; info: PartInfo; decoder: Readable & NodeJS.WritableStream; result: Promise<string[]>; failed: Promise<never> } | undefined;

  const finish = async () => {
    if (!current) return;
    const { info, decoder, result } = current;
    current = undefined;
    decoder.end();
    results.push({ part: info.part, filename: info.filename, body: info.body, signatures: await result });
  };

  try {
    for await (const chunk of splitter as AsyncIterable<SplitterChunk>) {
    if (chunk.type === 'node') {
      await finish();
      const node = chunk;
      if (node.root) onSubject?.(node.headers.getFirst('Subject') || '');
      const contentType = (node.contentType || 'text/plain').toLowerCase();
      const smimeType = /smime-type\s*=\s*"?([\w-]+)/i.exec(node.headers.getFirst('Content-Type') || '')?.[1] ?? '';
      const unscannable = unscannableContentType(contentType, smimeType);
      if (unscannable) {
        const info = describe(node);
        results.push({ part: info.part, filename: info.filename, body: false, signatures: [unscannable] });
        continue;
      }
      if (node.multipart || node.rfc822) continue;
      const info = describe(node);
      const decoder = node.getDecoder() as Readable & NodeJS.WritableStream;
      const result = scan(info, decoder);
      // A scan that fails while we wait for the decoder to drain must end the walk, not hang it.
      const failed = result.then(() => new Promise<never>(() => undefined));
      failed.catch(() => undefined);
      current = { node, info, decoder, result, failed };
    } else if (chunk.type === 'body' && current && chunk.node === current.node) {
      if (!current.decoder.write(chunk.value)) await Promise.race([once(current.decoder, 'drain'), current.failed]);
    }
    }
    await finish();
  } finally {
    current?.decoder.destroy();
    splitter.destroy();
    source.destroy();
  }
  return results;
}
