/**
 * Round 8: what the stacked calibration is fitted on. The two base models are trained as in trainModel; only the
 * margins that fitStack sees change:
 *   random  — random 5-fold out-of-fold margins (as shipped: lr6)
 *   group   — grouped 5-fold: messages linked by a campaign key (same normalised Subject, same From address,
 *             near-duplicate body by MinHash) fall in the same fold, so a message is scored by a model that saw
 *             none of its campaign
 *   mix     — both sets of margins together (2n points)
 *   time    — time-forward: messages ordered by Date, 5 chunks, chunk k scored by models trained on chunks < k
 * In-distribution figures are read on the random out-of-fold margins (what dev is like: the same corpus split at
 * random), with each calibration; the drift check fits everything (base models, groups, calibration margins) on
 * the older folders only and scores the newer ones.
 * Extra in-distribution checks: `--eval-keys sender` applies every calibration also to out-of-fold margins of folds
 * grouped by those keys (held out by sender); each group variant is also read on its own grouped margins.
 * The keys here mirror libs/spam-engine/src/campaign.ts (subject, body), plus the From address (sender).
 *   node -r @swc-node/register bench/spam/cv-calib.ts --manifest train.csv --root DIR [--seeds 42,7]
 *        [--drift-seeds 42,43,44,45 | --no-drift] [--keys subject,body] [--eval-keys sender]
 *        [--variants random,group,mix,time] [--reliability] [--stats]
 * `group` is TrainOptions.calibrationFolds 'campaign', `mix` is 'both' (shipped in sa-2002-lr7).
 */
import { readFileSync } from 'node:fs';
import {
  campaignGroups,
  campaignKeys as engineCampaignKeys,
  DEFAULT_FEATURE_OPTIONS,
  DEFAULT_TRAIN_OPTIONS,
  extractFeatures,
  fitBuckets,
  fitStack,
  gramBuckets,
  margin,
  outOfFoldBucketMargins,
  parseMessage,
  seededRandom,
  sigmoid,
  SpamModel,
  type Bucketed,
} from '@torii/spam-engine';
import { listArg, mboxSender, parseArgs, readManifest, readMessage } from './corpus';
import { auc, caughtAtHamShare, summarise } from './metrics';

const args = parseArgs(process.argv.slice(2));
if (typeof args.manifest !== 'string' || typeof args.root !== 'string') {
  console.error('usage: cv-calib --manifest FILE --root DIR [--seeds 42,7] [--drift-seeds 42,43,44,45]');
  process.exit(2);
}
const train = { ...DEFAULT_TRAIN_OPTIONS };
// Round 10: --ham-weight X / --gram-ham-weight X (loss weight of a ham example), --osb N, --osb-place, --max-features.
if (typeof args['ham-weight'] === 'string') train.hamWeight = Number(args['ham-weight']);
const gramTrain = { ...train, hashBits: train.gramBits, nbBlend: 0, normPower: train.gramNormPower, hamWeight: typeof args['gram-ham-weight'] === 'string' ? Number(args['gram-ham-weight']) : undefined };
const featureOptions = { ...DEFAULT_FEATURE_OPTIONS };
if (typeof args.osb === 'string') featureOptions.osb = Number(args.osb);
if (args['osb-place'] === 'grams' || args['osb-place'] === 'words') featureOptions.osbPlace = args['osb-place'];
if (typeof args['max-features'] === 'string') featureOptions.maxFeatures = Number(args['max-features']);
console.log(`options: osb ${featureOptions.osb ?? 0}:${featureOptions.osbPlace ?? 'words'} maxf ${featureOptions.maxFeatures ?? 'default'} hamw ${train.hamWeight ?? 1}/${gramTrain.hamWeight ?? 1}`);
const seeds = listArg(args.seeds).map(Number);
if (!seeds.length) seeds.push(42, 7);
const driftSeeds = listArg(args['drift-seeds']).map(Number);
if (!driftSeeds.length && !args['no-drift']) driftSeeds.push(42);
let activeKeys = new Set(listArg(args.keys).length ? listArg(args.keys) : ['subject', 'body']);
const keyKind = (key: string) => (key[0] === 's' ? 'subject' : key[0] === 'f' ? 'sender' : 'body');
const variants = listArg(args.variants).length ? listArg(args.variants) : ['random', 'group', 'mix', 'time'];

