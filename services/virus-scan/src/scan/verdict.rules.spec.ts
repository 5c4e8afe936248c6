import { decideVerdict, isBodyPart, parseClamdReply, unscannableContentType, type PartScan } from './verdict.rules';

describe('parseClamdReply', () => {
  it.each([
    ['stream: OK\0', { signatures: [] }],
    ['stream: Eicar-Signature.UNOFFICIAL FOUND\0', { signatures: ['Eicar-Signature'] }],
    ['stream: Heuristics.Encrypted.Zip FOUND', { signatures: ['Heuristics.Encrypted.Zip'] }],
    ['INSTREAM size limit exceeded. ERROR', { error: 'INSTREAM size limit exceeded. ERROR' }],
    ['', { error: 'empty reply' }],
  ])('%j', (reply, expected) => expect(parseClamdReply(reply)).toEqual(expected));
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
  it('no parts at all: the whole scan decides', () =>
    expect(decideVerdict([], whole(['Heuristics.Limits.Exceeded.MaxScanSize'])).status).toBe('unscannable'));
});
