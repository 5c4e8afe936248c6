import { domainOf, groupRecipients } from './recipient-grouping.rules';

describe('groupRecipients', () => {
  const plain = { headers: [] };
  const tagged = { headers: [], subjectTag: '[SPAM]' };
  it('puts one treatment and destination into one transaction', () => {
    const groups = groupRecipients(
      [
        { address: 'a@x.test', treatment: plain },
        { address: 'b@y.test', treatment: plain },
        { address: 'c@x.test', treatment: tagged },
        { address: 'd@x.test', treatment: plain },
      ],
      (r) => domainOf(r.address),
    );
    expect(groups.map((g) => [g.destination, g.recipients.map((r) => r.address)])).toEqual([
      ['x.test', ['a@x.test', 'd@x.test']],
      ['y.test', ['b@y.test']],
      ['x.test', ['c@x.test']],
    ]);
  });

  it('splits groups above the per-transaction limit', () => {
    const many = Array.from({ length: 5 }, (_, i) => ({ address: `${i}@x.test`, treatment: plain }));
    expect(groupRecipients(many, () => 'server', 2).map((g) => g.recipients.length)).toEqual([2, 2, 1]);
  });

  it('lowercases domains', () => expect(domainOf('User@Example.COM')).toBe('example.com'));
});