const entries = readManifest(args.manifest);
const lines = readFileSync(args.manifest, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
const subsetCol = lines[0].split(',').indexOf('subset');
const subsets = lines.slice(1).map((l) => (subsetCol >= 0 ? l.split(',')[subsetCol] : ''));

const t0 = Date.now();
const probe = SpamModel.empty(train.hashBits);
const wordData: Bucketed[] = [];
const gramData: Bucketed[] = [];
const keyLists: string[][] = [];
const dates: number[] = [];
for (const e of entries) {
  const raw = readMessage(args.root as string, e);
  const mailFrom = mboxSender(raw);
  const f = extractFeatures({ message: raw, envelope: mailFrom ? { mailFrom } : undefined }, featureOptions);
  const label = e.label === 'spam' ? 1 : 0;
  wordData.push({ buckets: probe.buckets(f.names), label });
  gramData.push({ buckets: gramBuckets(f.grams as Uint32Array, train.gramBits), label });
  const p = parseMessage(raw);
  keyLists.push(campaignKeys(p.subject, p.from?.address ?? '', `${p.text}\n${p.htmlText}`));
  const d = p.headers.find((h) => h.name === 'date')?.value;
  const t = d ? Date.parse(d.replace(/\([^)]*\)/g, ' ')) : NaN;
  // Years outside the corpus's era are forged or broken dates: unknown.
  dates.push(Number.isFinite(t) && t > Date.UTC(1997, 0) && t < Date.UTC(2003, 6) ? t : NaN);
}
const labels = wordData.map((d) => d.label);
console.error(`featurised ${entries.length} in ${Date.now() - t0} ms`);

/**
 * Campaign keys of one message: the engine's (libs/spam-engine/src/campaign.ts: the normalised Subject, and
 * MinHash bands of the body's word 5-shingles) plus the From address lower-cased (`f:`, the sender key).
 */
function campaignKeys(subject: string, from: string, body: string): string[] {
  return [...engineCampaignKeys(subject, body), ...(from ? [`f:${from.toLowerCase()}`] : [])];
}

/** Connected components of the messages in idx linked by a shared key (union-find); returns a group id per position. */
function groupsOf(idx: readonly number[]): Int32Array {
  return campaignGroups(idx.map((i) => keyLists[i].filter((key) => activeKeys.has(keyKind(key)))));
}

/**
 * Grouped folds: whole groups to a fold. Groups in a seeded order, largest first; each to the fold that holds
 * fewest messages of the group's majority class (so the folds stay stratified).
 */
function groupedFolds(idx: readonly number[], seed: number, folds: number): Int32Array {
  const g = groupsOf(idx);
  const members = new Map<number, number[]>();
  g.forEach((id, k) => (members.get(id) ?? members.set(id, []).get(id)!).push(k));
  const random = seededRandom(seed + 2);
  const list = [...members.values()].map((m) => ({ m, r: random() }));
  list.sort((x, y) => y.m.length - x.m.length || x.r - y.r);
  const count = [new Array(folds).fill(0), new Array(folds).fill(0)];
  const fold = new Int32Array(idx.length);
  for (const { m } of list) {
    const spam = m.filter((k) => labels[idx[k]]).length;
    const cls = 2 * spam >= m.length ? 1 : 0;
    let best = 0;
    for (let f = 1; f < folds; f++) if (count[cls][f] < count[cls][best]) best = f;
    for (const k of m) {
      fold[k] = best;
      count[labels[idx[k]]][best]++;
    }
  }
  return fold;
}

