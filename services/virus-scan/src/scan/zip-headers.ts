import { Transform, type TransformCallback } from 'node:stream';

/**
 * ClamAV 1.4 reads no ZIP64 extra field: a zip entry whose sizes or offset are the ZIP64 marker 0xFFFFFFFF is
 * never opened ("local header - stream out of file", "central header - local hdr out of file" in clamd's debug
 * log) and the archive is answered "OK", whatever is inside (EICAR in such a zip passes as clean). Affected:
 * - a central directory header with compressed size, uncompressed size or local header offset 0xFFFFFFFF
 *   (what yazl's forceZip64Format writes, and any zip of an entry over 4 GiB: a single-entry bomb);
 * - a local file header with either size 0xFFFFFFFF and no data descriptor (general purpose flag bit 3
 *   clear: Python's zipfile with force_zip64 on a seekable file). With bit 3 set clamd takes the sizes from
 *   the central directory and opens the entry.
 * - a classic end of central directory record (`PK\5\6`) holding the ZIP64 markers 0xFFFF / 0xFFFFFFFF, which
 *   send a reader to the ZIP64 end record: clamd reads only the classic one and opens nothing, whatever the
 *   entries look like (what `zip -fz` writes, and every writer past 65,535 entries; QA round 2 sent EICAR through
 *   this way as "clean"). A ZIP64 end record beside a classic one with real values is read, and is not flagged.
 * Header layout: PKWARE APPNOTE 6.3.10, 4.3.7 (local), 4.3.12 (central), 4.3.16 (end of central directory).
 */
export const ZIP64_UNSCANNABLE = 'Torii.Unscannable.Zip64-Entry';

const LOCAL = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const CENTRAL = Buffer.from([0x50, 0x4b, 0x01, 0x02]);
const END = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const LOCAL_FIXED = 30;
const CENTRAL_FIXED = 46;
const END_FIXED = 22;
const ZIP64_MARKER = 0xffffffff;
const DATA_DESCRIPTOR_FLAG = 0x0008;

/** Whether the local file header at `at` (complete in `buf`) has ZIP64 sizes clamd cannot use. */
function localHeaderUnreadable(buf: Buffer, at: number): boolean {
  const flags = buf.readUInt16LE(at + 6);
  const compressed = buf.readUInt32LE(at + 18);
  const uncompressed = buf.readUInt32LE(at + 22);
  return (compressed === ZIP64_MARKER || uncompressed === ZIP64_MARKER) && (flags & DATA_DESCRIPTOR_FLAG) === 0;
}

/** Whether the central directory header at `at` (complete in `buf`) has a ZIP64 size or offset. */
function centralHeaderUnreadable(buf: Buffer, at: number): boolean {
  return buf.readUInt32LE(at + 20) === ZIP64_MARKER || buf.readUInt32LE(at + 24) === ZIP64_MARKER || buf.readUInt32LE(at + 42) === ZIP64_MARKER;
}

/** Whether the classic end record at `at` sends readers to a ZIP64 one (a count, size or offset is the marker). */
function endRecordUnreadable(buf: Buffer, at: number): boolean {
  return (
    buf.readUInt16LE(at + 8) === 0xffff ||
    buf.readUInt16LE(at + 10) === 0xffff ||
    buf.readUInt32LE(at + 12) === ZIP64_MARKER ||
    buf.readUInt32LE(at + 16) === ZIP64_MARKER
  );
}

function scan(buf: Buffer, signature: Buffer, fixed: number, unreadable: (buf: Buffer, at: number) => boolean): boolean {
  for (let at = buf.indexOf(signature); at !== -1 && at + fixed <= buf.length; at = buf.indexOf(signature, at + 1)) {
    if (unreadable(buf, at)) return true;
  }
  return false;
}

/**
 * Passes a decoded MIME part through unchanged and notes whether it holds a zip header clamd cannot read
 * (above). It looks at the bytes as they are, so it sees a zip attachment (and a stored zip inside one), not a
 * zip that is itself compressed inside another archive. A header split across chunks is found: the last bytes
 * of a chunk, too few to hold a header, are kept and looked at again with the next one.
 */
export class ZipHeaderInspector extends Transform {
  unreadableZip64 = false;
  private tail: Buffer = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (!this.unreadableZip64) this.inspect(chunk);
    done(null, chunk);
  }

  private inspect(chunk: Buffer): void {
    const buf = this.tail.length > 0 ? Buffer.concat([this.tail, chunk]) : chunk;
    if (
      scan(buf, LOCAL, LOCAL_FIXED, localHeaderUnreadable) ||
      scan(buf, CENTRAL, CENTRAL_FIXED, centralHeaderUnreadable) ||
      scan(buf, END, END_FIXED, endRecordUnreadable)
    ) {
      this.unreadableZip64 = true;
      this.tail = Buffer.alloc(0);
      return;
    }
    // A header starting in the last CENTRAL_FIXED - 1 bytes (the longest) was not complete: look at it again next time.
    this.tail = Buffer.from(buf.subarray(Math.max(0, buf.length - (CENTRAL_FIXED - 1))));
  }
}
