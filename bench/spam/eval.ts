/**
 * Scores a manifest's messages with the spam engine and prints the figures of SPAM16.
 *   npm run spam:eval -- --manifest FILE --root DIR [--online] [--model PATH] [--empty]
 * --online plays the TREC spam-track protocol: in manifest order each message is scored, then learned with
 * its true label through the SPAM14 feedback path (one tenant's correction, SpamEngine.learnDelta(), as a
 * tenant's reports teach it; evaluate.ts). --empty starts from an empty model.
 * CPU time counts parsing + features + scoring only (process.cpuUsage), not reading files.
 */
import { DEFAULT_MODEL_PATH, SpamEngine, SpamModel } from '@torii/spam-engine';
import { parseArgs, readManifest } from './corpus';
import { scoreEntries } from './evaluate';
import { summarise } from './metrics';

const args = parseArgs(process.argv.slice(2));
if (typeof args.manifest !== 'string' || typeof args.root !== 'string') {
  console.error('usage: eval --manifest FILE --root DIR [--online [--delta-rate X]] [--model PATH] [--empty]');
  process.exit(2);
}
const modelPath = typeof args.model === 'string' ? args.model : DEFAULT_MODEL_PATH;
const engine = args.empty ? new SpamEngine(SpamModel.empty()) : SpamEngine.load(modelPath);
const online = args.online === true;
// --delta-rate X: the tenant step's learning rate for this run (the model's meta.deltaLearningRate otherwise).
if (typeof args['delta-rate'] === 'string') engine.model.meta.deltaLearningRate = Number(args['delta-rate']);
const entries = readManifest(args.manifest);
if (!entries.length) {
  console.error(`${args.manifest}: no messages`);
  process.exit(2);
}

const { probabilities, labels, cpuMicros } = scoreEntries(engine, args.root, entries, online);

const summary = { ...summarise(probabilities, labels), cpu_ms_per_message: cpuMicros / 1000 / entries.length };
const p = (x: number) => (x * 100).toFixed(2) + '%';
console.log(`manifest ${args.manifest}: ${summary.messages} messages (${summary.spam} spam, ${summary.ham} ham), model ${args.empty ? 'empty' : modelPath}${online ? ', online (TREC: score, then learn as a tenant report does)' : ''}`);
console.log(`at "90% or more": spam caught ${p(summary.at90.caught)}, ham flagged ${p(summary.at90.flagged)} (${Math.round(summary.at90.flagged * summary.ham)} messages)`);
console.log(`at "100%":        spam caught ${p(summary.at100.caught)}, ham flagged ${p(summary.at100.flagged)} (${Math.round(summary.at100.flagged * summary.ham)} messages)`);
console.log(`ROC AUC ${summary.auc.toFixed(5)}; best spam caught with ≤ 0.1% ham flagged: ${p(summary.caught_at_flagged_0_1pct)}`);
console.log(`CPU ${summary.cpu_ms_per_message.toFixed(3)} ms per message (parse + features + score${online ? ' (learn excluded)' : ''})`);
console.log(JSON.stringify(summary));
