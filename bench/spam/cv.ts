/**
 * Cross-validation on a training manifest, for choosing features and training options WITHOUT the dev split.
 *   node -r @swc-node/register bench/spam/cv.ts --manifest train.csv --root DIR [--features a,b] [--no-features a]
 *        [--epochs N] [--eta X] [--l2 X] [--bits N] [--seeds 42,7] [--drift-seeds 42,43,44,45]
 * Prints, per run: out-of-fold AUC, spam caught at ≤0.1% and ≤0.5% ham (ranking only), the 90% / 100% figures
 * after a Platt fit on the same out-of-fold margins, and a drift check inside the manifest: trained on the older
 * folders (easy_ham, hard_ham, spam), scored on the newer ones (easy_ham_2, hard_ham_2, spam_2).
 * With the rawGrams feature group on (the default) the character-gram model is trained beside the word model and
 * the figures are those of the stack σ(a·m_word + g·m_gram + b) fitted on the out-of-fold margins, as trainModel
 * does; `--no-features rawGrams` gives the word model alone with Platt scaling.
 */
import { readFileSync } from 'node:fs';
import {
  DEFAULT_FEATURE_OPTIONS,
  DEFAULT_TRAIN_OPTIONS,
  extractFeatures,
  FORM_FEATURE_RE,
  fitBuckets,
  fitLinear,
  fitStack,
  gramBuckets,
  margin,
  outOfFoldBucketMargins,
  outOfFoldMargins,
  sigmoid,
  type Example,
  type FeatureOptions,
} from '@torii/spam-engine';
import { listArg, mboxSender, parseArgs, readManifest, readMessage } from './corpus';
import { auc, caughtAtHamShare, summarise } from './metrics';

const args = parseArgs(process.argv.slice(2));
if (typeof args.manifest !== 'string' || typeof args.root !== 'string') {
  console.error('usage: cv --manifest FILE --root DIR [--features a,b] [--no-features a,b] [--epochs N] [--eta X] [--l2 X] [--bits N] [--seeds 42,7]');
  process.exit(2);
}
const features: FeatureOptions = { ...DEFAULT_FEATURE_OPTIONS };
for (const f of listArg(args.features)) (features as unknown as Record<string, boolean>)[f] = true;
for (const f of listArg(args['no-features'])) (features as unknown as Record<string, boolean>)[f] = false;
// Round 10: --osb N (OSB word pairs at distances 2 … N), --osb-place words|grams, --max-features N.
if (typeof args.osb === 'string') features.osb = Number(args.osb);
if (args['osb-place'] === 'grams' || args['osb-place'] === 'words') features.osbPlace = args['osb-place'];
if (typeof args['max-features'] === 'string') features.maxFeatures = Number(args['max-features']);
const num = (k: string) => (typeof args[k] === 'string' ? { [k]: Number(args[k]) } : {});
const train: typeof DEFAULT_TRAIN_OPTIONS = { ...DEFAULT_TRAIN_OPTIONS, ...num('epochs'), ...num('eta'), ...num('l2'), ...num('bags'), ...num('nbBlend'), ...num('gramBits'), ...(typeof args.bits === 'string' ? { hashBits: Number(args.bits) } : {}) };
// --loss hinge / --gram-loss hinge (round 7): a relaxed online SVM in the word / gram model; --gram-l2 X: the gram model's L2.
if (args.loss === 'hinge') train.loss = 'hinge';
if (typeof args.norm === 'string') train.normPower = Number(args.norm);
// Round 10: --ham-weight X / --gram-ham-weight X: the loss weight of a ham example in the word / gram model.
if (typeof args['ham-weight'] === 'string') train.hamWeight = Number(args['ham-weight']);
const gramTrain = { ...train, hamWeight: typeof args['gram-ham-weight'] === 'string' ? Number(args['gram-ham-weight']) : undefined, hashBits: train.gramBits, nbBlend: 0, ...(args['gram-loss'] === 'hinge' ? { loss: 'hinge' as const } : {}), ...(typeof args['gram-l2'] === 'string' ? { l2: Number(args['gram-l2']) } : {}), normPower: typeof args['gram-norm'] === 'string' ? Number(args['gram-norm']) : train.gramNormPower };
const seeds = listArg(args.seeds).map(Number);
if (!seeds.length) seeds.push(42, 7);

