import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fitPlatt, fitStack, formatPercent, sigmoid, toPercent } from './calibration';
import { SpamEngine } from './engine';
import { extractFeatures } from './features';
import { gramHashes } from './grams';
import { continueHash, hashFeature, loadModel, ModelFormatError, saveModel, SpamModel } from './model';
import { agreedSum, DEFAULT_OVERLAY, mergeDeltas, ModelDelta } from './overlay';
import { fitBuckets, margin } from './train';

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', name));
const shipped = loadModel();
const sameWeights = (a: SpamModel, b: SpamModel) => Buffer.from(a.weights.buffer).equals(Buffer.from(b.weights.buffer));

describe('the shipped model', () => {
  const engine = new SpamEngine(shipped);

  it('scores obvious English spam at 90% or more, with reasons', () => {
    const v = engine.score({ message: fixture('spam-en.eml') });
    expect(v.percent).toBeGreaterThanOrEqual(90);
    expect(v.rules).toEqual(expect.arrayContaining(['HTML_ONLY', 'URL_IP_LITERAL', 'URL_ANCHOR_MISMATCH']));
    expect(v.reasons.spam.length).toBeGreaterThan(0);
    expect(v.reasons.spam.every((r) => r.logOdds > 0)).toBe(true);
    expect(v.header).toMatch(/^\d{1,3}\.\d{2}%$/);
  });

  it('scores an ordinary English note low', () => {
    const v = engine.score({ message: fixture('ham-en.eml'), auth: { spf: 'pass', dkim: 'pass', dkimAligned: true, dmarc: 'pass' } });
    expect(v.percent).toBeLessThan(10);
    expect(v.reasons.ham.some((r) => r.feature === 'rule:DMARC_PASS')).toBe(true);
  });

  it('scores obvious Japanese spam at 90% or more', () => {
    expect(engine.score({ message: fixture('spam-ja-sjis.eml') }).percent).toBeGreaterThanOrEqual(90);
  });

  // The corpus is English mail of 2002, where every Japanese message is spam: being Japanese must not count.
  it.each([
    ['ham-ja-iso2022jp.eml', 50],
    // A 15-character multipart/alternative note with base64 HTML: what still pushes it up is "tiny" and "has
    // HTML" (2002 habits shared by its English twin below, not language; see bench/spam/RESULTS.md), so it is
    // held below the 90% tag only.
    ['ham-ja-eucjp-qp.eml', 90],
  ])('scores Japanese business mail %s below %d%%, with no language-identity reason', (name, bar) => {
    const v = engine.score({ message: fixture(name) }, { reasons: 50 });
    expect(v.percent).toBeLessThan(bar);
    const identity = [...v.reasons.spam, ...v.reasons.ham].filter((r) => /^(?:cs:|ft:[a-z]{2}$|ut:[a-z]{2}$)/.test(r.feature));
    expect(identity).toEqual([]);
  });

  it('authentication failures raise the score, passes lower it', () => {
    const base = engine.score({ message: fixture('ham-en.eml') }).logOdds;
    expect(engine.score({ message: fixture('ham-en.eml'), auth: { spf: 'fail', dmarc: 'fail' } }).logOdds).toBeGreaterThan(base + 3);
    expect(engine.score({ message: fixture('ham-en.eml'), auth: { dmarc: 'pass' } }).logOdds).toBeLessThan(base);
  });
});

describe('calibration', () => {
  it('Platt fit is monotone increasing and follows the data', () => {
    const margins: number[] = [];
    const labels: number[] = [];
    for (let i = 0; i < 400; i++) {
      const m = (i - 200) / 40;
      margins.push(m);
      labels.push(sigmoid(2 * m) > ((i * 7919) % 400) / 400 ? 1 : 0);
    }
    const { a, b } = fitPlatt(margins, labels);
    expect(a).toBeGreaterThan(0);
    const ps = margins.map((m) => sigmoid(a * m + b));
    for (let i = 1; i < ps.length; i++) expect(ps[i]).toBeGreaterThanOrEqual(ps[i - 1]);
    expect(a).toBeGreaterThan(1);
    expect(a).toBeLessThan(4);
  });

  it('the shipped calibration is increasing', () => {
    expect(shipped.calibration.a).toBeGreaterThan(0);
  });

  it.each([
    [0.98, '98.00%'],
    [1, '100.00%'],
    [0, '0.00%'],
    [0.123456, '12.35%'],
    [0.99996, '100.00%'],
    [0.99994, '99.99%'],
    [NaN, '0.00%'],
    [Infinity, '0.00%'],
    [-0.5, '0.00%'],
    [1.5, '100.00%'],
  ])('formatPercent(%p) = %s', (p, s) => {
    expect(formatPercent(p)).toBe(s);
    expect(Number.isNaN(toPercent(p))).toBe(false);
  });
});

