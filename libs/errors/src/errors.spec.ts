import { PermanentError, TemporaryError, describeError, isPermanent } from './index';

describe('errors', () => {
  it('tells temporary from permanent, and unknown errors count as temporary', () => {
    expect(isPermanent(new PermanentError('bad address'))).toBe(true);
    expect(isPermanent(new TemporaryError('timeout'))).toBe(false);
    expect(isPermanent(new Error('boom'))).toBe(false);
    expect(isPermanent('text')).toBe(false);
  });

  it('keeps the class name and the cause chain', () => {
    const error = new TemporaryError('delivery failed', { cause: new Error('ECONNREFUSED') });
    expect(error.name).toBe('TemporaryError');
    expect(describeError(error)).toBe('TemporaryError: delivery failed ← Error: ECONNREFUSED');
  });
});