// The subset column (original folder) is optional: only the drift check needs it.
const entries = readManifest(args.manifest);
const lines = readFileSync(args.manifest, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
const subsetCol = lines[0].split(',').indexOf('subset');
const subsets = lines.slice(1).map((l) => (subsetCol >= 0 ? l.split(',')[subsetCol] : ''));

const examples: Example[] = entries.map((e) => {
  const raw = readMessage(args.root as string, e);
  const mailFrom = mboxSender(raw);
  const f = extractFeatures({ message: raw, envelope: mailFrom ? { mailFrom } : undefined }, features);
  return { names: f.names, grams: f.grams, label: e.label === 'spam' ? 1 : 0 };
});
const labels = examples.map((e) => e.label);
// --form-model also|move: a third model on the form features only (round 5, not kept; `move` takes them out of the
// word model). --form-l2 X: its L2.
const formMode = typeof args['form-model'] === 'string' ? args['form-model'] : '';
const formExamples: Example[] = formMode ? examples.map((e) => ({ names: e.names.filter((n) => FORM_FEATURE_RE.test(n)), label: e.label })) : [];
if (formMode === 'move') for (const e of examples) (e as { names: readonly string[] }).names = e.names.filter((n) => !FORM_FEATURE_RE.test(n));
const formTrain = { ...train, ...(typeof args['form-l2'] === 'string' ? { l2: Number(args['form-l2']) } : {}) };
const withGrams = features.rawGrams && train.gramBits > 0;
const gramData = withGrams ? examples.map((e) => ({ buckets: gramBuckets(e.grams as Uint32Array, train.gramBits), label: e.label })) : [];

/** Out-of-fold stacked log-odds (or the word margins alone), and the calibration fitted on them. */
function oof(idx: number[], seed: number): { z: number[]; cal: { a: number[]; b: number } } {
  const ys = idx.map((i) => labels[i]);
  const ms: Float64Array[] = [outOfFoldMargins(idx.map((i) => examples[i]), { ...train, seed })];
  if (withGrams) ms.push(outOfFoldBucketMargins(idx.map((i) => gramData[i]), { ...gramTrain, seed }));
  if (formMode) ms.push(outOfFoldMargins(idx.map((i) => formExamples[i]), { ...formTrain, seed }));
  const cal = fitStack(ms, ys);
  return { z: idx.map((_, k) => ms.reduce((a, m, j) => a + cal.a[j] * m[k], cal.b)), cal };
}

const rows: Record<string, number>[] = [];
for (const seed of seeds) {
  // m: out-of-fold calibrated log-odds (the stack, or Platt on the word margins).
  const { z: m } = oof(examples.map((_, i) => i), seed);
  const cal = { a: 1, b: 0 };
  const s = summarise(Array.from(m, (x) => sigmoid(x)), labels);
  if (args.dump && seed === seeds[0]) {
    const order = Array.from(m.keys()).sort((x, y) => m[y] - m[x]);
    const top = order.filter((i) => !labels[i]).slice(0, 12);
    const low = order.filter((i) => labels[i]).reverse().slice(0, 25);
    for (const i of [...top, ...low]) console.log(`${labels[i] ? 'spam' : 'ham '} ${(100 * sigmoid(cal.a * m[i] + cal.b)).toFixed(2)} ${subsets[i]} ${entries[i].path}`);
  }
  if (args.reliability && seed === seeds[0]) {
    // Calibration check: in each band of the calibrated score, how many messages and how many are spam.
    const edges = [0, 0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999, 1.01];
    for (let b = 0; b + 1 < edges.length; b++) {
      const idx = Array.from(m.keys()).filter((i) => {
        const p = sigmoid(cal.a * m[i] + cal.b);
        return p >= edges[b] && p < edges[b + 1];
      });
      const spam = idx.filter((i) => labels[i]).length;
      const meanP = idx.reduce((a, i) => a + sigmoid(cal.a * m[i] + cal.b), 0) / (idx.length || 1);
      console.log(`  [${edges[b]}, ${edges[b + 1]}): ${idx.length} messages, ${spam} spam (${((spam / (idx.length || 1)) * 100).toFixed(1)}%), mean score ${(meanP * 100).toFixed(1)}%`);
    }
  }
  rows.push({ auc: auc(Array.from(m), labels), c01: caughtAtHamShare(m, labels, 0.001), c05: caughtAtHamShare(m, labels, 0.005), c90: s.at90.caught, f90: s.at90.flagged, c100: s.at100.caught, f100: s.at100.flagged });
}
const mean = (k: string) => rows.reduce((a, r) => a + r[k], 0) / rows.length;

let drift = '';
if (subsetCol >= 0) {
  const olderIdx = examples.map((_, i) => i).filter((i) => !subsets[i].endsWith('_2'));
  const newerIdx = examples.map((_, i) => i).filter((i) => subsets[i].endsWith('_2'));
  const ys = newerIdx.map((i) => labels[i]);
  // --drift-seeds 42,43,44,45: the drift check averaged over several seeds of the training order (default: the
  // training seed alone, as in rounds 2–5). One order's drift figures move by points from seed to seed (round 6).
  const driftSeeds = listArg(args['drift-seeds']).map(Number);
  if (!driftSeeds.length) driftSeeds.push(train.seed);
  const line = (r: Record<string, number>) => `auc ${r.auc.toFixed(5)} c01 ${(r.c01 * 100).toFixed(2)} c90 ${(r.c90 * 100).toFixed(2)}/${(r.f90 * 100).toFixed(2)} at100 ${(r.c100 * 100).toFixed(2)}`;
  const driftRows: Record<string, number>[] = [];
  for (const seed of driftSeeds) {
    const fitted = fitLinear(olderIdx.map((i) => examples[i]), { ...train, seed });
    const { cal } = oof(olderIdx, seed);
    const gramFit = withGrams ? fitBuckets(olderIdx.map((i) => gramData[i]), { ...gramTrain, seed }) : undefined;
    const formFit = formMode ? fitLinear(olderIdx.map((i) => formExamples[i]), { ...formTrain, seed }) : undefined;
    const margins = newerIdx.map((i) => cal.a[0] * fitted.margin(examples[i].names) + (gramFit ? cal.a[1] * margin(gramFit.weights, gramFit.bias, gramData[i].buckets, gramTrain.normPower) : 0) + (formFit ? cal.a[cal.a.length - 1] * formFit.margin(formExamples[i].names) : 0) + cal.b);
    const s = summarise(margins.map((x) => sigmoid(x)), ys);
    driftRows.push({ auc: auc(margins, ys), c01: caughtAtHamShare(margins, ys, 0.001), c90: s.at90.caught, f90: s.at90.flagged, c100: s.at100.caught });
    if (driftSeeds.length > 1) console.log(`  drift seed ${seed}: ${line(driftRows[driftRows.length - 1])}`);
  }
  const average = Object.fromEntries(Object.keys(driftRows[0]).map((k) => [k, driftRows.reduce((a, r) => a + r[k], 0) / driftRows.length]));
  drift = ` | drift${driftSeeds.length > 1 ? ` (${driftSeeds.length} seeds)` : ''} ${line(average)}`;
}
const pc = (k: string) => (mean(k) * 100).toFixed(2);
const on = Object.entries(features).filter(([, v]) => v).map(([k]) => k).join(',');
console.log(
  `${features.osb ? `osb ${features.osb}:${features.osbPlace ?? 'words'} ` : ''}${features.maxFeatures ? `maxf ${features.maxFeatures} ` : ''}${train.hamWeight !== undefined || gramTrain.hamWeight !== undefined ? `hamw ${train.hamWeight ?? 1}/${gramTrain.hamWeight ?? 1} ` : ''}${formMode ? `form:${formMode} l2 ${formTrain.l2} ` : ''}${train.loss === 'hinge' ? 'loss:hinge ' : ''}${train.normPower !== undefined ? `word-norm ${train.normPower} ` : ''}${gramTrain.loss === 'hinge' ? `gram-loss:hinge l2 ${gramTrain.l2} ` : ''}${withGrams ? `gram-norm ${gramTrain.normPower} ` : ''}[${on}] e${train.epochs} eta${train.eta} l2 ${train.l2} b${train.hashBits}${withGrams ? ` grams b${train.gramBits}` : ''} bags${train.bags} nb${train.nbBlend} | auc ${mean('auc').toFixed(5)} c01 ${pc('c01')} c05 ${pc('c05')} at90 ${pc('c90')}/${pc('f90')} at100 ${pc('c100')}/${pc('f100')}${drift}`,
);
