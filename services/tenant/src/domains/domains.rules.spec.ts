import { checkDomainName } from './domains.rules';
import { archiveCapacityBytes, planForAddresses, quarantineCapacityBytes } from './plans.rules';

describe('checkDomainName (P1)', () => {
  const operator = ['torii.example.net', 'isp.example'];
  it.each([
    ['example.com', { ok: true, name: 'example.com' }],
    ['  Example.COM. ', { ok: true, name: 'example.com' }],
    ['mail.example.com', { ok: true, name: 'mail.example.com' }],
    ['a-b.c0.example', { ok: true, name: 'a-b.c0.example' }],
    ['bücher.example', { ok: false, code: 'idn-not-allowed' }],
    ['例え.jp', { ok: false, code: 'idn-not-allowed' }],
    ['xn--bcher-kva.example', { ok: false, code: 'idn-not-allowed' }],
    ['shop.xn--p1ai', { ok: false, code: 'idn-not-allowed' }],
    ['localhost', { ok: false, code: 'invalid-domain' }],
    ['', { ok: false, code: 'invalid-domain' }],
    ['-bad.example', { ok: false, code: 'invalid-domain' }],
    ['bad-.example', { ok: false, code: 'invalid-domain' }],
    ['a..example', { ok: false, code: 'invalid-domain' }],
    ['under_score.example', { ok: false, code: 'invalid-domain' }],
    ['192.168.0.1', { ok: false, code: 'invalid-domain' }],
    [`${'a'.repeat(64)}.example`, { ok: false, code: 'invalid-domain' }],
    [`${'a.'.repeat(127)}com`, { ok: false, code: 'invalid-domain' }],
    ['torii.example.net', { ok: false, code: 'operator-domain' }],
    ['TORII.example.net.', { ok: false, code: 'operator-domain' }],
    ['customer.torii.example.net', { ok: false, code: 'operator-domain' }],
    ['isp.example', { ok: false, code: 'operator-domain' }],
    ['notisp.example', { ok: true, name: 'notisp.example' }],
  ])('%j → %j', (input, expected) => {
    expect(checkDomainName(input, operator)).toMatchObject(expected);
  });
});

describe('planForAddresses (P2, B1)', () => {
  it.each([
    [1, 10],
    [10, 10],
    [11, 20],
    [140, 140],
    [141, 160],
    [161, 180],
    [201, 220],
    [221, 250],
    [251, 300],
    [451, 500],
    [501, 600],
    [999, 1000],
    [1000, 1000],
    [1001, 1100],
    [1100, 1100],
    [1550, 1600],
    [0, undefined],
    [-5, undefined],
    [2.5, undefined],
    [Number.NaN, undefined],
  ])('%d addresses → plan %s', (requested, plan) => {
    expect(planForAddresses(requested)).toBe(plan);
  });

  it.each([
    [10, 0, 50_000_000, 10_000_000_000],
    [200, 0, 1_000_000_000, 200_000_000_000],
    [1000, 2, 5_100_000_000, 1_020_000_000_000],
    [1100, 0, 5_500_000_000, 1_100_000_000_000],
  ])('plan %d with %d extra blocks: quarantine %d, archive %d bytes', (plan, extra, quarantine, archive) => {
    expect(quarantineCapacityBytes(plan, extra)).toBe(quarantine);
    expect(archiveCapacityBytes(plan, extra)).toBe(archive);
  });
});
