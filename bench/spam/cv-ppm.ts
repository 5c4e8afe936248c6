/**
 * Round 7: cv.ts's figures for the stack word + gram (before) and word + gram + PPM compression margin (after),
 * on the same folds. The word and gram out-of-fold margins are cached per seed (they do not depend on the PPM
 * variant), so several PPM variants can be compared in one run.
 *   node -r @swc-node/register bench/spam/cv-ppm.ts --manifest train.csv --root DIR [--seeds 42,7] [--drift-seeds 42,43,44,45]
 *        [--ppm 5:22:21:0,6:22:21:1] (order:symBits:ctxBits:adaptive) [--cache DIR] [--only-ppm] [--text-length N]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_FEATURE_OPTIONS, DEFAULT_TRAIN_OPTIONS, extractFeatures, fitBuckets, fitLinear, fitStack, gramBuckets, margin, outOfFoldBucketMargins, outOfFoldMargins, seededRandom, sigmoid, type Example } from '@torii/spam-engine';
import { PpmModel, type PpmOptions } from './ppm';
import { listArg, mboxSender, parseArgs, readManifest, readMessage } from './corpus';
import { auc, caughtAtHamShare, summarise } from './metrics';

const args = parseArgs(process.argv.slice(2));
const root = args.root as string;
const entries = readManifest(args.manifest as string);
const lines = readFileSync(args.manifest as string, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
const subsetCol = lines[0].split(',').indexOf('subset');
const subsets = lines.slice(1).map((l) => l.split(',')[subsetCol]);
const train = { ...DEFAULT_TRAIN_OPTIONS };
const gramTrain = { ...train, hashBits: train.gramBits, nbBlend: 0 };
const seeds = listArg(args.seeds).map(Number);
if (!seeds.length) seeds.push(42, 7);
const driftSeeds = listArg(args['drift-seeds']).map(Number);
if (!driftSeeds.length) driftSeeds.push(42);
const cacheDir = typeof args.cache === 'string' ? args.cache : '/tmp/r7/out/cache';
mkdirSync(cacheDir, { recursive: true });
const textLength = typeof args['text-length'] === 'string' ? Number(args['text-length']) : Infinity;

const t0 = Date.now();
const examples: Example[] = [];
const texts: string[] = [];
for (const e of entries) {
  const raw = readMessage(root, e);
  const mailFrom = mboxSender(raw);
  const f = extractFeatures({ message: raw, envelope: mailFrom ? { mailFrom } : undefined }, DEFAULT_FEATURE_OPTIONS);
  examples.push({ names: f.names, grams: f.grams, label: e.label === 'spam' ? 1 : 0 });
  texts.push((f.gramText ?? '').slice(0, textLength));
}
const labels = examples.map((e) => e.label as number);
const gramData = examples.map((e) => ({ buckets: gramBuckets(e.grams as Uint32Array, train.gramBits), label: e.label }));
console.error(`featurised in ${Date.now() - t0} ms`);

function cached(name: string, make: () => Record<string, number[]>): Record<string, number[]> {
  const file = join(cacheDir, name + '.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const v = make();
  writeFileSync(file, JSON.stringify(v));
  return v;
}

/** The folds of outOfFoldBucketMargins for n examples and this seed. */
function folds(n: number, seed: number): Int32Array {
  const random = seededRandom(seed + 1);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const fold = new Int32Array(n);
  order.forEach((idx, k) => (fold[idx] = k % train.folds));
  return fold;
}

function ppmOof(idx: number[], seed: number, o: PpmOptions): number[] {
  const fold = folds(idx.length, seed);
  const out = new Array<number>(idx.length).fill(0);
  for (let f = 0; f < train.folds; f++) {
    const inTrain = idx.filter((_, k) => fold[k] !== f);
    const model = PpmModel.train(inTrain.map((i) => texts[i]), inTrain.map((i) => labels[i]), o);
    idx.forEach((i, k) => {
      if (fold[k] === f) out[k] = model.margin(texts[i]);
    });
  }
  return out;
}

const variants: (PpmOptions | null)[] = [null];
for (const v of listArg(args.ppm)) {
  const [order, symBits, ctxBits, adaptive, norm = 1] = v.split(':').map(Number);
  variants.push({ order, symBits, ctxBits, adaptive: adaptive === 1, norm });
}
const name = (v: PpmOptions | null) => (v ? `ppm o${v.order} s${v.symBits} c${v.ctxBits}${v.adaptive ? ' adaptive' : ''}${v.norm !== 1 ? ` norm${v.norm}` : ''}${Number.isFinite(textLength) ? ` len${textLength}` : ''}` : 'word+gram (lr5)');

const all = examples.map((_, i) => i);
const rows = new Map<string, Record<string, number>[]>();
const driftRows = new Map<string, Record<string, number>[]>();
const pc = (x: number) => (x * 100).toFixed(2);

