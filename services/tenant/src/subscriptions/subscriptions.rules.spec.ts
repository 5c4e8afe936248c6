import { checkCapacity, checkEndDate, checkNewSubscription } from './subscriptions.rules';

describe('subscription rules', () => {
  it.each([
    ['spam', 1, 0, true],
    ['archive', 0, 2, true],
    ['virus', 1, 0, false],
    ['spam', 0, 1, false],
    ['secondary', 0, 0, true],
  ] as const)('%s with +%d quarantine, +%d archive blocks → %s', (service, q, a, ok) => {
    expect(checkCapacity(service, q, a).ok).toBe(ok);
  });

  const existing = [
    { service: 'spam' as const, startsOn: '2025-01-01', endsOn: null },
    { service: 'virus' as const, startsOn: '2025-01-01', endsOn: '2025-03-31' },
  ];
  it.each([
    ['spam', '2026-01-01', 'already-subscribed'],
    ['virus', '2025-03-31', 'already-subscribed'],
    ['virus', '2025-04-01', undefined],
    ['archive', '2025-01-01', undefined],
  ] as const)('new %s from %s → %s', (service, startsOn, code) => {
    const result = checkNewSubscription(existing, { service, startsOn, endsOn: null });
    expect(result.ok ? undefined : result.code).toBe(code);
  });

  it.each([
    ['2025-01-01', '2025-01-01', true],
    ['2025-01-02', '2025-01-01', false],
    ['2025-01-01', null, true],
  ])('start %s, end %s → %s', (startsOn, endsOn, ok) => {
    expect(checkEndDate(startsOn, endsOn).ok).toBe(ok);
  });
});
