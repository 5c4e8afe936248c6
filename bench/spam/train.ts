/**
 * Builds the shipped spam model from a manifest of labelled messages, deterministically (seeded).
 *   node -r @swc-node/register bench/spam/train.ts --manifest /path/train.csv --root /path/corpus [--out FILE]
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { campaignKeys, extractFeatures, parseMessage, saveModel, trainModel, DEFAULT_TRAIN_OPTIONS, type Example } from '@torii/spam-engine';
import { parseArgs, readManifest, readMessage } from './corpus';
import { summarise } from './metrics';

const args = parseArgs(process.argv.slice(2));
if (typeof args.manifest !== 'string' || typeof args.root !== 'string') {
  console.error('usage: train --manifest FILE --root DIR [--out FILE] [--version NAME]');
  process.exit(2);
}
const out = typeof args.out === 'string' ? args.out : join(__dirname, '..', '..', 'libs', 'spam-engine', 'model', 'model.json');
const version = typeof args.version === 'string' ? args.version : 'sa-2002-lr7';
const options = {
  ...DEFAULT_TRAIN_OPTIONS,
  ...(typeof args.epochs === 'string' ? { epochs: Number(args.epochs) } : {}),
  ...(typeof args.eta === 'string' ? { eta: Number(args.eta) } : {}),
  ...(typeof args.l2 === 'string' ? { l2: Number(args.l2) } : {}),
  ...(typeof args.bits === 'string' ? { hashBits: Number(args.bits) } : {}),
  ...(typeof args.bags === 'string' ? { bags: Number(args.bags) } : {}),
  ...(typeof args.gramBits === 'string' ? { gramBits: Number(args.gramBits) } : {}),
  // --calibration-folds random|campaign|both (round 8: both)
  ...(typeof args['calibration-folds'] === 'string' ? { calibrationFolds: args['calibration-folds'] as 'random' | 'campaign' | 'both' } : {}),
};

const entries = readManifest(args.manifest);
const started = Date.now();
const examples: Example[] = entries.map((e) => {
  const raw = readMessage(args.root as string, e);
  const f = extractFeatures({ message: raw });
  // Campaign keys (normalised Subject, near-duplicate text) for the calibration's campaign folds (round 8).
  const p = parseMessage(raw);
  return { names: f.names, grams: f.grams, label: e.label === 'spam' ? 1 : 0, campaign: campaignKeys(p.subject, `${p.text}\n${p.htmlText}`) };
});
console.log(`featurised ${examples.length} messages in ${Date.now() - started} ms`);
const result = trainModel(examples, { version, notes: `trained on ${args.manifest}` }, options);
const { a, b, g = 0 } = result.calibration;
const gm = result.oofGramMargins;
const oof = summarise(
  Array.from(result.oofMargins, (m, i) => 1 / (1 + Math.exp(-(a * m + (gm ? g * gm[i] : 0) + b)))),
  examples.map((e) => e.label),
);
console.log(`calibration (${options.calibrationFolds} folds) a=${a.toFixed(4)} g=${g.toFixed(4)} b=${b.toFixed(4)}; random ${options.folds}-fold out-of-fold margins with it:`);
console.log(JSON.stringify(oof));
if (result.campaignMargins) {
  const cg = result.campaignGramMargins;
  const camp = summarise(
    Array.from(result.campaignMargins, (m, i) => 1 / (1 + Math.exp(-(a * m + (cg ? g * cg[i] : 0) + b)))),
    examples.map((e) => e.label),
  );
  console.log(`out-of-campaign margins (${options.folds} campaign folds) with it:`);
  console.log(JSON.stringify(camp));
}
if (!args['dry-run']) {
  mkdirSync(dirname(out), { recursive: true });
  saveModel(result.model, out);
  console.log(`wrote ${out} in ${Date.now() - started} ms`);
}
