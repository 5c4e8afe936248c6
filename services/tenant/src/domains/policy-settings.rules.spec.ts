import { isPolicyService, policySettingsProblems } from './policy-settings.rules';

describe('policySettingsProblems', () => {
  it.each([
    ['spam', {}, []],
    ['spam', { on_failure: 'hold' }, []],
    ['spam', { on_failure: 'deliver' }, []],
    ['virus', { unscannable: 'hold', on_failure: 'deliver' }, []],
    ['virus', { unscannable: 'bogus' }, [{ key: 'unscannable', detail: 'must be one of deliver, hold, not "bogus"' }]],
    ['virus', { unscanable: 'hold' }, [{ key: 'unscanable', detail: 'not a virus setting (known: unscannable, on_failure)' }]],
    ['spam', { on_failure: 'HOLD' }, [{ key: 'on_failure', detail: 'must be one of deliver, hold, not "HOLD"' }]],
    ['archive', { retention: '10y' }, [{ key: 'retention', detail: 'not a archive setting (it has none)' }]],
    ['spam', { constructor: 'x' }, [{ key: 'constructor', detail: 'not a spam setting (known: on_failure)' }]],
  ] as const)('%s %j → %j', (service, settings, expected) => {
    expect(policySettingsProblems(service, settings as Record<string, string>)).toEqual(expected);
  });

  it('knows the three services, nothing else', () => {
    expect(['spam', 'virus', 'archive', 'secondary', 'toString'].map(isPolicyService)).toEqual([true, true, true, false, false]);
  });
});
