import { classifyReply, connectionFailure, formatReply, parseReply, statusCode } from './smtp-reply.rules';

describe('SMTP replies', () => {
  it.each([
    [250, '250 2.0.0 Ok: queued as 1', 'success', '2.0.0', 'Ok: queued as 1'],
    [550, '550 5.1.1 User unknown', 'permanent', '5.1.1', 'User unknown'],
    [451, '451 4.3.0 Try later', 'temporary', '4.3.0', 'Try later'],
    [421, 'Service not available', 'temporary', '', 'Service not available'],
    [554, '554 Transaction failed', 'permanent', '', 'Transaction failed'],
    [550, '550 4.7.1 Greylisted', 'permanent', '', '4.7.1 Greylisted'], // an enhanced code of another class is not one
    [452, '452-4.5.3 Too many\n452 4.5.3 recipients', 'temporary', '4.5.3', 'Too many\n4.5.3 recipients'],
  ] as const)('%i %s → %s', (code, response, cls, enhanced, text) => {
    const reply = parseReply(code, response);
    expect(classifyReply(reply)).toBe(cls);
    expect(reply.enhanced).toBe(enhanced);
    expect(reply.text).toBe(text);
  });

  it('treats a connection failure as temporary', () => {
    const reply = connectionFailure('connect ECONNREFUSED 127.0.0.1:25');
    expect(classifyReply(reply)).toBe('temporary');
    expect(statusCode(reply)).toBe('4.4.1');
    expect(formatReply(reply)).toBe('connect ECONNREFUSED 127.0.0.1:25');
  });

  it('fills in a status code when the server gave none', () => {
    expect(statusCode(parseReply(554, 'Transaction failed'))).toBe('5.0.0');
    expect(formatReply(parseReply(550, '550 5.1.1 User unknown'))).toBe('550 5.1.1 User unknown');
  });
});
