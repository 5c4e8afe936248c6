import { ALL_STREAMS, DeliveryState, Direction, Streams, Subjects, VerdictKind } from './index';

/** NATS subject matching: `*` matches one token, `>` the rest. */
function matches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length || (f[i] !== '*' && f[i] !== s[i])) return false;
  }
  return f.length === s.length;
}

const published = [
  Subjects.mailReceived(Direction.INBOUND),
  Subjects.mailReceived(Direction.OUTBOUND),
  Subjects.mailSubmit,
  Subjects.mailFeedback,
  Subjects.verdict(VerdictKind.SPAM),
  Subjects.verdict(VerdictKind.VIRUS),
  Subjects.verdict(VerdictKind.AUDIT),
  ...[1, 2, 3, 4, 5, 6].map((state) => Subjects.delivery(state as DeliveryState)),
  Subjects.deliveryRelease,
  Subjects.deliveryRetry,
  Subjects.directoryChanged,
  Subjects.tenantChanged,
  Subjects.dlq('MAIL', 'delivery'),
];

describe('Streams', () => {
  it.each(published)('%s is captured by exactly one stream', (subject) => {
    expect(ALL_STREAMS.filter((stream) => stream.subjects.some((f) => matches(f, subject)))).toHaveLength(1);
  });

  it('puts each subject family in the stream the architecture names', () => {
    const streamOf = (subject: string) =>
      ALL_STREAMS.find((s) => s.subjects.some((f) => matches(f, subject)))?.name;
    expect(streamOf('mail.received.in')).toBe('MAIL');
    expect(streamOf('mail.feedback')).toBe('MAIL');
    expect(streamOf('verdict.virus')).toBe('VERDICTS');
    expect(streamOf('delivery.deferred')).toBe('DELIVERY');
    expect(streamOf('directory.changed')).toBe('TENANT');
    expect(streamOf('dlq.MAIL.delivery')).toBe('DLQ');
  });

  it('never lets the server discard messages silently', () => {
    for (const stream of ALL_STREAMS) expect(stream.discard).toBe('new');
  });

  it('keeps mail at least as long as a message may stay deferred (7 days)', () => {
    expect(Streams.MAIL.max_age).toBe(7 * 24 * 3600 * 1e9);
  });
});
