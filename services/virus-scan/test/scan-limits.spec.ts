import { Direction, VirusStatus } from '@torii/contracts';
import { metricsText } from '@torii/telemetry';
import { startScanHarness, type ScanHarness } from './support/harness';
import { EICAR, mimeMessage } from './support/zips';

const STATUS = { [VirusStatus.CLEAN]: 'clean', [VirusStatus.INFECTED]: 'infected', [VirusStatus.UNSCANNABLE]: 'unscannable', [VirusStatus.UNSPECIFIED]: '?' };

/**
 * `count` parts of 20 KB: each is a round trip to clamd, so the message is slow while clamd answers (900 of them
 * take 4–8 s here, against a budget of 1 s).
 */
const manyParts = (count: number) => Array.from({ length: count }, (_, i) => ({ filename: `p${i}.txt`, type: 'text/plain', data: Buffer.alloc(20_000, 0x41 + (i % 26)) }));

const scanWith = (harness: () => ScanHarness) => async (raw: Buffer) => {
  const h = harness();
  const event = await h.publish({ domain: 'tenant.test', raw, direction: Direction.INBOUND });
  const v = await h.verdictOf(event.messageId);
  return { event, status: STATUS[v.status], findings: v.findings.map((f) => ({ part: f.part, filename: f.filename, signature: f.signature })) };
};

/** No nak, no redelivery: the verdict came from the first delivery. */
const settledOn = async (h: ScanHarness, before: { redelivered: number }) => {
  await new Promise((r) => setTimeout(r, 1_000)); // a nak would be redelivered after SCAN_RETRY_BASE (200 ms)
  expect(await h.consumerCounts()).toEqual({ redelivered: before.redelivered, ackPending: 0 });
};

describe('virus-scan: what clamd cannot scan (real clamd with StreamMaxLength 1M)', () => {
  let h: ScanHarness;
  beforeAll(async () => {
    h = await startScanHarness({ CLAMD_STREAM_MAX_LENGTH: '1M' });
    await h.putDomain('tenant.test');
  }, 60_000);
  afterAll(async () => h?.close());
  const scan = scanWith(() => h);
  const settled = (before: { redelivered: number }) => settledOn(h, before);

  it('an attachment over StreamMaxLength is unscannable (the part named) on the first delivery, not retried', async () => {
    const before = await h.consumerCounts();
    const big = Buffer.alloc(2 * 1024 * 1024, 0x41);
    const out = await scan(mimeMessage({ subject: 'too-long', attachments: [{ filename: 'notes.txt', data: Buffer.from('ok') }, { filename: 'big.bin', data: big }] }));
    expect(out).toMatchObject({ status: 'unscannable', findings: [{ part: '3', filename: 'big.bin', signature: 'Torii.Unscannable.Stream-Too-Large' }] });
    await settled(before);
  });

  it('EICAR beside an attachment clamd refuses: infected (what was scanned still counts)', async () => {
    const out = await scan(mimeMessage({ subject: 'too-long-eicar', attachments: [{ filename: 'big.bin', data: Buffer.alloc(2 * 1024 * 1024, 0x41) }, { filename: 'eicar.com', data: EICAR }] }));
    expect(out.status).toBe('infected');
    expect(out.findings).toEqual([
      { part: '2', filename: 'big.bin', signature: 'Torii.Unscannable.Stream-Too-Large' },
      { part: '3', filename: 'eicar.com', signature: 'Eicar-Signature' },
    ]);
  });

  it('only the whole message is over StreamMaxLength, every part was scanned: clean, as for a limit of the whole', async () => {
    const parts = [0, 1, 2].map((i) => ({ filename: `p${i}.bin`, data: Buffer.alloc(600 * 1024, 0x41 + i) }));
    expect((await scan(mimeMessage({ subject: 'whole-too-long', attachments: parts }))).status).toBe('clean');
  });

});

describe('virus-scan: the scan time budget of a message (real clamd, SCAN_MESSAGE_BUDGET 1s)', () => {
  let h: ScanHarness;
  beforeAll(async () => {
    h = await startScanHarness({}, { SCAN_MESSAGE_BUDGET: '1s', CLAMD_TIMEOUT: '2s' });
    await h.putDomain('tenant.test');
  }, 60_000);
  afterAll(async () => h?.close());
  const scan = scanWith(() => h);
  const settled = (before: { redelivered: number }) => settledOn(h, before);

  it('clamd answers but the message takes longer than SCAN_MESSAGE_BUDGET: unscannable on the first delivery', async () => {
    const before = await h.consumerCounts();
    const out = await scan(mimeMessage({ subject: 'slow', attachments: manyParts(900) }));
    expect(out).toEqual(expect.objectContaining({ status: 'unscannable', findings: [{ part: '', filename: '', signature: 'Torii.Unscannable.Scan-Time-Budget' }] }));
    expect(await metricsText()).toMatch(/torii_virus_scan_budget_exceeded_total [1-9]/);
    await settled(before);
  });

  it('a message within the budget is scanned whole', async () => {
    expect((await scan(mimeMessage({ subject: 'few-parts', attachments: manyParts(20) }))).status).toBe('clean');
  });

  it('clamd stops answering mid-message: no verdict while it is silent (retried, as an outage), scanned once it answers', async () => {
    const deferredBefore = Number(/torii_virus_scan_deferred_total\{reason="clamd"\} (\d+)/.exec(await metricsText())?.[1] ?? 0);
    const event = await h.publish({ domain: 'tenant.test', raw: mimeMessage({ subject: 'silent', attachments: manyParts(300) }) });
    await new Promise((r) => setTimeout(r, 300)); // the walk is under way
    await h.clamd.pause();
    try {
      // Past the budget (1 s from the start) and the part's CLAMD_TIMEOUT (2 s): still no verdict made up.
      await new Promise((r) => setTimeout(r, 3_500));
      expect(h.verdicts.has(event.messageId)).toBe(false);
      const deferred = Number(/torii_virus_scan_deferred_total\{reason="clamd"\} (\d+)/.exec(await metricsText())?.[1] ?? 0);
      expect(deferred).toBeGreaterThan(deferredBefore);
    } finally {
      await h.clamd.resume();
    }
    // clamd answers again: a later delivery scans it. Whether 300 parts fit in the 1 s budget depends on the
    // machine (about 1.4 s here), so the verdict is the whole scan's or the budget's, never anything else.
    const v = await h.verdictOf(event.messageId, 20_000);
    if (STATUS[v.status] === 'clean') expect(v.findings).toEqual([]);
    else expect(v.findings.map((f) => [STATUS[v.status], f.signature])).toEqual([['unscannable', 'Torii.Unscannable.Scan-Time-Budget']]);
  });
});
