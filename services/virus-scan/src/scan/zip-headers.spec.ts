import { Readable } from 'node:stream';
import { EICAR, encryptedZip, zip, zip64EndRecordZip, zip64LocalHeaderZip } from '../../test/support/zips';
import { ZipHeaderInspector } from './zip-headers';

/** Runs `data` through an inspector in chunks of `size` bytes; the bytes must come out unchanged. */
async function inspect(data: Buffer, size = data.length): Promise<boolean> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) chunks.push(data.subarray(i, i + size));
  const inspector = Readable.from(chunks).pipe(new ZipHeaderInspector());
  const out: Buffer[] = [];
  for await (const chunk of inspector) out.push(chunk as Buffer);
  expect(Buffer.concat(out).equals(data)).toBe(true);
  return inspector.unreadableZip64;
}

describe('ZipHeaderInspector (zips ClamAV 1.4 answers OK without opening)', () => {
  it('a ZIP64 central directory (yazl forceZip64Format) is flagged, whole and byte by byte', async () => {
    const z64 = await zip([{ name: 'eicar.com', data: EICAR }], { zip64: true });
    expect(await inspect(z64)).toBe(true);
    expect(await inspect(z64, 1)).toBe(true);
  });

  it('ZIP64 sizes in a local header without a data descriptor are flagged, also behind other bytes', async () => {
    const z64 = zip64LocalHeaderZip('eicar.com', EICAR);
    expect(await inspect(z64, 7)).toBe(true);
    expect(await inspect(Buffer.concat([Buffer.alloc(100_003, 0x41), z64]), 4096)).toBe(true);
  });

  it('with a data descriptor (flag bit 3) the local header is fine: clamd takes the central sizes', async () => {
    const z64 = zip64LocalHeaderZip('eicar.com', EICAR);
    z64.writeUInt16LE(0x0008, 6);
    expect(await inspect(z64)).toBe(false);
  });

  it('a classic end record holding the ZIP64 markers is flagged, whatever the entries, byte by byte too', async () => {
    const z64 = await zip64EndRecordZip([{ name: 'eicar.com', data: EICAR }]);
    expect(await inspect(z64)).toBe(true);
    expect(await inspect(z64, 1)).toBe(true);
  });

  it('a ZIP64 end record beside a classic one with real values is not (clamd reads that zip)', async () => {
    const z64 = await zip64EndRecordZip([{ name: 'eicar.com', data: EICAR }]);
    const plain = await zip([{ name: 'eicar.com', data: EICAR }]);
    const classic = plain.subarray(plain.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06])));
    const withRealEnd = Buffer.concat([z64.subarray(0, z64.length - 22), classic]);
    expect(await inspect(withRealEnd)).toBe(false);
  });

  it('ordinary zips, an encrypted zip and non-zip data are not flagged', async () => {
    expect(await inspect(await zip([{ name: 'a.txt', data: Buffer.from('ok') }, { name: 'eicar.com', data: EICAR }]), 3)).toBe(false);
    expect(await inspect(encryptedZip('doc.txt', Buffer.from('figures'), 'pw'), 1)).toBe(false);
    expect(await inspect(Buffer.alloc(200_000, 0xff), 999)).toBe(false);
    expect(await inspect(Buffer.alloc(0))).toBe(false);
  });
});