function groupStats(idx: readonly number[]): string {
  const g = groupsOf(idx);
  const size = new Map<number, { n: number; spam: number }>();
  g.forEach((id, k) => {
    const s = size.get(id) ?? { n: 0, spam: 0 };
    s.n++;
    s.spam += labels[idx[k]];
    size.set(id, s);
  });
  const sizes = [...size.values()].sort((a, b) => b.n - a.n);
  const inGroups = sizes.filter((s) => s.n > 1).reduce((a, s) => a + s.n, 0);
  const mixed = sizes.filter((s) => s.spam && s.spam < s.n).reduce((a, s) => a + s.n, 0);
  return `${idx.length} messages, ${sizes.length} groups, ${inGroups} in groups of 2+, largest ${sizes.slice(0, 5).map((s) => `${s.n}(${s.spam} spam)`).join(' ')}, in mixed-label groups ${mixed}`;
}

/** Out-of-fold margins for a given fold assignment (fold −1: not scored, NaN). */
function foldMargins(data: readonly Bucketed[], fold: Int32Array, o: typeof train): Float64Array {
  const out = new Float64Array(data.length).fill(NaN);
  const folds = Math.max(...fold) + 1;
  for (let f = 0; f < folds; f++) {
    if (!fold.some((x) => x === f)) continue;
    const fit = fitBuckets(data.filter((_, i) => fold[i] !== f && fold[i] >= 0), o);
    data.forEach((ex, i) => {
      if (fold[i] === f) out[i] = margin(fit.weights, fit.bias, ex.buckets, o.normPower);
    });
  }
  return out;
}

/** Time-forward margins: chunk k (by Date) scored by models trained on chunks < k; chunk 0 and undated: NaN. */
function timeMargins(data: readonly Bucketed[], idx: readonly number[], o: typeof train, chunks = 5): Float64Array {
  const dated = idx.map((i, k) => ({ k, t: dates[i] })).filter((x) => Number.isFinite(x.t)).sort((a, b) => a.t - b.t);
  const chunk = new Int32Array(idx.length).fill(-1);
  dated.forEach((x, r) => (chunk[x.k] = Math.floor((r * chunks) / dated.length)));
  const out = new Float64Array(idx.length).fill(NaN);
  for (let c = 1; c < chunks; c++) {
    const fit = fitBuckets(data.filter((_, k) => chunk[k] >= 0 && chunk[k] < c), o);
    data.forEach((ex, k) => {
      if (chunk[k] === c) out[k] = margin(fit.weights, fit.bias, ex.buckets, o.normPower);
    });
  }
  return out;
}

type Cal = { a: number[]; b: number };
/** Calibrations of each variant, fitted on the margins of the messages idx (a subset of the manifest). */
function calibrations(idx: readonly number[], seed: number, randomMs: Float64Array[]): Record<string, Cal> {
  const ys = idx.map((i) => labels[i]);
  const out: Record<string, Cal> = {};
  out.random = fitStack(randomMs, ys);
  let groupMs: Float64Array[] | undefined;
  if (variants.includes('group') || variants.includes('mix')) {
    const fold = groupedFolds(idx, seed, train.folds);
    groupMs = [foldMargins(idx.map((i) => wordData[i]), fold, { ...train, seed }), foldMargins(idx.map((i) => gramData[i]), fold, { ...gramTrain, seed })];
    if (variants.includes('group')) out.group = fitStack(groupMs, ys);
    if (variants.includes('mix')) {
      const cat = (a: Float64Array, b: Float64Array) => Float64Array.from([...a, ...b]);
      out.mix = fitStack([cat(randomMs[0], groupMs[0]), cat(randomMs[1], groupMs[1])], [...ys, ...ys]);
    }
  }
  if (variants.includes('time')) {
    const tm = [timeMargins(idx.map((i) => wordData[i]), idx, { ...train, seed }), timeMargins(idx.map((i) => gramData[i]), idx, { ...gramTrain, seed })];
    const keep = idx.map((_, k) => k).filter((k) => Number.isFinite(tm[0][k]));
    out.time = fitStack(
      tm.map((m) => Float64Array.from(keep.map((k) => m[k]))),
      keep.map((k) => ys[k]),
    );
  }
  lastGroupMargins = groupMs;
  return out;
}
let lastGroupMargins: Float64Array[] | undefined;