describe('learning', () => {
  const spam = { message: fixture('spam-ja-sjis.eml') };
  const ham = { message: fixture('ham-ja-iso2022jp.eml') };

  it('learn() moves a score in the direction of the label', () => {
    const engine = new SpamEngine(shipped.clone());
    const before = engine.score(ham).logOdds;
    engine.learn(ham, 'ham');
    const afterHam = engine.score(ham).logOdds;
    expect(afterHam).toBeLessThan(before);
    engine.learn(ham, 'spam');
    engine.learn(ham, 'spam');
    expect(engine.score(ham).logOdds).toBeGreaterThan(afterHam);
  });

  it('learn() on a clone leaves the shipped weights alone', () => {
    const copy = shipped.clone();
    new SpamEngine(copy).learn(spam, 'ham');
    expect(sameWeights(copy, shipped)).toBe(false);
    expect(sameWeights(loadModel(), shipped)).toBe(true);
  });

  it('a tenant delta moves that tenant\'s score, bounded, without touching the shared model', () => {
    const engine = new SpamEngine(shipped);
    const delta = ModelDelta.for(shipped);
    const base = engine.score(spam).logOdds;
    for (let i = 0; i < 500; i++) engine.learnDelta(delta, spam, 'ham');
    const shifted = engine.score(spam, { delta }).logOdds;
    expect(shifted).toBeLessThan(base);
    // Each model's part of the delta is clamped on its own.
    expect(base - shifted).toBeLessThanOrEqual(DEFAULT_OVERLAY.maxShift * (shipped.calibration.a + (shipped.calibration.g ?? 0)) + 1e-9);
    for (const w of delta.weights.values()) expect(Math.abs(w)).toBeLessThanOrEqual(DEFAULT_OVERLAY.maxWeight);
    expect(engine.score(spam).logOdds).toBe(base);
  });

  it('merging deltas bounds one tenant\'s influence on the shared model', () => {
    const engine = new SpamEngine(shipped);
    const poison = ModelDelta.for(shipped);
    for (let i = 0; i < 200; i++) engine.learnDelta(poison, spam, 'ham');
    const merged = mergeDeltas(shipped, [poison], { maxWeight: 1, minTenants: 10 });
    const buckets = shipped.buckets(extractFeatures(spam).names);
    for (const b of buckets) expect(Math.abs(merged.weights[b] - shipped.weights[b])).toBeLessThanOrEqual(0.1 + 1e-6);
    expect(merged.meta.version).toContain('merged');
  });

  it('with a quorum, one tenant alone moves no shared weight; tenants that agree do', () => {
    const engine = new SpamEngine(shipped);
    const tenant = () => {
      const delta = ModelDelta.for(shipped);
      for (let i = 0; i < 50; i++) engine.learnDelta(delta, spam, 'ham');
      return delta;
    };
    const [a, b, c] = [tenant(), tenant(), tenant()];
    const options = { maxWeight: 1, minTenants: 10, minAgreeing: 3 };
    const alone = mergeDeltas(shipped, [a, ModelDelta.for(shipped), ModelDelta.for(shipped)], options);
    expect(Buffer.from(alone.weights.buffer).equals(Buffer.from(shipped.weights.buffer))).toBe(true);
    expect(new SpamEngine(alone).score(spam).logOdds).toBe(engine.score(spam).logOdds);
    expect(new SpamEngine(mergeDeltas(shipped, [a, b], options)).score(spam).logOdds).toBe(engine.score(spam).logOdds);
    const agreed = mergeDeltas(shipped, [a, b, c], options);
    expect(new SpamEngine(agreed).score(spam).logOdds).toBeLessThan(engine.score(spam).logOdds);
    // A third tenant pushing the other way breaks the quorum on the keys it touches.
    const other = ModelDelta.for(shipped);
    for (let i = 0; i < 50; i++) engine.learnDelta(other, spam, 'spam');
    const split = mergeDeltas(shipped, [a, b, other], options);
    expect(new SpamEngine(split).score(spam).logOdds).toBe(engine.score(spam).logOdds);
  });

  it('counts a weight only as far as the quorum agrees: crumbs beside one strong tenant move it by crumbs', () => {
    expect(agreedSum([1, 0.001, 0.001], 3)).toBeCloseTo(0.003, 9);
    expect(agreedSum([1, 1, 1], 3)).toBe(3);
    expect(agreedSum([1, 1], 3)).toBe(0);
    expect(agreedSum([1, 1, 1, -1], 3)).toBe(2);
    expect(agreedSum([-0.5, -1, -1], 3)).toBe(-1.5);
    expect(agreedSum([0.2, 0.2, 0.2, -1], 3)).toBe(0); // the sum leans the other way, and that side has one tenant
    expect(agreedSum([1, 0.001, 0.001], 1)).toBeCloseTo(1.002, 9);
  });

  it('a delta survives JSON', () => {
    const engine = new SpamEngine(shipped);
    const delta = ModelDelta.for(shipped);
    engine.learnDelta(delta, ham, 'ham');
    const back = ModelDelta.fromJSON(JSON.parse(JSON.stringify(delta.toJSON())));
    expect(engine.score(ham, { delta: back }).probability).toBe(engine.score(ham, { delta }).probability);
  });
});

