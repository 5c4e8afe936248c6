/**
 * Round 9: an "evidence amount" input to the stacked calibration. For every message and each base model, how much
 * of the message the model that scores it actually knows: the count of its buckets whose weight is non-zero
 * (|w| ≥ 1e-3, what train.ts's pruning keeps), out of all of them. These enter the stack as extra inputs or as
 * interactions with the margins (so that a message the model barely recognises can be pulled towards the prior).
 * Every margin set is computed together with its own fold model's evidence: random 5-fold (as cv-calib's random),
 * campaign-grouped (subject, body; as lr7's 'both'), sender-grouped (held out by From address), and the drift check
 * (older folders → newer ones, everything fitted on the older part). Every design's calibration is fitted on the
 * random + campaign sets together (lr7's 'both'), then read on the random set (in-distribution), the campaign set,
 * the sender set and the drift check.
 *   node -r @swc-node/register bench/spam/cv-evidence.ts --manifest train.csv --root DIR [--seeds 42,7]
 *        [--drift-seeds 42,43,44,45 | --no-drift] [--designs base,shareInt,...] [--fit both|random|campaign|three]
 * --fit three: the random, campaign and sender-grouped margins together (3n points; round 9, idea 2).
 *        [--dump N] [--drop-sender domain|word|gram|all]
 * --drop-sender (round 9, idea 2): the sender's identity left out of the base models' features: `domain` the From
 * domain and base domain (fd:, fb:), `word` every From feature of the word model (fn: fd: fb: fl: fa: ft:), `gram`
 * the grams first seen in the gram text's From: and Reply-To: lines, `all` both.
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
const gramTrain = { ...train, hashBits: train.gramBits, nbBlend: 0, normPower: train.gramNormPower };
const seeds = listArg(args.seeds).map(Number);
if (!seeds.length) seeds.push(42, 7);
const driftSeeds = listArg(args['drift-seeds']).map(Number);
if (!driftSeeds.length && !args['no-drift']) driftSeeds.push(42);
let activeKeys = new Set(listArg(args.keys).length ? listArg(args.keys) : ['subject', 'body']);
const keyKind = (key: string) => (key[0] === 's' ? 'subject' : key[0] === 'f' ? 'sender' : 'body');

const entries = readManifest(args.manifest);
const lines = readFileSync(args.manifest, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
const subsetCol = lines[0].split(',').indexOf('subset');
const subsets = lines.slice(1).map((l) => (subsetCol >= 0 ? l.split(',')[subsetCol] : ''));

const t0 = Date.now();
const probe = SpamModel.empty(train.hashBits);
const wordData: Bucketed[] = [];
const gramData: Bucketed[] = [];
const keyLists: string[][] = [];
const senderPos: Uint8Array[] = [];
const SENDER_PREFIXES = ['fn:', 'fd:', 'fb:', 'fl:', 'fa:', 'ft:'];
const dropSender = typeof args['drop-sender'] === 'string' ? args['drop-sender'] : '';
const dates: number[] = [];
for (const e of entries) {
  const raw = readMessage(args.root as string, e);
  const mailFrom = mboxSender(raw);
  const f = extractFeatures({ message: raw, envelope: mailFrom ? { mailFrom } : undefined }, DEFAULT_FEATURE_OPTIONS);
  const label = e.label === 'spam' ? 1 : 0;
  // --drop-sender: the sender's identity left out of the features (training and scoring alike).
  const dropWord = dropSender === 'domain' ? ['fd:', 'fb:'] : dropSender === 'word' || dropSender === 'all' ? SENDER_PREFIXES : [];
  const names = dropWord.length ? f.names.filter((n) => !dropWord.some((p) => n.startsWith(p))) : f.names;
  wordData.push({ buckets: probe.buckets(names), label });
  senderPos.push(Uint8Array.from(names.map((n) => (SENDER_PREFIXES.some((p) => n.startsWith(p)) ? 1 : 0))));
  let grams = f.grams as Uint32Array;
  if ((dropSender === 'gram' || dropSender === 'all') && f.gramText && f.gramAt) {
    // Grams first seen in the From: and Reply-To: lines of the gram text.
    const spans: [number, number][] = [];
    for (const m of f.gramText.matchAll(/^(?:from|reply-to): [^\n]*$/gm)) spans.push([m.index as number, (m.index as number) + m[0].length]);
    const at = f.gramAt;
    grams = grams.filter((_, i) => !spans.some(([a, b]) => at[i] !== 0xffffffff && at[i] + 6 > a && at[i] < b));
  }
  gramData.push({ buckets: gramBuckets(grams, train.gramBits), label });
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


const KNOWN = 1e-3;
/** One model's scores of some messages: margin, buckets known to the scoring model, all buckets, and the sender features' known / all. */
interface Scored {
  m: Float64Array;
  known: Float64Array;
  n: Float64Array;
  sKnown: Float64Array;
  sN: Float64Array;
}
const newScored = (len: number): Scored => ({ m: new Float64Array(len).fill(NaN), known: new Float64Array(len), n: new Float64Array(len), sKnown: new Float64Array(len), sN: new Float64Array(len) });