const fmt = (c: Cal) => `a ${c.a.map((x) => x.toFixed(3)).join('/')} b ${c.b.toFixed(3)}`;
const all = entries.map((_, i) => i);
if (args.stats) {
  const chosen = activeKeys;
  for (const combo of [['subject'], ['sender'], ['body'], ['subject', 'body'], ['subject', 'sender', 'body']]) {
    activeKeys = new Set(combo);
    console.log(`groups (keys ${combo.join(',')}): ${groupStats(all)}`);
  }
  activeKeys = chosen;
  const dated = dates.filter(Number.isFinite).length;
  console.log(`dated ${dated} of ${dates.length}; undated ham ${dates.filter((t, i) => !Number.isFinite(t) && !labels[i]).length}, spam ${dates.filter((t, i) => !Number.isFinite(t) && labels[i]).length}`);
  process.exit(0);
}
console.log(`groups (keys ${[...activeKeys].join(',')}): ${groupStats(all)}`);
if (subsetCol >= 0) console.log(`groups in the older part: ${groupStats(all.filter((i) => !subsets[i].endsWith('_2')))}`);

type Row = Record<string, number>;
const inRows: Record<string, Row[]> = {};
const evalKeys = listArg(args['eval-keys']);
const evalRows: Record<string, Row[]> = {};
const grpRows: Record<string, Row[]> = {};
const rowOf = (z: number[], ys: number[]): Row => {
  const s = summarise(z.map(sigmoid), ys);
  return { auc: auc(z, ys), c01: caughtAtHamShare(z, ys, 0.001), c05: caughtAtHamShare(z, ys, 0.005), c90: s.at90.caught, f90: s.at90.flagged, c100: s.at100.caught, f100: s.at100.flagged };
};
const apply = (c: Cal, ms: Float64Array[], k: number) => ms.reduce((a, m, j) => a + c.a[j] * m[k], c.b);
for (const seed of seeds) {
  const randomMs = [outOfFoldBucketMargins(wordData, { ...train, seed }), outOfFoldBucketMargins(gramData, { ...gramTrain, seed })];
  const cals = calibrations(all, seed, randomMs);
  let evalMs: Float64Array[] | undefined;
  if (evalKeys.length) {
    const chosen = activeKeys;
    activeKeys = new Set(evalKeys);
    const fold = groupedFolds(all, seed, train.folds);
    activeKeys = chosen;
    evalMs = [foldMargins(wordData, fold, { ...train, seed }), foldMargins(gramData, fold, { ...gramTrain, seed })];
  }
  for (const [v, c] of Object.entries(cals)) {
    const z = all.map((k) => apply(c, randomMs, k));
    if (evalMs) (evalRows[v] ??= []).push(rowOf(all.map((k) => apply(c, evalMs as Float64Array[], k)), labels));
    (inRows[v] ??= []).push(rowOf(z, labels));
    if (lastGroupMargins) {
      const zg = all.map((k) => apply(c, lastGroupMargins as Float64Array[], k));
      (grpRows[v] ??= []).push(rowOf(zg, labels));
    }
    console.log(`  seed ${seed} ${v}: ${fmt(c)}`);
    if (args.reliability && seed === seeds[0]) reliability(z, labels);
  }
}

