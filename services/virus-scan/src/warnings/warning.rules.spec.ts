import { outcomeOf, warningGroups, warningRecipients, warningText } from './warning.rules';

describe('warning rules', () => {
  it.each([
    ['inbound', [{ part: '2', filename: 'a.zip', signature: 'Eicar-Signature' }], 'attachments-removed'],
    ['inbound', [{ part: '', filename: '', signature: 'Eicar-Signature' }], 'not-delivered'],
    ['inbound', [{ part: '', filename: '', signature: 'Heuristics.Limits.Exceeded.MaxRecursion' }, { part: '2', filename: 'x', signature: 'Eicar-Signature' }], 'attachments-removed'],
    ['outbound', [{ part: '2', filename: 'a.zip', signature: 'Eicar-Signature' }], 'not-sent'],
  ] as const)('%s %j → %s', (direction, findings, outcome) => {
    expect(outcomeOf(direction, findings)).toBe(outcome);
  });

  it('warns admins and recipients inbound, never the sender', () => {
    expect(warningRecipients({ direction: 'inbound', sender: 'evil@x.test', recipients: ['bob@t.test', 'Admin@t.test'], admins: ['admin@t.test'] })).toEqual([
      'admin@t.test',
      'bob@t.test',
    ]);
  });

  it('warns the sender and admins outbound', () => {
    expect(warningRecipients({ direction: 'outbound', sender: 'me@t.test', recipients: ['far@x.test'], admins: ['admin@t.test'] })).toEqual(['me@t.test', 'admin@t.test']);
  });

  it('names the part, file and signature', () => {
    const w = warningText({
      brand: 'Torii',
      direction: 'inbound',
      messageId: 'M1',
      sender: 's@x.test',
      recipients: ['r@t.test'],
      subject: 'hi',
      findings: [{ part: '2', filename: 'invoice.zip', signature: 'Eicar-Signature' }],
      outcome: 'attachments-removed',
    });
    expect(w.text).toContain('part 2 "invoice.zip": Eicar-Signature');
    expect(w.subject).toMatch(/Virus found/);
  });

  it('sends each of the tenant\'s domains its own inbound copy, and only strangers out', () => {
    expect(warningGroups(['bob@t.test', 'admin@other.test', 'Carol@T.test', 'boss@gmail.test'], 'T.test', new Set(['other.test']))).toEqual([
      { suffix: 'in', direction: 'inbound', domain: 't.test', recipients: ['bob@t.test', 'Carol@T.test'] },
      { suffix: 'in-other-test', direction: 'inbound', domain: 'other.test', recipients: ['admin@other.test'] },
      { suffix: 'out', direction: 'outbound', domain: 't.test', recipients: ['boss@gmail.test'] },
    ]);
    expect(warningGroups(['x@gmail.test'], 't.test', new Set())).toEqual([{ suffix: 'out', direction: 'outbound', domain: 't.test', recipients: ['x@gmail.test'] }]);
  });
});