describe('one tenant report (the shipped step)', () => {
  // QA, session 7: with the tenant step at 8, one spam report of a short English note took the tenant's unrelated
  // Japanese ham from 38% to 95% (tagged): every message shares the common header and text grams the report moved.
  it('moves the reported message clearly, and the tenant\'s unrelated mail far less', () => {
    const engine = new SpamEngine(shipped);
    const delta = ModelDelta.for(shipped);
    const reported = { message: fixture('ham-en.eml') };
    const before = (m: { message: Buffer }) => engine.score(m).probability * 100;
    const after = (m: { message: Buffer }) => engine.score(m, { delta }).probability * 100;
    engine.learnDelta(delta, reported, 'spam');
    expect(after(reported) - before(reported)).toBeGreaterThan(25); // feedback takes effect
    for (const name of ['ham-en-twin-eucjp.eml', 'ham-ja-eucjp-qp.eml', 'ham-ja-iso2022jp.eml']) {
      const other = { message: fixture(name) };
      expect(after(other) - before(other)).toBeLessThan(15);
      expect(after(other)).toBeLessThan(90);
    }
  });
});

describe('deltas and feature versions', () => {
  it('a delta records the feature version it was learned with, and one from an older version does not fit', () => {
    const delta = ModelDelta.for(shipped);
    expect(delta.fits(shipped)).toBe(true);
    const { featureVersion, ...older } = delta.toJSON();
    expect(featureVersion).toBeGreaterThan(0);
    expect(ModelDelta.fromJSON(JSON.parse(JSON.stringify(delta.toJSON()))).fits(shipped)).toBe(true);
    expect(ModelDelta.fromJSON(older).fits(shipped)).toBe(false); // stored before deltas recorded it
    expect(ModelDelta.fromJSON({ ...older, featureVersion: featureVersion! - 1 }).fits(shipped)).toBe(false);
  });
});

describe('the character-gram model', () => {
  it('is part of the shipped model and of its stacked calibration', () => {
    expect(shipped.grams).toBeDefined();
    expect(shipped.calibration.g).toBeGreaterThan(0);
  });

  it('gram hashes are distinct and the same as hashing each gram', () => {
    const text = 'abcabcabc FREE FREE';
    const h = gramHashes(text, 3);
    expect(new Set(h).size).toBe(h.length);
    const expected = new Set(Array.from({ length: text.length - 2 }, (_, i) => hashFeature(text.slice(i, i + 3))));
    expect(new Set(h)).toEqual(expected);
  });

  it('is explained as one reason quoting character patterns', () => {
    const v = new SpamEngine(shipped).score({ message: fixture('spam-en.eml') }, { reasons: 50 });
    const grams = [...v.reasons.spam, ...v.reasons.ham].find((r) => r.feature === 'grams');
    expect(grams?.description).toMatch(/character patterns/);
  });

  it('a tenant delta reaches the gram model too, and merging routes it there', () => {
    const engine = new SpamEngine(shipped);
    const delta = ModelDelta.for(shipped);
    const spam = { message: fixture('spam-en.eml') };
    engine.learnDelta(delta, spam, 'ham');
    expect(delta.updates).toBe(1);
    expect([...delta.weights.keys()].some((k) => k >= shipped.weights.length)).toBe(true);
    const merged = mergeDeltas(shipped, [delta], { maxWeight: 1, minTenants: 1 });
    expect(merged.weights.length).toBe(shipped.weights.length);
    expect(merged.grams && shipped.grams && Buffer.from(merged.grams.weights.buffer).equals(Buffer.from(shipped.grams.weights.buffer))).toBe(false);
    expect(new SpamEngine(merged).score(spam).logOdds).toBeLessThan(engine.score(spam).logOdds);
  });

  it('stacked calibration fits both margins', () => {
    const m1: number[] = [];
    const m2: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < 400; i++) {
      const y = i % 2;
      m1.push((y ? 1 : -1) + Math.sin(i));
      m2.push((y ? 2 : -2) + Math.cos(i * 7));
      ys.push(y);
    }
    const st = fitStack([m1, m2], ys);
    expect(st.a[0]).toBeGreaterThan(0);
    expect(st.a[1]).toBeGreaterThan(0);
  });
});