for (const seed of seeds) {
  const base = cached(`oof-${seed}`, () => ({
    w: Array.from(outOfFoldMargins(examples, { ...train, seed })),
    g: Array.from(outOfFoldBucketMargins(gramData, { ...gramTrain, seed })),
  }));
  for (const v of variants) {
    const ms: ArrayLike<number>[] = [base.w, base.g];
    const t = Date.now();
    if (v) ms.push(ppmOof(all, seed, v));
    if (v && args.alone) ms.splice(0, 2);
    const cal = fitStack(ms, labels);
    const z = labels.map((_, k) => ms.reduce((a, m, j) => a + cal.a[j] * m[k], cal.b));
    const s = summarise(z.map(sigmoid), labels);
    const r = { auc: auc(z, labels), c01: caughtAtHamShare(z, labels, 0.001), c05: caughtAtHamShare(z, labels, 0.005), c90: s.at90.caught, f90: s.at90.flagged, c100: s.at100.caught, f100: s.at100.flagged };
    console.log(`  seed ${seed} ${name(v)}: cal ${cal.a.map((a) => a.toFixed(3)).join(' ')} b ${cal.b.toFixed(3)} | auc ${r.auc.toFixed(5)} c01 ${pc(r.c01)} c05 ${pc(r.c05)} at90 ${pc(r.c90)}/${pc(r.f90)} at100 ${pc(r.c100)}/${pc(r.f100)} (${Date.now() - t} ms)`);
    if (args.dump && v && seed === seeds[0]) {
      const order = all.slice().sort((x, y) => z[y] - z[x]);
      for (const i of order.filter((i) => !labels[i]).slice(0, 8)) console.log(`    ham  ${pc(sigmoid(z[i]))} ${subsets[i]} ${entries[i].path}`);
      for (const i of order.filter((i) => labels[i]).reverse().slice(0, 15)) console.log(`    spam ${pc(sigmoid(z[i]))} ${subsets[i]} ${entries[i].path}`);
    }
    rows.set(name(v), [...(rows.get(name(v)) ?? []), r]);
  }
}

if (!args['no-drift']) {
  const olderIdx = all.filter((i) => !subsets[i].endsWith('_2'));
  const newerIdx = all.filter((i) => subsets[i].endsWith('_2'));
  const ys = newerIdx.map((i) => labels[i]);
  for (const seed of driftSeeds) {
    const base = cached(`drift-${seed}`, () => {
      const fitted = fitLinear(olderIdx.map((i) => examples[i]), { ...train, seed });
      const gramFit = fitBuckets(olderIdx.map((i) => gramData[i]), { ...gramTrain, seed });
      return {
        ow: Array.from(outOfFoldMargins(olderIdx.map((i) => examples[i]), { ...train, seed })),
        og: Array.from(outOfFoldBucketMargins(olderIdx.map((i) => gramData[i]), { ...gramTrain, seed })),
        nw: newerIdx.map((i) => fitted.margin(examples[i].names)),
        ng: newerIdx.map((i) => margin(gramFit.weights, gramFit.bias, gramData[i].buckets)),
      };
    });
    for (const v of variants) {
      const oms: ArrayLike<number>[] = [base.ow, base.og];
      const nms: ArrayLike<number>[] = [base.nw, base.ng];
      if (v) {
        oms.push(ppmOof(olderIdx, seed, v));
        const model = PpmModel.train(olderIdx.map((i) => texts[i]), olderIdx.map((i) => labels[i]), v);
        nms.push(newerIdx.map((i) => model.margin(texts[i])));
      }
      if (v && args.alone) (oms.splice(0, 2), nms.splice(0, 2));
      const cal = fitStack(oms, olderIdx.map((i) => labels[i]));
      const z = ys.map((_, k) => nms.reduce((a, m, j) => a + cal.a[j] * m[k], cal.b));
      const s = summarise(z.map(sigmoid), ys);
      const r = { auc: auc(z, ys), c01: caughtAtHamShare(z, ys, 0.001), c90: s.at90.caught, f90: s.at90.flagged, c100: s.at100.caught, f100: s.at100.flagged };
      console.log(`  drift seed ${seed} ${name(v)}: cal ${cal.a.map((a) => a.toFixed(3)).join(' ')} | auc ${r.auc.toFixed(5)} c01 ${pc(r.c01)} c90 ${pc(r.c90)}/${pc(r.f90)} at100 ${pc(r.c100)}/${pc(r.f100)}`);
      driftRows.set(name(v), [...(driftRows.get(name(v)) ?? []), r]);
    }
  }
}

const mean = (rs: Record<string, number>[], k: string) => rs.reduce((a, r) => a + r[k], 0) / rs.length;
for (const v of variants) {
  const rs = rows.get(name(v)) ?? [];
  const ds = driftRows.get(name(v));
  console.log(
    `${name(v)} seeds ${seeds.join(',')} | auc ${mean(rs, 'auc').toFixed(5)} c01 ${pc(mean(rs, 'c01'))} c05 ${pc(mean(rs, 'c05'))} at90 ${pc(mean(rs, 'c90'))}/${pc(mean(rs, 'f90'))} at100 ${pc(mean(rs, 'c100'))}/${pc(mean(rs, 'f100'))}` +
      (ds ? ` | drift (${driftSeeds.join(',')}) auc ${mean(ds, 'auc').toFixed(5)} c01 ${pc(mean(ds, 'c01'))} c90 ${pc(mean(ds, 'c90'))}/${pc(mean(ds, 'f90'))} at100 ${pc(mean(ds, 'c100'))}/${pc(mean(ds, 'f100'))}` : ''),
  );
}
