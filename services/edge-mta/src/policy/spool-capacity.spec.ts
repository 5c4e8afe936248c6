import { SpoolStateSchema, create, timestampFromMs } from '@torii/contracts';
import { spoolRefuses } from './spool-capacity';

const now = 1_750_000_000_000;
const state = (over: Partial<{ full: boolean; downDomains: string[]; at: number }> = {}) =>
  create(SpoolStateSchema, { full: over.full ?? true, downDomains: over.downDomains ?? ['down.test'], updatedAt: timestampFromMs(over.at ?? now - 1_000) });

describe('spoolRefuses', () => {
  it.each([
    ['full, domain down', state(), 'down.test', true],
    ['full, domain name in upper case', state(), 'DOWN.test', true],
    ['full, another domain (its server is up)', state(), 'up.test', false],
    ['not full', state({ full: false }), 'down.test', false],
    ['stale state (spool not publishing)', state({ at: now - 10 * 60_000 }), 'down.test', false],
    ['no state at all', undefined, 'down.test', false],
  ])('%s', (_name, s, domain, expected) => {
    expect(spoolRefuses(s, domain, now, 5 * 60_000)).toBe(expected);
  });
});