function scoreInto(out: Scored, k: number, w: Float32Array, bias: number, ex: Bucketed, power: number | undefined, sender?: Uint8Array): void {
  const b = ex.buckets;
  let s = 0;
  let known = 0;
  let sKnown = 0;
  let sN = 0;
  for (let i = 0; i < b.length; i++) {
    const v = w[b[i]];
    s += v;
    const kn = Math.abs(v) >= KNOWN ? 1 : 0;
    known += kn;
    if (sender && sender[i]) (sN++, (sKnown += kn));
  }
  const x = !b.length ? 0 : power === undefined || power === 0.5 ? 1 / Math.sqrt(Math.max(b.length, 64)) : 1 / Math.pow(Math.max(b.length, 64), power);
  out.m[k] = bias + s * x;
  out.known[k] = known;
  out.n[k] = b.length;
  out.sKnown[k] = sKnown;
  out.sN[k] = sN;
}

/** The engine's random folds (outOfFoldBucketMargins): shuffled by seed + 1, position mod folds. */
function randomFolds(len: number, seed: number, folds: number): Int32Array {
  const order = Array.from({ length: len }, (_, i) => i);
  const random = seededRandom(seed + 1);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const fold = new Int32Array(len);
  order.forEach((idx, k) => (fold[idx] = k % folds));
  return fold;
}

/** Out-of-fold scores of the messages idx, for both models. */
function foldScores(idx: readonly number[], fold: Int32Array, seed: number): [Scored, Scored] {
  const out: [Scored, Scored] = [newScored(idx.length), newScored(idx.length)];
  const folds = Math.max(...fold) + 1;
  for (const [j, data, o] of [[0, wordData, { ...train, seed }], [1, gramData, { ...gramTrain, seed }]] as const) {
    const sub = idx.map((i) => data[i]);
    for (let f = 0; f < folds; f++) {
      if (!fold.some((x) => x === f)) continue;
      const fit = fitBuckets(sub.filter((_, k) => fold[k] !== f), o);
      idx.forEach((i, k) => {
        if (fold[k] === f) scoreInto(out[j], k, fit.weights, fit.bias, data[i], o.normPower, j === 0 ? senderPos[i] : undefined);
      });
    }
  }
  return out;
}

/** Stack inputs of one design for message k of a scored set. */
type Design = (w: Scored, g: Scored, k: number) => number[];
const share = (s: Scored, k: number) => (s.n[k] ? s.known[k] / s.n[k] : 0);
const logKnown = (s: Scored, k: number) => Math.log1p(s.known[k]) / Math.log(1000);
const senderShare = (s: Scored, k: number) => (s.sN[k] ? s.sKnown[k] / s.sN[k] : 0.5);
const designs: Record<string, Design> = {
  base: (w, g, k) => [w.m[k], g.m[k]],
  shareAdd: (w, g, k) => [w.m[k], g.m[k], share(w, k), share(g, k)],
  shareInt: (w, g, k) => [w.m[k], g.m[k], w.m[k] * share(w, k), g.m[k] * share(g, k)],
  shareBoth: (w, g, k) => [w.m[k], g.m[k], share(w, k), share(g, k), w.m[k] * share(w, k), g.m[k] * share(g, k)],
  logkInt: (w, g, k) => [w.m[k], g.m[k], w.m[k] * logKnown(w, k), g.m[k] * logKnown(g, k)],
  logkAdd: (w, g, k) => [w.m[k], g.m[k], logKnown(w, k), logKnown(g, k)],
  logkBoth: (w, g, k) => [w.m[k], g.m[k], logKnown(w, k), logKnown(g, k), w.m[k] * logKnown(w, k), g.m[k] * logKnown(g, k)],
  // The margins scaled by the share known before the stack: m·s only (the slope is zero at share 0: the prior).
  shareOnly: (w, g, k) => [w.m[k] * share(w, k), g.m[k] * share(g, k)],
  wordShareInt: (w, g, k) => [w.m[k], g.m[k], w.m[k] * share(w, k)],
  gramShareInt: (w, g, k) => [w.m[k], g.m[k], g.m[k] * share(g, k)],
  senderAdd: (w, g, k) => [w.m[k], g.m[k], senderShare(w, k)],
  senderInt: (w, g, k) => [w.m[k], g.m[k], w.m[k] * senderShare(w, k), g.m[k] * senderShare(w, k)],
};
const chosenDesigns = listArg(args.designs).length ? listArg(args.designs) : Object.keys(designs);
const fitOn = typeof args.fit === 'string' ? args.fit : 'both';

