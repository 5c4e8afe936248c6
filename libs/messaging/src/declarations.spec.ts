import { DiscardPolicy, RetentionPolicy, StorageType, type StreamConfig } from '@nats-io/jetstream';
import { StreamReplicasError, streamConfigFor, streamReplicasFromEnv, streamSpecOf, streamUpdateFor, type StreamSpec } from './declarations';

describe('streamSpecOf', () => {
  it('turns a NATS-shaped definition (nanoseconds) into a StreamSpec (milliseconds), discard policy included', () => {
    const subjects = ['mail.>'];
    const spec = streamSpecOf({
      name: 'MAIL',
      subjects,
      retention: 'limits',
      storage: 'file',
      max_age: 7 * 24 * 3600 * 1e9,
      duplicate_window: 120 * 1e9,
      discard: 'new',
    });
    expect(spec).toEqual({
      name: 'MAIL',
      subjects: ['mail.>'],
      retention: 'limits',
      storage: 'file',
      discard: 'new',
      maxAgeMs: 7 * 24 * 3600 * 1000,
      duplicateWindowMs: 120_000,
    });
    expect(spec.subjects).not.toBe(subjects); // a copy: the contracts' definition stays untouched
    expect(streamConfigFor(spec).discard).toBe(DiscardPolicy.New);
  });
});

describe('streamConfigFor (a new stream)', () => {
  const spec: StreamSpec = { name: 'S', subjects: ['s.>'] };
  it('takes replicas from the spec, else from the deployment, else 1', () => {
    expect(streamConfigFor(spec).num_replicas).toBe(1);
    expect(streamConfigFor(spec, { replicas: 3 }).num_replicas).toBe(3);
    expect(streamConfigFor({ ...spec, replicas: 5 }, { replicas: 3 }).num_replicas).toBe(5);
  });
  it('leaves the discard policy to the server when the spec has none', () => {
    expect(streamConfigFor(spec)).not.toHaveProperty('discard');
  });
});

describe('streamUpdateFor (what a boot changes on an existing stream)', () => {
  const NS = 1_000_000;
  const spec: StreamSpec = { name: 'MAIL', subjects: ['mail.a', 'mail.b'], discard: 'new', maxAgeMs: 7 * 86_400_000, duplicateWindowMs: 120_000 };
  // What the server reports for a stream created from `spec` and then tuned by an operator.
  const operated = {
    name: 'MAIL',
    subjects: ['mail.a', 'mail.b'],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.New,
    duplicate_window: 120_000 * NS,
    num_replicas: 3,
    max_age: 14 * 86_400_000 * NS,
    max_bytes: 50 * 2 ** 30,
    max_msgs: 1_000_000,
    max_msg_size: 64 * 2 ** 20,
  } as StreamConfig;

  it('changes nothing on a stream whose owned fields match, whatever limits and replicas the operator chose', () => {
    expect(streamUpdateFor(spec, operated)).toBeUndefined();
    expect(streamUpdateFor(spec, operated, { replicas: 1 })).toBeUndefined();
  });

  it('never lowers replicas, raises them to the deployment setting, and keeps every limit', () => {
    const update = streamUpdateFor({ ...spec, subjects: ['mail.a', 'mail.b', 'mail.c'] }, operated, { replicas: 1 });
    expect(update).toMatchObject({ num_replicas: 3, subjects: ['mail.a', 'mail.b', 'mail.c'] });
    expect(update).toMatchObject({ max_age: operated.max_age, max_bytes: operated.max_bytes, max_msgs: operated.max_msgs, max_msg_size: operated.max_msg_size });
    const r1 = { ...operated, num_replicas: 1 };
    expect(streamUpdateFor(spec, r1, { replicas: 3 })?.num_replicas).toBe(3);
  });

  it('turns an old stream (created before discard was carried) to discard new, limits untouched', () => {
    const old = { ...operated, discard: DiscardPolicy.Old, max_bytes: -1, num_replicas: 1 };
    expect(streamUpdateFor(spec, old)).toEqual({ ...old, discard: DiscardPolicy.New });
  });

  it('only adds subjects, and follows a changed duplicate window', () => {
    expect(streamUpdateFor({ ...spec, subjects: ['mail.a'] }, operated)).toBeUndefined();
    expect(streamUpdateFor({ ...spec, duplicateWindowMs: 300_000 }, operated)?.duplicate_window).toBe(300_000 * NS);
  });
});

describe('streamReplicasFromEnv', () => {
  it('reads 1 to 5, and nothing when unset or blank', () => {
    expect(streamReplicasFromEnv({ NATS_STREAM_REPLICAS: '3' })).toBe(3);
    expect(streamReplicasFromEnv({ NATS_STREAM_REPLICAS: ' ' })).toBeUndefined();
    expect(streamReplicasFromEnv({})).toBeUndefined();
  });
  it.each(['0', '6', '2.5', 'three'])('refuses %j', (value) => {
    expect(() => streamReplicasFromEnv({ NATS_STREAM_REPLICAS: value })).toThrow(StreamReplicasError);
  });
});
