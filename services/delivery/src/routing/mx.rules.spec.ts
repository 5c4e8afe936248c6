import { mxRoute } from './mx.rules';

describe('mxRoute', () => {
  it.each([
    ['null MX', [{ exchange: '', priority: 0 }], { kind: 'null-mx' }],
    ['null MX with a dot', [{ exchange: '.', priority: 0 }], { kind: 'null-mx' }],
    ['no MX → the domain itself', 'no-mx', { kind: 'hosts', hosts: ['x.test'] }],
    [
      'by preference',
      [
        { exchange: 'b.x.test', priority: 20 },
        { exchange: 'A.x.test.', priority: 10 },
      ],
      { kind: 'hosts', hosts: ['a.x.test', 'b.x.test'] },
    ],
  ] as const)('%s', (_name, records, expected) => {
    expect(mxRoute('x.test', records as never)).toEqual(expected);
  });
});
