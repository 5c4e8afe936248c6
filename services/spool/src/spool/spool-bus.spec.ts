import { recipientsTag } from './spool-bus.repository';

describe('recipientsTag (part of the retry/expire Nats-Msg-Id)', () => {
  it('is the same for the same recipients in any order, so a repeated command is stored once', () => {
    expect(recipientsTag(['b@x.test', 'a@x.test'])).toBe(recipientsTag(['a@x.test', 'b@x.test']));
  });

  it('differs for other recipients of the same message, so their command is not dropped as a duplicate', () => {
    expect(recipientsTag(['a@x.test'])).not.toBe(recipientsTag(['b@x.test']));
    expect(recipientsTag(['a@x.test'])).not.toBe(recipientsTag(['a@x.test', 'b@x.test']));
  });
});
