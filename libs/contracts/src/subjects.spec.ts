import { ContractValueError, DeliveryState, Direction, Subjects, VerdictKind } from './index';

describe('Subjects', () => {
  it.each([
    [Direction.INBOUND, 'mail.received.in'],
    [Direction.OUTBOUND, 'mail.received.out'],
  ])('mailReceived(%s) is %s', (direction, subject) => {
    expect(Subjects.mailReceived(direction)).toBe(subject);
  });

  it.each([
    [VerdictKind.SPAM, 'verdict.spam'],
    [VerdictKind.VIRUS, 'verdict.virus'],
    [VerdictKind.AUDIT, 'verdict.audit'],
  ])('verdict(%s) is %s', (kind, subject) => {
    expect(Subjects.verdict(kind)).toBe(subject);
  });

  it.each([
    [DeliveryState.DELIVERED, 'delivery.delivered'],
    [DeliveryState.DEFERRED, 'delivery.deferred'],
    [DeliveryState.BOUNCED, 'delivery.bounced'],
    [DeliveryState.DROPPED, 'delivery.dropped'],
    [DeliveryState.QUARANTINED, 'delivery.quarantined'],
    [DeliveryState.HELD, 'delivery.held'],
  ])('delivery(%s) is %s', (state, subject) => {
    expect(Subjects.delivery(state)).toBe(subject);
  });

  it('names a dead-letter subject per stream and consumer', () => {
    expect(Subjects.dlq('MAIL', 'spam-filter')).toBe('dlq.MAIL.spam-filter');
  });

  it.each([
    ['unspecified direction', () => Subjects.mailReceived(Direction.UNSPECIFIED)],
    ['unknown direction number', () => Subjects.mailReceived(9 as Direction)],
    ['unspecified verdict kind', () => Subjects.verdict(VerdictKind.UNSPECIFIED)],
    ['unspecified delivery state', () => Subjects.delivery(DeliveryState.UNSPECIFIED)],
    ['a consumer name with a wildcard', () => Subjects.dlq('MAIL', 'a.>')],
  ])('refuses %s', (_name, make) => {
    expect(make).toThrow(ContractValueError);
  });
});
