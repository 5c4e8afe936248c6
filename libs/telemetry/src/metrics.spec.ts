import { counter, gauge, histogram, initMetrics, MetricConflictError, metricsText } from './metrics';

describe('metric helpers', () => {
  beforeAll(() => initMetrics('metrics-spec'));

  it('returns the same metric when a name is declared twice', () => {
    const a = counter('torii_spec_messages_total', 'Messages seen', ['direction']);
    const b = counter('torii_spec_messages_total', 'Messages seen', ['direction']);
    expect(b).toBe(a);
    expect(histogram('torii_spec_seconds', 'Time', [], [0.1, 1])).toBe(
      histogram('torii_spec_seconds', 'Time'),
    );
    expect(gauge('torii_spec_depth', 'Depth')).toBe(gauge('torii_spec_depth', 'Depth'));
  });

  it('refuses one name for two kinds', () => {
    counter('torii_spec_kind_total', 'A counter');
    expect(() => gauge('torii_spec_kind_total', 'Now a gauge')).toThrow(MetricConflictError);
  });

  it('exposes increments with the service label, next to the process metrics', async () => {
    counter('torii_spec_messages_total', 'Messages seen', ['direction']).inc({ direction: 'in' }, 3);
    const text = await metricsText();
    expect(text).toContain('# TYPE torii_spec_messages_total counter');
    expect(text).toContain('torii_spec_messages_total{direction="in",service="metrics-spec"} 3');
    expect(text).toMatch(/^process_cpu_user_seconds_total\{service="metrics-spec"\} /m);
  });
});
