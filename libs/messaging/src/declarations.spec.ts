import { streamSpecOf } from './declarations';

describe('streamSpecOf', () => {
  it('turns a NATS-shaped definition (nanoseconds) into a StreamSpec (milliseconds)', () => {
    const subjects = ['mail.>'];
    const spec = streamSpecOf({
      name: 'MAIL',
      subjects,
      retention: 'limits',
      storage: 'file',
      max_age: 7 * 24 * 3600 * 1e9,
      duplicate_window: 120 * 1e9,
    });
    expect(spec).toEqual({ name: 'MAIL', subjects: ['mail.>'], retention: 'limits', storage: 'file', maxAgeMs: 7 * 24 * 3600 * 1000, duplicateWindowMs: 120_000 });
    expect(spec.subjects).not.toBe(subjects); // a copy: the contracts' definition stays untouched
  });
});
