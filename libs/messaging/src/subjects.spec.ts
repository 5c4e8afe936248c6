import { deadLetterSubject, findByPattern, subjectMatches } from './subjects';

describe('subjectMatches', () => {
  it.each([
    ['mail.received.in', 'mail.received.in', true],
    ['mail.received.in', 'mail.received.out', false],
    ['mail.received.*', 'mail.received.in', true],
    ['mail.*.in', 'mail.received.in', true],
    ['mail.*', 'mail.received.in', false],
    ['verdict.>', 'verdict.spam', true],
    ['verdict.>', 'verdict.spam.extra', true],
    ['verdict.>', 'verdict', false],
    ['>', 'anything.at.all', true],
    ['mail.received.in', 'mail.received', false],
  ])('%s vs %s → %s', (pattern, subject, expected) => {
    expect(subjectMatches(pattern, subject)).toBe(expected);
  });
});

describe('findByPattern', () => {
  it('prefers the exact subject over a wildcard registered first', () => {
    const entries: [string, string][] = [
      ['mail.received.*', 'wildcard'],
      ['mail.received.in', 'exact'],
    ];
    expect(findByPattern(entries, 'mail.received.in')).toBe('exact');
    expect(findByPattern(entries, 'mail.received.out')).toBe('wildcard');
    expect(findByPattern(entries, 'verdict.spam')).toBeUndefined();
  });
});

it('names dead-letter subjects per stream and consumer', () => {
  expect(deadLetterSubject('MAIL', 'spam-filter')).toBe('dlq.MAIL.spam-filter');
});
