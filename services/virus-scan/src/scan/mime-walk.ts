import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { linearMailsplitHeaders } from '@torii/mime';
import { Splitter, type MimeNode, type SplitterChunk } from 'mailsplit';
import { HEADER_TOO_LARGE, TOO_MANY_PARTS, isBodyPart, unscannableContentType, type PartScan } from './verdict.rules';
import { ZIP64_UNSCANNABLE, ZipHeaderInspector } from './zip-headers';

/**
 * MIME nodes (multipart containers included) walked at most, and the largest header of one node. Past either
 * the walk stops and the message is unscannable (AV5): the domain's `unscannable` policy decides. Both stay at or
 * below mailsplit's defaults (1000 nodes, 1 MiB), which delivery's part stripper (services/delivery/src/virus)
 * uses: a message virus-scan could walk must be one delivery can rewrite. No real part header comes near
 * 256 KiB (a message's own header with thousands of Cc: about 150 KiB). mailsplit's header parse is replaced by
 * a linear one (@torii/mime): its own is quadratic in folded lines (85,000 empty ones, 255 KiB, held the event
 * loop 6–18 s per part; now about 0.5 s).
 * The edge sets no such limit (it does not parse MIME), so any number of parts reaches us within 100 MB.
 */
export const MAX_MIME_NODES = 1000;
export const MAX_MIME_HEAD_SIZE = 256 * 1024;

linearMailsplitHeaders();

/** mailsplit throws EMAXLEN for both of its limits; anything else (a broken source stream) is not ours. */
function walkLimit(error: unknown): string | undefined {
  if ((error as { code?: unknown } | null)?.code !== 'EMAXLEN') return undefined;
  const message = error instanceof Error ? error.message : '';
  if (/child nodes/i.test(message)) return TOO_MANY_PARTS;
  if (/header size/i.test(message)) return HEADER_TOO_LARGE;
  return undefined;
}

export interface PartInfo {
  part: string;
  filename: string;
  body: boolean;
  contentType: string;
}

/** Scans one decoded part; resolves to the signatures found. */
export type PartScanner = (info: PartInfo, decoded: Readable) => Promise<string[]>;

export interface WalkOptions {
  onSubject?: (subject: string) => void;
  /**
   * Asked before each part is scanned: a Torii.Unscannable.* signature stops the walk there (the scan time
   * budget): the parts scanned so far count, the rest of the message is not scanned, and the signature is the
   * message's finding, as for the walk's own limits.
   */
  stopBefore?: () => string | undefined;
}

/** Thrown inside the walk to end it with `signature` (WalkOptions.stopBefore). */
class WalkStop extends Error {
  constructor(readonly signature: string) {
    super(signature);
  }
}

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
 * it to `scan`, one part at a time, with back-pressure. Parts clamd cannot look into (encrypted, partial, a
 * zip with ZIP64 headers) are reported with a Torii.Unscannable.* signature. A message past the walk's limits
 * (MAX_MIME_NODES, MAX_MIME_HEAD_SIZE) ends with what was scanned so far plus one Torii.Unscannable.* finding
 * for the message: a verdict now, not a retry that would fail the same way for a day. `stopBefore` ends the
 * walk the same way.
 */
export async function scanMimeParts(source: Readable, scan: PartScanner, options: WalkOptions = {}): Promise<PartScan[]> {
  const { onSubject, stopBefore } = options;
  const splitter = new Splitter({ maxChildNodes: MAX_MIME_NODES, maxHeadSize: MAX_MIME_HEAD_SIZE });
  let sourceFailed = false;
  source.on('error', (error) => {
    sourceFailed = true;
    splitter.destroy(error);
  });
  source.pipe(splitter);
  const results: PartScan[] = [];
  let current:
    | { node: MimeNode; info: PartInfo; decoder: Readable & NodeJS.WritableStream; inspector: ZipHeaderInspector; result: Promise<string[]>; failed: Promise<never> }
    | undefined;

  const finish = async () => {
    if (!current) return;
    const { info, decoder, inspector, result } = current;
    current = undefined;
    decoder.end();
    const signatures = [...(await result), ...(inspector.unreadableZip64 ? [ZIP64_UNSCANNABLE] : [])];
    results.push({ part: info.part, filename: info.filename, body: info.body, signatures });
  };

  try {
    try {
      await walk();
    } catch (error) {
      const limit = error instanceof WalkStop ? error.signature : sourceFailed ? undefined : walkLimit(error);
      if (!limit) throw error;
      // The part being read when the limit hit is scanned as far as it came; the rest of the message is not.
      await finish();
      results.push({ part: '', filename: '', body: true, signatures: [limit] });
    }
    await finish();
  } finally {
    current?.decoder.destroy();
    current?.inspector.destroy();
    splitter.destroy();
    source.destroy();
  }
  return results;

  async function walk() {
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
        const stop = stopBefore?.();
        if (stop) throw new WalkStop(stop);
        const info = describe(node);
        const decoder = node.getDecoder() as Readable & NodeJS.WritableStream;
        const inspector = new ZipHeaderInspector();
        const result = scan(info, decoder.pipe(inspector));
        // A scan that fails while we wait for the decoder to drain must end the walk, not hang it.
        const failed = result.then(() => new Promise<never>(() => undefined));
        failed.catch(() => undefined);
        current = { node, info, decoder, inspector, result, failed };
      } else if (chunk.type === 'body' && current && chunk.node === current.node) {
        if (!current.decoder.write(chunk.value)) await Promise.race([once(current.decoder, 'drain'), current.failed]);
      }
    }
  }
}