describe('model file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spam-model-'));

  it('round-trips through save and load with identical scores', () => {
    const path = join(dir, 'm.json');
    const model = shipped.clone();
    new SpamEngine(model).learn({ message: fixture('ham-en.eml') }, 'ham');
    saveModel(model, path);
    const back = loadModel(path);
    expect(sameWeights(back, model)).toBe(true);
    expect(back.grams && model.grams && Buffer.from(back.grams.weights.buffer).equals(Buffer.from(model.grams.weights.buffer))).toBe(true);
    expect(back.grams?.bias).toBe(model.grams?.bias);
    expect(back.calibration).toEqual(model.calibration);
    expect(back.meta).toEqual(model.meta);
    const msg = { message: fixture('spam-en.eml') };
    expect(new SpamEngine(back).score(msg).probability).toBe(new SpamEngine(model).score(msg).probability);
  });

  it('keeps the gram model\'s normPower, and a file without one (before sa-2002-lr6) scores with unit length', () => {
    expect(shipped.grams?.normPower).toBe(0.4);
    const path = join(dir, 'p.json');
    saveModel(shipped, path);
    expect(loadModel(path).grams?.normPower).toBe(0.4);
    const json = JSON.parse(readFileSync(path, 'utf8'));
    delete json.grams.normPower;
    writeFileSync(path, JSON.stringify(json));
    const old = loadModel(path);
    expect(old.grams?.normPower).toBeUndefined();
    const grams = extractFeatures({ message: fixture('spam-en.eml') }).grams as Uint32Array;
    const raw = (power: number) => {
      let s = 0;
      for (let i = 0; i < grams.length; i++) s += (shipped.grams as { weights: Float32Array }).weights[grams[i] & shipped.gramMask];
      return (shipped.grams?.bias ?? 0) + s / Math.pow(Math.max(grams.length, 64), power);
    };
    expect(shipped.gramMargin(grams)).toBeCloseTo(raw(0.4), 9);
    expect(old.gramMargin(grams)).toBeCloseTo(raw(0.5), 9);
    json.grams.normPower = 3;
    writeFileSync(path, JSON.stringify(json));
    expect(() => loadModel(path)).toThrow(ModelFormatError);
  });

  it('learn() moves the gram margin by about the learning rate whatever its normPower', () => {
    const model = shipped.clone();
    const f = extractFeatures({ message: fixture('ham-en.eml') });
    const before = model.gramMargin(f.grams);
    new SpamEngine(model).learn(f, 'spam');
    const error = 1 - sigmoid(before);
    expect(model.gramMargin(f.grams) - before).toBeCloseTo(model.meta.learningRate * error, 1);
  });

  it('reload swaps in a new model and keeps the old one when the file is bad', () => {
    const good = join(dir, 'good.json');
    const bad = join(dir, 'bad.json');
    saveModel(SpamModel.empty(12), good);
    writeFileSync(bad, '{"format":"something else"}');
    const engine = new SpamEngine(shipped);
    engine.reload(good);
    expect(engine.model.hashBits).toBe(12);
    expect(engine.score({ message: fixture('spam-en.eml') }).rules.length).toBeGreaterThan(0);
    expect(() => engine.reload(bad)).toThrow(ModelFormatError);
    expect(() => engine.reload(join(dir, 'missing.json'))).toThrow(ModelFormatError);
    expect(engine.model.hashBits).toBe(12);
  });

  it('is small', () => {
    expect(readFileSync(join(__dirname, '..', 'model', 'model.json')).length).toBeLessThan(20 * 1024 * 1024);
  });
});