type Cal = { a: number[]; b: number };
const matrix = (d: Design, sets: [Scored, Scored][], len: number) => {
  const cols: number[][] = [];
  for (const [w, g] of sets)
    for (let k = 0; k < len; k++) {
      const x = d(w, g, k);
      x.forEach((v, j) => (cols[j] ??= []).push(v));
    }
  return cols.map((c) => Float64Array.from(c));
};
function fitDesign(d: Design, R: [Scored, Scored], C: [Scored, Scored], ys: number[], S?: [Scored, Scored]): Cal {
  const sets = fitOn === 'random' ? [R] : fitOn === 'campaign' ? [C] : fitOn === 'three' && S ? [R, C, S] : [R, C];
  const labels = sets.flatMap(() => ys);
  return fitStack(matrix(d, sets, ys.length), labels);
}
const zOf = (c: Cal, d: Design, set: [Scored, Scored], len: number) => Array.from({ length: len }, (_, k) => d(set[0], set[1], k).reduce((a, x, j) => a + c.a[j] * x, c.b));

type Row = Record<string, number>;
const rowOf = (z: number[], ys: number[]): Row => {
  const s = summarise(z.map(sigmoid), ys);
  return { auc: auc(z, ys), c01: caughtAtHamShare(z, ys, 0.001), c90: s.at90.caught, f90: s.at90.flagged, c100: s.at100.caught, f100: s.at100.flagged, nf90: Math.round(s.at90.flagged * s.ham) };
};
const rows: Record<string, Record<string, Row[]>> = {};
const push = (d: string, set: string, r: Row) => (((rows[d] ??= {})[set] ??= []).push(r));
const fmt = (c: Cal) => `a ${c.a.map((x) => x.toFixed(3)).join('/')} b ${c.b.toFixed(3)}`;

const all = entries.map((_, i) => i);
console.log(`groups (keys ${[...activeKeys].join(',')}): ${groupStats(all)}`);
const dumpN = Number(args.dump ?? 0);
for (const seed of seeds) {
  const t = Date.now();
  const R = foldScores(all, randomFolds(all.length, seed, train.folds), seed);
  const C = foldScores(all, groupedFolds(all, seed, train.folds), seed);
  const chosen = activeKeys;
  activeKeys = new Set(['sender']);
  const S = foldScores(all, groupedFolds(all, seed, train.folds), seed);
  activeKeys = chosen;
  console.error(`seed ${seed}: scored in ${Date.now() - t} ms`);
  const stat = (set: [Scored, Scored], name: string) => {
    for (const y of [0, 1]) {
      const ix = all.filter((i) => labels[i] === y);
      const mean = (f: (k: number) => number) => (ix.reduce((a, k) => a + f(k), 0) / ix.length).toFixed(3);
      console.log(`  seed ${seed} ${name} ${y ? 'spam' : 'ham '}: word share ${mean((k) => share(set[0], k))} gram share ${mean((k) => share(set[1], k))} sender share ${mean((k) => senderShare(set[0], k))} log-known w ${mean((k) => logKnown(set[0], k))} g ${mean((k) => logKnown(set[1], k))}`);
    }
  };
  stat(R, 'random'); stat(C, 'campaign'); stat(S, 'sender');
  for (const name of chosenDesigns) {
    const d = designs[name];
    const c = fitDesign(d, R, C, labels, S);
    console.log(`  seed ${seed} ${name}: ${fmt(c)}`);
    push(name, 'in', rowOf(zOf(c, d, R, all.length), labels));
    push(name, 'camp', rowOf(zOf(c, d, C, all.length), labels));
    const zs = zOf(c, d, S, all.length);
    push(name, 'sender', rowOf(zs, labels));
    if (dumpN && seed === seeds[0]) {
      const ham = all.filter((i) => !labels[i] && sigmoid(zs[i]) >= 0.8).sort((x, y) => zs[y] - zs[x]).slice(0, dumpN);
      for (const i of ham) console.log(`    ${name} sender-held-out ham ${(sigmoid(zs[i]) * 100).toFixed(2)}% ${entries[i].path} share w ${share(S[0], i).toFixed(2)} g ${share(S[1], i).toFixed(2)} sender ${senderShare(S[0], i).toFixed(2)} n ${S[0].n[i]}/${S[1].n[i]}`);
    }
  }
}

