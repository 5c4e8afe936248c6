/**
 * The scoring loop of eval.ts, as a function (tools/test/spam-eval.spec.ts checks it). Online it plays the
 * TREC spam-track protocol through the SPAM14 feedback path: one tenant's correction (a ModelDelta), every
 * message scored with it and then learned into it by SpamEngine.learnDelta(), as spam-filter's ModelService
 * does for a report. The shared model is never changed (in production it moves only by the cross-tenant merge).
 */
import { ModelDelta, type SpamEngine } from '@torii/spam-engine';
import { mboxSender, readMessage, type ManifestEntry } from './corpus';

export interface Scored {
  probabilities: number[];
  labels: number[];
  /** CPU time of parsing, features and scoring (learning and file reading excluded). */
  cpuMicros: number;
}

export function scoreEntries(engine: SpamEngine, root: string, entries: readonly ManifestEntry[], online = false): Scored {
  const delta = online ? ModelDelta.for(engine.model) : undefined;
  const out: Scored = { probabilities: [], labels: [], cpuMicros: 0 };
  for (const entry of entries) {
    const raw = readMessage(root, entry);
    const mailFrom = mboxSender(raw);
    const input = { message: raw, envelope: mailFrom ? { mailFrom } : undefined };
    const before = process.cpuUsage();
    const verdict = engine.score(input, delta ? { delta } : {});
    const used = process.cpuUsage(before);
    out.cpuMicros += used.user + used.system;
    out.probabilities.push(verdict.probability);
    out.labels.push(entry.label === 'spam' ? 1 : 0);
    if (delta) engine.learnDelta(delta, input, entry.label);
  }
  return out;
}
