import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { ProblemException, httpExceptionToProblem } from './problem';
import { toJsonPointer } from './zod-validation.pipe';

describe('httpExceptionToProblem', () => {
  it.each<[string, HttpException, Record<string, unknown>]>([
    ['a Nest exception', new NotFoundException('No such tenant'), { type: 'about:blank', title: 'Not Found', status: 404, detail: 'No such tenant', code: 'not-found' }],
    ['a string body', new HttpException('slow down', 429), { title: 'Too Many Requests', status: 429, detail: 'slow down', code: 'too-many-requests' }],
    ['a list of messages', new BadRequestException(['a is bad', 'b is bad']), { status: 400, errors: [{ pointer: '', detail: 'a is bad' }, { pointer: '', detail: 'b is bad' }] }],
    ['extra fields', new HttpException({ status: 'unavailable', checks: { db: { ok: false } } }, 503), { status: 503, checks: { db: { ok: false } } }],
    [
      'a ProblemException',
      new ProblemException({ status: 409, code: 'address-limit-reached', detail: 'Ten at most.', extensions: { limit: 10 } }),
      { type: 'urn:torii:problem:address-limit-reached', title: 'Conflict', status: 409, code: 'address-limit-reached', detail: 'Ten at most.', limit: 10 },
    ],
    ['a ProblemException without a code (it gets the status\'s)', new ProblemException({ status: 404 }), { type: 'about:blank', title: 'Not Found', status: 404, code: 'not-found' }],
  ])('maps %s', (_name, exception, expected) => expect(httpExceptionToProblem(exception, '/x')).toMatchObject({ type: 'about:blank', instance: '/x', ...expected }));
});

describe('toJsonPointer', () => {
  it.each<[Parameters<typeof toJsonPointer>[0], string]>([
    [undefined, ''],
    [[], ''],
    [['quota', 'messagesPerDay'], '/quota/messagesPerDay'],
    [['recipients', 0, 'address'], '/recipients/0/address'],
    [['a/b', 'm~n'], '/a~1b/m~0n'],
    [[{ key: 'nested' }], '/nested'],
  ])('%j → %j', (path, expected) => expect(toJsonPointer(path)).toBe(expected));
});
