import { crc32, deflateRawSync } from 'node:zlib';
import { ZipFile } from 'yazl';

export const EICAR = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*');

/** A zip of the given entries (deflated), built in memory with yazl; `zip64`: ZIP64 central directory records. */
export async function zip(entries: { name: string; data: Buffer }[], options: { zip64?: boolean } = {}): Promise<Buffer> {
  const file = new ZipFile();
  for (const e of entries) file.addBuffer(e.data, e.name, { mtime: new Date(0), forceZip64Format: options.zip64 ?? false });
  file.end();
  const chunks: Buffer[] = [];
  for await (const chunk of file.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `data` wrapped in `levels` zips, each inside the next. */
export async function nestedZip(name: string, data: Buffer, levels: number): Promise<Buffer> {
  let current = data;
  let currentName = name;
  for (let i = 1; i <= levels; i++) {
    current = await zip([{ name: currentName, data: current }]);
    currentName = `level${i}.zip`;
  }
  return current;
}

/** Many highly compressible entries: expands far beyond clamd's MaxScanSize. */
export async function zipBomb(entries: number, bytesEach: number): Promise<Buffer> {
  const zero = Buffer.alloc(bytesEach);
  return zip(Array.from({ length: entries }, (_, i) => ({ name: `zeros-${i}.bin`, data: zero })));
}

// ---- a password-protected zip (traditional PKWARE encryption; yazl cannot write one) ----

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** One stored entry encrypted with ZipCrypto under `password` (APPNOTE 6.1). */
export function encryptedZip(name: string, data: Buffer, password: string): Buffer {
  const keys = [0x12345678, 0x23456789, 0x34567890];
  const update = (byte: number) => {
    keys[0] = (TABLE[(keys[0] ^ byte) & 0xff] ^ (keys[0] >>> 8)) >>> 0;
    keys[1] = (Math.imul((keys[1] + (keys[0] & 0xff)) >>> 0, 134775813) + 1) >>> 0;
    keys[2] = (TABLE[(keys[2] ^ (keys[1] >>> 24)) & 0xff] ^ (keys[2] >>> 8)) >>> 0;
  };
  const streamByte = () => {
    const t = (keys[2] | 2) & 0xffff;
    return (Math.imul(t, t ^ 1) >>> 8) & 0xff;
  };
  for (const b of Buffer.from(password)) update(b);
  const crc = crc32(data) >>> 0;
  const plain = Buffer.concat([Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, crc >>> 24]), data]);
  const cipher = Buffer.alloc(plain.length);
  for (let i = 0; i < plain.length; i++) {
    const c = plain[i] ^ streamByte();
    update(plain[i]);
    cipher[i] = c;
  }
  const fileName = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(1, 6); // encrypted
  local.writeUInt16LE(0, 8); // stored
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(cipher.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(1, 8);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(cipher.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  const localPart = Buffer.concat([local, fileName, cipher]);
  const centralPart = Buffer.concat([central, fileName]);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(centralPart.length, 12);
  end.writeUInt32LE(localPart.length, 16);
  return Buffer.concat([localPart, centralPart, end]);
}

/**
 * One deflated entry whose local header gives its sizes only in the ZIP64 extra field (0xFFFFFFFF in the
 * header, no data descriptor), the central directory plain: what Python's zipfile writes with force_zip64
 * on a seekable file. (yazl writes ZIP64 in the central directory only.)
 */
export function zip64LocalHeaderZip(name: string, data: Buffer): Buffer {
  const deflated = deflateRawSync(data);
  const crc = crc32(data) >>> 0;
  const fileName = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(45, 4);
  local.writeUInt16LE(0, 6); // no data descriptor
  local.writeUInt16LE(8, 8); // deflate
  local.writeUInt16LE(0x21, 12);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(0xffffffff, 18);
  local.writeUInt32LE(0xffffffff, 22);
  local.writeUInt16LE(fileName.length, 26);
  local.writeUInt16LE(20, 28);
  const extra = Buffer.alloc(20);
  extra.writeUInt16LE(0x0001, 0);
  extra.writeUInt16LE(16, 2);
  extra.writeBigUInt64LE(BigInt(data.length), 4);
  extra.writeBigUInt64LE(BigInt(deflated.length), 12);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(45, 4);
  central.writeUInt16LE(45, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt16LE(0x21, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(deflated.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  const localPart = Buffer.concat([local, fileName, extra, deflated]);
  const centralPart = Buffer.concat([central, fileName]);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(centralPart.length, 12);
  end.writeUInt32LE(localPart.length, 16);
  return Buffer.concat([localPart, centralPart, end]);
}

/**
 * An ordinary zip (yazl, plain local and central headers) whose end of central directory is the ZIP64 one:
 * the ZIP64 record and locator, then the classic end record with 0xFFFF / 0xFFFFFFFF, as `zip -fz` writes.
 * unzip and Python open it; ClamAV 1.4.6 answers OK without opening it.
 */
export async function zip64EndRecordZip(entries: { name: string; data: Buffer }[]): Promise<Buffer> {
  const plain = await zip(entries);
  const endAt = plain.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = plain.readUInt16LE(endAt + 10);
  const cdSize = plain.readUInt32LE(endAt + 12);
  const cdOffset = plain.readUInt32LE(endAt + 16);
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4);
  record.writeUInt16LE(45, 12);
  record.writeUInt16LE(45, 14);
  record.writeBigUInt64LE(BigInt(count), 24);
  record.writeBigUInt64LE(BigInt(count), 32);
  record.writeBigUInt64LE(BigInt(cdSize), 40);
  record.writeBigUInt64LE(BigInt(cdOffset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(endAt), 8);
  locator.writeUInt32LE(1, 16);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0xffff, 8);
  end.writeUInt16LE(0xffff, 10);
  end.writeUInt32LE(0xffffffff, 12);
  end.writeUInt32LE(0xffffffff, 16);
  return Buffer.concat([plain.subarray(0, endAt), record, locator, end]);
}

/** A multipart/mixed message: a text body and the given attachments (base64). */
export function mimeMessage(input: { subject: string; body?: string | Buffer; attachments?: { filename: string; type?: string; data: Buffer }[]; from?: string; to?: string }): Buffer {
  const boundary = '=_torii_test_boundary';
  const lines = [
    `From: <${input.from ?? 'alice@sender.test'}>`,
    `To: <${input.to ?? 'bob@tenant.test'}>`,
    `Subject: ${input.subject}`,
    `Message-ID: <${input.subject.replace(/\W+/g, '-')}@sender.test>`,
    'Date: Sun, 1 Jun 2025 10:00:00 +0000',
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    'This is a multi-part message in MIME format.',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 7bit',
    '',
    (input.body ?? 'Hello, see the attachments.').toString(),
  ];
  for (const a of input.attachments ?? []) {
    lines.push(
      `--${boundary}`,
      `Content-Type: ${a.type ?? 'application/octet-stream'}; name="${a.filename}"`,
      `Content-Disposition: attachment; filename="${a.filename}"`,
      'Content-Transfer-Encoding: base64',
      '',
      ...(a.data.toString('base64').match(/.{1,76}/g) ?? ['']),
    );
  }
  lines.push(`--${boundary}--`, '');
  return Buffer.from(lines.join('\r\n'));
}
