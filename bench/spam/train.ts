/**
 * Builds the shipped spam model from a manifest of labelled messages, deterministically (seeded).
 *   node -r @swc-node/register bench/spam/train.ts --manifest /path/train.csv --root /path/corpus [--out FILE]
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { extractFeatures, saveModel, trainModel, DEFAULT_TRAIN_OPTIONS, type Example } from '@torii/spam-engine';
import { parseArgs, readManifest, readMessage } from './corpus';
import { summarise } from './metrics';

const args = parseArgs(process.argv.slice(2));
if (typeof args.manifest !== 'string' || typeof args.root !== 'string') {
  console.error('usage: train --manifest FILE --root DIR [--out FILE] [--version NAME]');
  process.exit(2);
}
const out = typeof args.out === 'string' ? args.out : join(__dirname, '..', '..', 'libs', 'spam-engine', 'model', 'model.json');
const version = typeof args.version === 'string' ? args.version : 'sa-2002-lr6';
const options = {
  ...DEFAULT_TRAIN_OPTIONS,
  ...(typeof args.epochs === 'string' ? { epochs: Number(args.epochs) } : {}),
  ...(typeof args.eta === 'string' ? { eta: Number(args.eta) } : {}),
  ...(typeof args.l2 === 'string' ? { l2: Number(args.l2) } : {}),
  ...(typeof args.bits === 'string' ? { hashBits: Number(args.bits) } : {}),
  ...(typeof args.bags === 'string' ? { bags: Number(args.bags) } : {}),
  ...(typeof args.gramBits === 'string' ? { gramBits: Number(args.gramBits) } : {}),
};

const entries = readManifest(args.manifest);
const started = Date.now();
const examples: Example[] = entries.map((e) => {
  const f = extractFeatures({ message: readMessage(args.root as string, e) });
  return { names: f.names, grams: f.grams, label: e.label === 'spam' ? 1 : 0 };
});
console.log(`featurised ${examples.length} messages in ${Date.now() - started} ms`);
const result = trainModel(examples, { version, notes: `trained on ${args.manifest}` }, options);
const { a, b, g = 0 } = result.calibration;
const gm = result.oofGramMargins;
const oof = summarise(
  Array.from(result.oofMargins, (m, i) => 1 / (1 + Math.exp(-(a * m + (gm ? g * gm[i] : 0) + b)))),
  examples.map((e) => e.label),
);
console.log(`out-of-fold (${options.folds}-fold on the training manifest), calibration a=${a.toFixed(4)} g=${g.toFixed(4)} b=${b.toFixed(4)}:`);
console.log(JSON.stringify(oof));
if (!args['dry-run']) {
  mkdirSync(dirname(out), { recursive: true });
  saveModel(result.model, out);
  console.log(`wrote ${out} in ${Date.now() - started} ms`);
}
