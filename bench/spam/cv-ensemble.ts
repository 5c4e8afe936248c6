/**
 * Cross-validation of the word model + character-gram model ensemble on a training manifest (no dev split).
 *   node -r @swc-node/register bench/spam/cv-ensemble.ts --manifest train.csv --root DIR
 *        [--variants raw:4:3000:0,decoded:4:3000:1] [--cbits 22] [--cl2 X] [--ceta X] [--cepochs N] [--seeds 42,7]
 * A variant is source:n:length:fold. For each variant it prints the word model alone, the gram model alone and
 * the stack (σ(a₁·m_word + a₂·m_gram + b) fitted on the same out-of-fold margins), in cv.ts's format, plus the
 * in-train drift check (older folders → newer ones; stack weights fitted on the older part's out-of-fold margins).
 */
import { readFileSync } from 'node:fs';
import {
  DEFAULT_TRAIN_OPTIONS,
  extractFeatures,
  fitBuckets,
  fitStack,
  gramHashes,
  gramText,
  margin,
  outOfFoldBucketMargins,
  parseMessage,
  sigmoid,
  SpamModel,
  type Bucketed,
  type GramOptions,
} from '@torii/spam-engine';
import { listArg, mboxSender, parseArgs, readManifest, readMessage } from './corpus';
import { auc, caughtAtHamShare, summarise } from './metrics';

const args = parseArgs(process.argv.slice(2));
if (typeof args.manifest !== 'string' || typeof args.root !== 'string') {
  console.error('usage: cv-ensemble --manifest FILE --root DIR [--variants raw:4:3000:0] [--cbits N] [--cl2 X] [--ceta X] [--cepochs N]');
  process.exit(2);
}
const variants: GramOptions[] = (listArg(args.variants).length ? listArg(args.variants) : ['raw:4:3000:0']).map((v) => {
  const [source, n, length, fold] = v.split(':');
  return { source: source as GramOptions['source'], n: Number(n), length: Number(length), fold: fold === '1' };
});
const word = { ...DEFAULT_TRAIN_OPTIONS };
const cnum = (k: string, d: number) => (typeof args[k] === 'string' ? Number(args[k]) : d);
const gram = { ...DEFAULT_TRAIN_OPTIONS, hashBits: cnum('cbits', 22), l2: cnum('cl2', word.l2), eta: cnum('ceta', word.eta), epochs: cnum('cepochs', word.epochs) };
const seeds = listArg(args.seeds).map(Number);
if (!seeds.length) seeds.push(42, 7);