function reliability(z: number[], ys: number[]): void {
  const edges = [0, 0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999, 1.01];
  for (let b = 0; b + 1 < edges.length; b++) {
    const idx = z.map((_, i) => i).filter((i) => sigmoid(z[i]) >= edges[b] && sigmoid(z[i]) < edges[b + 1]);
    const spam = idx.filter((i) => ys[i]).length;
    const meanP = idx.reduce((a, i) => a + sigmoid(z[i]), 0) / (idx.length || 1);
    console.log(`    [${edges[b]}, ${edges[b + 1]}): ${idx.length} messages, ${spam} spam (${((spam / (idx.length || 1)) * 100).toFixed(1)}%), mean ${(meanP * 100).toFixed(1)}%`);
  }
}

const driftRows: Record<string, Row[]> = {};
if (subsetCol >= 0) {
  const older = all.filter((i) => !subsets[i].endsWith('_2'));
  const newer = all.filter((i) => subsets[i].endsWith('_2'));
  const ys = newer.map((i) => labels[i]);
  for (const seed of driftSeeds) {
    const wf = fitBuckets(older.map((i) => wordData[i]), { ...train, seed });
    const gf = fitBuckets(older.map((i) => gramData[i]), { ...gramTrain, seed });
    const randomMs = [outOfFoldBucketMargins(older.map((i) => wordData[i]), { ...train, seed }), outOfFoldBucketMargins(older.map((i) => gramData[i]), { ...gramTrain, seed })];
    const cals = calibrations(older, seed, randomMs);
    const mw = newer.map((i) => margin(wf.weights, wf.bias, wordData[i].buckets, train.normPower));
    const mg = newer.map((i) => margin(gf.weights, gf.bias, gramData[i].buckets, gramTrain.normPower));
    for (const [v, c] of Object.entries(cals)) {
      const z = newer.map((_, k) => c.a[0] * mw[k] + c.a[1] * mg[k] + c.b);
      const r = rowOf(z, ys);
      (driftRows[v] ??= []).push(r);
      console.log(`  drift seed ${seed} ${v}: ${fmt(c)} | auc ${r.auc.toFixed(5)} c01 ${(r.c01 * 100).toFixed(2)} c90 ${(r.c90 * 100).toFixed(2)}/${(r.f90 * 100).toFixed(2)} at100 ${(r.c100 * 100).toFixed(2)}/${(r.f100 * 100).toFixed(2)}`);
      if (args.reliability && seed === driftSeeds[0]) reliability(z, ys);
    }
  }
}

const meanOf = (rows: Row[], k: string) => rows.reduce((a, r) => a + r[k], 0) / rows.length;
const pc = (rows: Row[], k: string) => (meanOf(rows, k) * 100).toFixed(2);
for (const v of Object.keys(inRows)) {
  const r = inRows[v];
  const d = driftRows[v];
  const g = grpRows[v];
  console.log(
    `${v.padEnd(6)} seeds ${seeds.join(',')} | auc ${meanOf(r, 'auc').toFixed(5)} c01 ${pc(r, 'c01')} c05 ${pc(r, 'c05')} at90 ${pc(r, 'c90')}/${pc(r, 'f90')} at100 ${pc(r, 'c100')}/${pc(r, 'f100')}` +
      (evalRows[v] ? ` | on ${evalKeys.join('+')}-grouped oof: at90 ${pc(evalRows[v], 'c90')}/${pc(evalRows[v], 'f90')} at100 ${pc(evalRows[v], 'c100')}/${pc(evalRows[v], 'f100')}` : '') +
      (g ? ` | on grouped oof: at90 ${pc(g, 'c90')}/${pc(g, 'f90')} at100 ${pc(g, 'c100')}/${pc(g, 'f100')}` : '') +
      (d ? ` | drift (${driftSeeds.length} seeds) auc ${meanOf(d, 'auc').toFixed(5)} c01 ${pc(d, 'c01')} at90 ${pc(d, 'c90')}/${pc(d, 'f90')} at100 ${pc(d, 'c100')}/${pc(d, 'f100')}` : ''),
  );
}