if (subsetCol >= 0) {
  const older = all.filter((i) => !subsets[i].endsWith('_2'));
  const newer = all.filter((i) => subsets[i].endsWith('_2'));
  const ysO = older.map((i) => labels[i]);
  const ys = newer.map((i) => labels[i]);
  for (const seed of driftSeeds) {
    const R = foldScores(older, randomFolds(older.length, seed, train.folds), seed);
    const C = foldScores(older, groupedFolds(older, seed, train.folds), seed);
    let S: [Scored, Scored] | undefined;
    if (fitOn === 'three') {
      const chosen = activeKeys;
      activeKeys = new Set(['sender']);
      S = foldScores(older, groupedFolds(older, seed, train.folds), seed);
      activeKeys = chosen;
    }
    const N: [Scored, Scored] = [newScored(newer.length), newScored(newer.length)];
    const wf = fitBuckets(older.map((i) => wordData[i]), { ...train, seed });
    const gf = fitBuckets(older.map((i) => gramData[i]), { ...gramTrain, seed });
    newer.forEach((i, k) => {
      scoreInto(N[0], k, wf.weights, wf.bias, wordData[i], train.normPower, senderPos[i]);
      scoreInto(N[1], k, gf.weights, gf.bias, gramData[i], gramTrain.normPower);
    });
    for (const name of chosenDesigns) {
      const d = designs[name];
      const c = fitDesign(d, R, C, ysO, S);
      const r = rowOf(zOf(c, d, N, newer.length), ys);
      push(name, 'drift', r);
      console.log(`  drift seed ${seed} ${name}: ${fmt(c)} | auc ${r.auc.toFixed(5)} c01 ${(r.c01 * 100).toFixed(2)} c90 ${(r.c90 * 100).toFixed(2)}/${(r.f90 * 100).toFixed(2)} at100 ${(r.c100 * 100).toFixed(2)}/${(r.f100 * 100).toFixed(2)}`);
    }
  }
}

const meanOf = (rs: Row[], k: string) => rs.reduce((a, r) => a + r[k], 0) / rs.length;
const pc = (rs: Row[], k: string) => (meanOf(rs, k) * 100).toFixed(2);
console.log(`fit on ${fitOn}; seeds ${seeds.join(',')}; drift seeds ${driftSeeds.join(',')}`);
for (const name of chosenDesigns) {
  const r = rows[name];
  const part = (set: string) => (r[set] ? `${pc(r[set], 'c90')}/${pc(r[set], 'f90')} (${r[set].map((x) => x.nf90).join('+')} ham) at100 ${pc(r[set], 'c100')}/${pc(r[set], 'f100')}` : '-');
  console.log(
    `${name.padEnd(12)} | in auc ${meanOf(r.in, 'auc').toFixed(5)} c01 ${pc(r.in, 'c01')} at90 ${part('in')} | campaign at90 ${part('camp')} | sender at90 ${part('sender')}` +
      (r.drift ? ` | drift auc ${meanOf(r.drift, 'auc').toFixed(5)} c01 ${pc(r.drift, 'c01')} at90 ${part('drift')}` : ''),
  );
}
