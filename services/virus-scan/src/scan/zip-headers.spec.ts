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

  it('a ZIP64 end of central directory (record and locator) is flagged, whatever the entries, byte by byte too', async () => {
    const z64 = await zip64EndRecordZip([{ name: 'eicar.com', data: EICAR }]);
    expect(await inspect(z64)).toBe(true);
    expect(await inspect(z64, 1)).toBe(true);
    // Four such bytes inside other data, without the fields of a record or locator, are not.
    expect(await inspect(Buffer.concat([Buffer.alloc(1000, 0x41), Buffer.from([0x50, 0x4b, 0x06, 0x06]), Buffer.alloc(60, 0xff), Buffer.from([0x50, 0x4b, 0x06, 0x07]), Buffer.alloc(30, 0x07)]))).toBe(false);
  });

  it('ordinary zips, an encrypted zip and non-zip data are not flagged', async () => {
    expect(await inspect(await zip([{ name: 'a.txt', data: Buffer.from('ok') }, { name: 'eicar.com', data: EICAR }]), 3)).toBe(false);
    expect(await inspect(encryptedZip('doc.txt', Buffer.from('figures'), 'pw'), 1)).toBe(false);
    expect(await inspect(Buffer.alloc(200_000, 0xff), 999)).toBe(false);
    expect(await inspect(Buffer.alloc(0))).toBe(false);
  });
});