const entries = readManifest(args.manifest);
const lines = readFileSync(args.manifest, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
const subsetCol = lines[0].split(',').indexOf('subset');
const subsets = lines.slice(1).map((l) => (subsetCol >= 0 ? l.split(',')[subsetCol] : ''));

const probe = SpamModel.empty(word.hashBits);
const gmask = 2 ** gram.hashBits - 1;
const wordData: Bucketed[] = [];
const gramData: Bucketed[][] = variants.map(() => []);
const t0 = Date.now();
for (const e of entries) {
  const raw = readMessage(args.root, e);
  const mailFrom = mboxSender(raw);
  const msg = parseMessage(raw);
  const label = e.label === 'spam' ? 1 : 0;
  wordData.push({ buckets: probe.buckets(extractFeatures({ message: msg, envelope: mailFrom ? { mailFrom } : undefined }).names), label });
  const keep: { name: string; oof: Float64Array[]; old: Float64Array; newM: number[] }[] = [];
variants.forEach((v, k) => {
    const h = gramHashes(gramText(msg, v), v.n);
    for (let i = 0; i < h.length; i++) h[i] &= gmask;
    gramData[k].push({ buckets: h, label });
  });
}
console.error(`featurised ${entries.length} in ${Date.now() - t0} ms; mean grams ${(gramData[0].reduce((a, d) => a + d.buckets.length, 0) / entries.length).toFixed(0)}`);
const labels = wordData.map((d) => d.label as number);

type Row = Record<string, number>;
function figures(ms: ArrayLike<number>[], ys: number[], fitOn?: { ms: ArrayLike<number>[]; ys: number[] }): Row {
  const st = fitStack(fitOn?.ms ?? ms, fitOn?.ys ?? ys);
  const z = Array.from({ length: ys.length }, (_, i) => ms.reduce((a, m, j) => a + st.a[j] * m[i], st.b));
  const s = summarise(z.map(sigmoid), ys);
  return { auc: auc(z, ys), c01: caughtAtHamShare(z, ys, 0.001), c05: caughtAtHamShare(z, ys, 0.005), c90: s.at90.caught, f90: s.at90.flagged, c100: s.at100.caught, f100: s.at100.flagged, a1: st.a[0], a2: st.a[1] ?? 0 };
}
const pc = (x: number) => (x * 100).toFixed(2);
const fmt = (r: Row) => `auc ${r.auc.toFixed(5)} c01 ${pc(r.c01)} c05 ${pc(r.c05)} at90 ${pc(r.c90)}/${pc(r.f90)} at100 ${pc(r.c100)}/${pc(r.f100)}`;
const mean = (rows: Row[]): Row => Object.fromEntries(Object.keys(rows[0]).map((k) => [k, rows.reduce((a, r) => a + r[k], 0) / rows.length]));

const wordOof = seeds.map((seed) => outOfFoldBucketMargins(wordData, { ...word, seed }));
const older = wordData.map((_, i) => i).filter((i) => subsetCol >= 0 && !subsets[i].endsWith('_2'));
const newer = wordData.map((_, i) => i).filter((i) => subsetCol >= 0 && subsets[i].endsWith('_2'));
const pick = <T>(xs: T[], idx: number[]) => idx.map((i) => xs[i]);
const olderY = pick(labels, older);
const newerY = pick(labels, newer);
const wOld = fitBuckets(pick(wordData, older), word);
const wOldOof = outOfFoldBucketMargins(pick(wordData, older), word);
const wNew = newer.map((i) => margin(wOld.weights, wOld.bias, wordData[i].buckets));
const driftFmt = (r: Row) => `drift auc ${r.auc.toFixed(5)} c01 ${pc(r.c01)} c90 ${pc(r.c90)}/${pc(r.f90)} at100 ${pc(r.c100)}`;
console.log(`word only      | ${fmt(mean(wordOof.map((m) => figures([m], labels))))} | ${driftFmt(figures([wNew], newerY, { ms: [wOldOof], ys: olderY }))}`);

const keep: { name: string; oof: Float64Array[]; old: Float64Array; newM: number[] }[] = [];
variants.forEach((v, k) => {
  const name = `${v.source}:${v.n}:${v.length}:${v.fold ? 1 : 0} b${gram.hashBits} l2 ${gram.l2} eta ${gram.eta} e${gram.epochs}`;
  const gOof = seeds.map((seed) => outOfFoldBucketMargins(gramData[k], { ...gram, seed }));
  const gOld = fitBuckets(pick(gramData[k], older), gram);
  const gOldOof = outOfFoldBucketMargins(pick(gramData[k], older), gram);
  const gNew = newer.map((i) => margin(gOld.weights, gOld.bias, gramData[k][i].buckets));
  console.log(`grams ${name} | ${fmt(mean(gOof.map((m) => figures([m], labels))))} | ${driftFmt(figures([gNew], newerY, { ms: [gOldOof], ys: olderY }))}`);
  const st = mean(seeds.map((_, s) => figures([wordOof[s], gOof[s]], labels)));
  const dr = figures([wNew, gNew], newerY, { ms: [wOldOof, gOldOof], ys: olderY });
  console.log(`stack ${name} | ${fmt(st)} a ${st.a1.toFixed(3)},${st.a2.toFixed(3)} | ${driftFmt(dr)} a ${dr.a1.toFixed(3)},${dr.a2.toFixed(3)}`);
  keep.push({ name, oof: gOof, old: gOldOof, newM: gNew });
});
// With --triple: word + the first variant + each later one, stacked together.
if (args.triple) {
  const [first, ...rest] = keep;
  for (const r of rest) {
    const st = mean(seeds.map((_, s) => figures([wordOof[s], first.oof[s], r.oof[s]], labels)));
    const dr = figures([wNew, first.newM, r.newM], newerY, { ms: [wOldOof, first.old, r.old], ys: olderY });
    console.log(`triple + ${r.name} | ${fmt(st)} | ${driftFmt(dr)}`);
  }
}