describe('robustness', () => {
  const engine = new SpamEngine(shipped);
  const nested = (depth: number): string =>
    depth === 0 ? 'Content-Type: text/plain\r\n\r\nbottom' : `Content-Type: multipart/mixed; boundary="b${depth}"\r\n\r\n--b${depth}\r\n${nested(depth - 1)}\r\n--b${depth}--`;

  it.each([
    ['empty', Buffer.alloc(0)],
    ['only a From line', 'From x@y  Thu Aug 22 13:17:22 2002\n'],
    ['headers only', 'Subject: hi'],
    ['binary garbage', Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 131) % 256))],
    ['deep nesting', nested(50)],
    ['unknown charset', 'Content-Type: text/plain; charset=x-unknown-42\r\n\r\nhello there'],
    ['utf-7 charset', 'Content-Type: text/plain; charset=utf-7\r\n\r\n+ADw-script+AD4-'],
    ['broken base64 and QP', 'Content-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!@@@###=\r\n'],
    ['huge line', 'Subject: x\r\n\r\n' + 'a'.repeat(2_000_000)],
  ])('%s: a finite score, never a throw', (_name, raw) => {
    const v = engine.score({ message: raw });
    expect(Number.isFinite(v.probability)).toBe(true);
    expect(v.header).toMatch(/^\d{1,3}\.\d{2}%$/);
  });
});

describe('scoring shortcuts give what the plain computation gives', () => {
  const engine = new SpamEngine(shipped);
  const messages = ['spam-en.eml', 'ham-en.eml', 'ham-ja-eucjp-qp.eml', 'spam-ja-sjis.eml'].map((name) => fixture(name));

  it('continueHash carries hashFeature on over a suffix', () => {
    for (const [a, b] of [['free', ' money'], ['', 'x'], ['日本', ' 語'], ['click', '']]) expect(continueHash(hashFeature(a), b)).toBe(hashFeature(a + b));
  });

  it('features carry the hash of each name; scoring without them is the same', () => {
    for (const message of messages) {
      const f = extractFeatures({ message });
      expect(Array.from(f.hashes ?? [])).toEqual(f.names.map(hashFeature));
      expect(engine.scoreFeatures({ ...f, hashes: undefined })).toEqual(engine.scoreFeatures(f));
    }
  });

  it('names that share a hash are both kept, each once', () => {
    expect(hashFeature('costarring')).toBe(hashFeature('liquid'));
    const names = extractFeatures({ message: 'From: a@b.example\nSubject: x\n\ncostarring liquid costarring liquid' }).names;
    expect(names.filter((n) => n === 'costarring' || n === 'liquid')).toEqual(['costarring', 'liquid']);
    expect(names.filter((n) => n === 'costarring liquid' || n === 'liquid costarring')).toEqual(['costarring liquid', 'liquid costarring']);
  });

  it('the strongest reasons are the first ones of a full sort', () => {
    for (const message of messages) {
      // 2.5 (like any fractional count) takes the sorting path; slice(0, 2.5) keeps 2.
      expect(engine.score({ message }, { reasons: 2.5 }).reasons).toEqual(engine.score({ message }, { reasons: 2 }).reasons);
      const all = engine.score({ message }, { reasons: 1e6 }).reasons;
      for (const n of [0, 1, 5, 40]) expect(engine.score({ message }, { reasons: n }).reasons).toEqual({ spam: all.spam.slice(0, n), ham: all.ham.slice(0, n) });
    }
  });
});

describe('TrainOptions.hamWeight (round 10 experiment, off by default)', () => {
  // Bucket 0 only in spam, 1 only in ham, 2 in both: a heavier ham loss pulls the shared bucket and the bias towards ham.
  const data = [
    ...Array.from({ length: 6 }, () => ({ buckets: Uint32Array.from([0, 2]), label: 1 as const })),
    ...Array.from({ length: 6 }, () => ({ buckets: Uint32Array.from([1, 2]), label: 0 as const })),
  ];
  const opts = { hashBits: 4, epochs: 5, seed: 1 };

  it('is the plain fit at weight 1, and a heavier ham loss lowers the margin of the shared features', () => {
    const plain = fitBuckets(data, opts);
    expect(Array.from(fitBuckets(data, { ...opts, hamWeight: 1 }).weights)).toEqual(Array.from(plain.weights));
    const heavy = fitBuckets(data, { ...opts, hamWeight: 4 });
    const shared = Uint32Array.from([2]);
    expect(margin(heavy.weights, heavy.bias, shared)).toBeLessThan(margin(plain.weights, plain.bias, shared));
  });
});
