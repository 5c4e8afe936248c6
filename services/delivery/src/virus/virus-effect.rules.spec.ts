import { virusEffect } from './virus-effect.rules';

describe('virusEffect', () => {
  const eicar = (part: string, filename = '') => ({ part, filename, signature: 'Eicar-Signature' });
  it.each([
    ['clean', { direction: 'inbound', status: 'clean', findings: [] }, { action: 'deliver', header: 'clean (ClamAV)', strip: [] }],
    ['inbound attachment', { direction: 'inbound', status: 'infected', findings: [eicar('2', 'a.zip')] }, { action: 'deliver', strip: [{ part: '2', filename: 'a.zip', signature: 'Eicar-Signature' }] }],
    ['inbound body', { direction: 'inbound', status: 'infected', findings: [eicar('')] }, { action: 'drop', reason: 'virus-infected-body' }],
    ['outbound', { direction: 'outbound', status: 'infected', findings: [eicar('2', 'a.zip')] }, { action: 'drop', reason: 'virus-infected' }],
    ['unscannable, deliver', { direction: 'inbound', status: 'unscannable', findings: [{ part: '2', signature: 'Heuristics.Encrypted.Zip' }] }, { action: 'deliver', header: 'unscannable: Heuristics.Encrypted.Zip (ClamAV)' }],
    ['unscannable, hold', { direction: 'inbound', status: 'unscannable', findings: [], unscannable: 'hold' }, { action: 'hold', reason: 'virus-unscannable' }],
    [
      'whole-message limit ignored for the body rule',
      { direction: 'inbound', status: 'infected', findings: [{ part: '', signature: 'Heuristics.Limits.Exceeded.MaxRecursion' }, eicar('3', 'deep.zip')] },
      { action: 'deliver', strip: [{ part: '3', filename: 'deep.zip', signature: 'Eicar-Signature' }] },
    ],
  ] as const)('%s', (_name, input, expected) => {
    expect(virusEffect({ engine: 'ClamAV', unscannable: 'deliver', ...input })).toMatchObject(expected);
  });
});
