import { classifyClamdReply, decideVerdict, isBodyPart, isUnscannableSignature, unscannableContentType, type PartScan } from './verdict.rules';

describe('classifyClamdReply', () => {
  it.each([
    // A verdict.
    ['stream: OK\0', { kind: 'scanned', signatures: [] }],
    ['stream: Eicar-Signature.UNOFFICIAL FOUND\0', { kind: 'scanned', signatures: ['Eicar-Signature'] }],
    ['stream: Heuristics.Encrypted.Zip FOUND', { kind: 'scanned', signatures: ['Heuristics.Encrypted.Zip'] }],
    ['stream: Heuristics.Limits.Exceeded.MaxFiles FOUND\0', { kind: 'scanned', signatures: ['Heuristics.Limits.Exceeded.MaxFiles'] }],
    // clamd cannot scan this content: unscannable at once, whatever the retry.
    ['INSTREAM size limit exceeded. ERROR\0', { kind: 'unscannable', signature: 'Torii.Unscannable.Stream-Too-Large', reason: 'INSTREAM size limit exceeded.' }],
    ["stream: Can't allocate memory ERROR\0", { kind: 'unscannable', signature: 'Torii.Unscannable.Memory-Limit', reason: "Can't allocate memory" }],
    ['stream: Exceeded max scan size ERROR', { kind: 'unscannable', signature: 'Torii.Unscannable.Max-Scan-Size', reason: 'Exceeded max scan size' }],
    ['stream: Exceeded max recursion depth ERROR', { kind: 'unscannable', signature: 'Torii.Unscannable.Max-Recursion', reason: 'Exceeded max recursion depth' }],
    ['stream: Exceeded max scan files ERROR', { kind: 'unscannable', signature: 'Torii.Unscannable.Max-Files', reason: 'Exceeded max scan files' }],
    ['stream: Exceeded time limit ERROR', { kind: 'unscannable', signature: 'Torii.Unscannable.Max-Scan-Time', reason: 'Exceeded time limit' }],
    ['stream: Bad format or broken data ERROR', { kind: 'unscannable', signature: 'Torii.Unscannable.Broken-Data', reason: 'Bad format or broken data' }],
    ["stream: Can't unpack some data ERROR", { kind: 'unscannable', signature: 'Torii.Unscannable.Broken-Data', reason: "Can't unpack some data" }],
    ['stream: Error during bytecode execution ERROR', { kind: 'unscannable', signature: 'Torii.Unscannable.Bytecode-Error', reason: 'Error during bytecode execution' }],
    // clamd's own trouble, or it gave up on us: retried.
    ["stream: Can't create temporary file ERROR\0", { kind: 'unavailable', reason: "stream: Can't create temporary file ERROR" }],
    ["stream: Can't write to file ERROR", { kind: 'unavailable', reason: "stream: Can't write to file ERROR" }],
    ['Error writing to temporary file ERROR\0', { kind: 'unavailable', reason: 'Error writing to temporary file ERROR' }],
    ['Error processing command. ERROR\0', { kind: 'unavailable', reason: 'Error processing command. ERROR' }],
    ['COMMAND READ TIMED OUT\0', { kind: 'unavailable', reason: 'COMMAND READ TIMED OUT' }],
    ['\0', { kind: 'unavailable', reason: 'empty reply' }],
    ['', { kind: 'unavailable', reason: 'empty reply' }],
    // Not understood: neither a verdict nor an outage.
    ['UNKNOWN COMMAND\0', { kind: 'unknown', reply: 'UNKNOWN COMMAND' }],
    ['stream: Unspecified error ERROR', { kind: 'unknown', reply: 'stream: Unspecified error ERROR' }],
    ['stream: OK extra', { kind: 'unknown', reply: 'stream: OK extra' }],
    ['stream: OKAY', { kind: 'unknown', reply: 'stream: OKAY' }],
    ['stream: Two Words FOUND', { kind: 'unknown', reply: 'stream: Two Words FOUND' }],
    ['ClamAV 1.4.6/27000/Mon Dec  7 09:00:00 2026', { kind: 'unknown', reply: 'ClamAV 1.4.6/27000/Mon Dec  7 09:00:00 2026' }],
    ['stream: OK\0stream: OK', { kind: 'unknown', reply: 'stream: OK\0stream: OK' }],
    ['PONG', { kind: 'unknown', reply: 'PONG' }],
  ])('%j', (reply, expected) => expect(classifyClamdReply(reply)).toEqual(expected));

  it('every unscannable answer is an unscannable signature (the verdict is unscannable, not infected)', () => {
    for (const reply of ['INSTREAM size limit exceeded. ERROR', "stream: Can't allocate memory ERROR", 'stream: Exceeded time limit ERROR']) {
      const answer = classifyClamdReply(reply);
      expect(answer.kind === 'unscannable' && isUnscannableSignature(answer.signature)).toBe(true);
    }
  });
});

describe('unscannableContentType', () => {
  it.each([
    ['multipart/encrypted', '', 'Torii.Unscannable.PGP-Encrypted'],
    ['application/pkcs7-mime', 'enveloped-data', 'Torii.Unscannable.SMIME-Encrypted'],
    ['application/x-pkcs7-mime', '', 'Torii.Unscannable.SMIME-Encrypted'],
    ['application/pkcs7-mime', 'signed-data', undefined],
    ['message/partial', '', 'Torii.Unscannable.Partial-Message'],
    ['application/zip', '', undefined],
  ])('%s %s', (type, smime, expected) => expect(unscannableContentType(type, smime)).toBe(expected));
});

describe('isBodyPart', () => {
  it.each([
    [{ root: true, contentType: 'application/zip', disposition: '', filename: '' }, true],
    [{ root: false, contentType: 'text/plain', disposition: '', filename: '' }, true],
    [{ root: false, contentType: 'text/html', disposition: 'inline', filename: '' }, true],
    [{ root: false, contentType: 'text/plain', disposition: 'attachment', filename: '' }, false],
    [{ root: false, contentType: 'text/plain', disposition: '', filename: 'notes.txt' }, false],
    [{ root: false, contentType: 'application/pdf', disposition: '', filename: '' }, false],
  ])('%j → %s', (input, expected) => expect(isBodyPart(input)).toBe(expected));
});

describe('decideVerdict', () => {
  const part = (p: string, signatures: string[], body = false, filename = `f${p}`): PartScan => ({ part: p, filename, body, signatures });
  const whole = (signatures: string[]): PartScan => ({ part: '*', filename: '', body: false, signatures });

  it('clean', () => expect(decideVerdict([part('1', [], true), part('2', [])], whole([]))).toEqual({ status: 'clean', findings: [] }));
  it('attachment infected: names the part and file', () =>
    expect(decideVerdict([part('1', [], true), part('2', ['Eicar-Signature'])], whole(['Eicar-Signature']))).toEqual({
      status: 'infected',
      findings: [{ part: '2', filename: 'f2', signature: 'Eicar-Signature' }],
    }));
  it('body infected: part is empty', () =>
    expect(decideVerdict([part('TEXT', ['Eicar-Signature'], true)], whole([])).findings).toEqual([{ part: '', filename: '', signature: 'Eicar-Signature' }]));
  it('found only by the whole-message scan: the body', () =>
    expect(decideVerdict([part('1', [], true)], whole(['Win.Test'])).findings).toEqual([{ part: '', filename: '', signature: 'Win.Test' }]));
  it('encrypted zip: unscannable', () => expect(decideVerdict([part('2', ['Heuristics.Encrypted.Zip'])], whole([])).status).toBe('unscannable'));
  it('infected wins over unscannable', () =>
    expect(decideVerdict([part('2', ['Heuristics.Encrypted.Zip']), part('3', ['Eicar-Signature'])], whole([])).status).toBe('infected'));
  it('a limit hit by the whole message only is ignored when the parts scanned', () =>
    expect(decideVerdict([part('2', [])], whole(['Heuristics.Limits.Exceeded.MaxRecursion'])).status).toBe('clean'));
  it('walk stopped at its limit: unscannable, and an infection found before the stop is the message\'s', () => {
    expect(decideVerdict([part('1', [], true), part('', ['Torii.Unscannable.Too-Many-Parts'], true)], whole([])).status).toBe('unscannable');
    expect(decideVerdict([part('2', ['Eicar-Signature']), part('', ['Torii.Unscannable.Header-Too-Large'], true)], whole([]))).toEqual({
      status: 'infected',
      findings: [
        { part: '', filename: 'f2', signature: 'Eicar-Signature' },
        { part: '', filename: '', signature: 'Torii.Unscannable.Header-Too-Large' },
      ],
    });
  });
  it('scan time budget exceeded: unscannable, and an infection found before the stop is the message\'s', () => {
    expect(decideVerdict([part('1', [], true), part('2', []), part('', ['Torii.Unscannable.Scan-Time-Budget'], true)], whole([]))).toEqual({
      status: 'unscannable',
      findings: [{ part: '', filename: '', signature: 'Torii.Unscannable.Scan-Time-Budget' }],
    });
    expect(decideVerdict([part('2', ['Eicar-Signature']), part('', ['Torii.Unscannable.Scan-Time-Budget'], true)], whole([])).findings).toContainEqual({
      part: '',
      filename: 'f2',
      signature: 'Eicar-Signature',
    });
  });
  it('a part clamd refused as too long: unscannable, named', () =>
    expect(decideVerdict([part('1', [], true), part('2', ['Torii.Unscannable.Stream-Too-Large'])], whole([]))).toEqual({
      status: 'unscannable',
      findings: [{ part: '2', filename: 'f2', signature: 'Torii.Unscannable.Stream-Too-Large' }],
    }));
  it('no parts at all: the whole scan decides', () =>
    expect(decideVerdict([], whole(['Heuristics.Limits.Exceeded.MaxScanSize'])).status).toBe('unscannable'));
});
