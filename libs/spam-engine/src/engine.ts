import { formatPercent, sigmoid, toPercent } from './calibration';
import { extractFeatures, type Features } from './features';
import { DEFAULT_GRAM_OPTIONS } from './grams';
import { DEFAULT_MODEL_PATH, featureValue, loadModel, SpamModel } from './model';
import { ModelDelta, type OverlayOptions, DEFAULT_OVERLAY } from './overlay';
import type { Label, MessageInput } from './types';

export interface Reason {
  /**
   * A token (`s:free` = the Subject word "free"), `rule:ID`, `auth:ID`, or `grams`: the character-gram model's
   * whole contribution (its description quotes the strongest character patterns).
   */
  feature: string;
  kind: 'token' | 'rule' | 'fixed';
  description?: string;
  /** Change of the calibrated log-odds due to this feature (positive pushes towards spam). */
  logOdds: number;
}

export interface SpamVerdict {
  /** Calibrated probability of spam, 0..1. */
  probability: number;
  /** Percentage rounded to two decimals, 0..100. Thresholds ("100%", "90% or more") compare this. */
  percent: number;
  /** `98.00%`, the header value of SPAM4. */
  header: string;
  logOdds: number;
  /** Ids of every rule that fired. */
  rules: string[];
  /** The strongest evidence each way, strongest first. */
  reasons: { spam: Reason[]; ham: Reason[] };
  modelVersion: string;
}

export interface ScoreOptions {
  /** A tenant's learned delta, layered over the shared model with bounded influence. */
  delta?: ModelDelta;
  overlay?: OverlayOptions;
  /** How many reasons each way (default 5). */
  reasons?: number;
}

const LABEL_VALUE: Record<Label, number> = { spam: 1, ham: 0 };
const BIAS_STEP = 0.01;

/**
 * The scoring engine: features → model margin (+ tenant delta) → Platt calibration → + fixed rule evidence
 * → probability. Pure and synchronous; a newer model is swapped in with reload().
 */
export class SpamEngine {
  constructor(private current: SpamModel) {}

  static load(path: string = DEFAULT_MODEL_PATH): SpamEngine {
    return new SpamEngine(loadModel(path));
  }

  get model(): SpamModel {
    return this.current;
  }

  /** Replaces the model with the file's; on a bad file it throws and the old model stays in use. */
  reload(path: string = DEFAULT_MODEL_PATH): void {
    this.current = loadModel(path);
  }

  use(model: SpamModel): void {
    this.current = model;
  }

  score(input: MessageInput, options: ScoreOptions = {}): SpamVerdict {
    return this.scoreFeatures(extractFeatures(input), options);
  }

  scoreFeatures(features: Features, options: ScoreOptions = {}): SpamVerdict {
    const model = this.current;
    const buckets = model.buckets(features.names);
    const scale = featureValue(buckets.length);
    const overlay = options.overlay ?? DEFAULT_OVERLAY;
    const shift = options.delta ? options.delta.shift(buckets, overlay) : 0;
    const gramShift = options.delta && model.grams ? options.delta.shift(model.gramDeltaKeys(features.grams), overlay) : 0;
    const gramMargin = model.gramMargin(features.grams) + gramShift;
    let logOdds = model.calibrate(model.margin(buckets) + shift, gramMargin);
    const fixed: Reason[] = [];
    for (const rule of features.rules) {
      if (rule.weight === 'learned') continue;
      logOdds += rule.weight;
      fixed.push({ feature: 'rule:' + rule.id, kind: 'fixed', description: rule.description, logOdds: rule.weight });
    }
    const probability = sigmoid(logOdds);
    const reasons = this.explain(features, buckets, scale, [...fixed, ...this.gramReason(features, gramShift)], options);
    return {
      probability,
      percent: toPercent(probability),
      header: formatPercent(probability),
      logOdds,
      rules: features.rules.map((r) => r.id),
      reasons,
      modelVersion: model.meta.version,
    };
  }

  /**
   * The gram model as one reason: its push on the log-odds (bias left out, like the word model's), described by
   * the character patterns that pushed most in that direction.
   */
  private gramReason(features: Features, shift: number): Reason[] {
    const model = this.current;
    const g = model.grams;
    const weight = model.calibration.g ?? 0;
    if (!g || !weight || !features.grams?.length) return [];
    const logOdds = weight * (model.gramMargin(features.grams) + shift - g.bias);
    if (Math.abs(logOdds) < 0.01) return [];
    const text = features.gramText ?? '';
    const at = features.gramAt;
    const n = DEFAULT_GRAM_OPTIONS.n;
    // The five grams pushing hardest in the model's direction; strings are cut only for those.
    const top: { at: number; w: number }[] = [];
    if (at && at.length === features.grams.length) {
      for (let i = 0; i < at.length; i++) {
        const w = g.weights[features.grams[i] & model.gramMask];
        if (w * logOdds <= 0 || (top.length === 5 && Math.abs(w) <= Math.abs(top[4].w))) continue;
        top.push({ at: at[i], w });
        top.sort((x, y) => Math.abs(y.w) - Math.abs(x.w));
        if (top.length > 5) top.pop();
      }
    }
    const quoted = top.map((t) => JSON.stringify(text.slice(t.at, t.at + n)));
    return [{ feature: 'grams', kind: 'token', description: 'character patterns of the raw message, strongest: ' + quoted.join(' '), logOdds }];
  }

  private explain(features: Features, buckets: Uint32Array, scale: number, fixed: Reason[], options: ScoreOptions): SpamVerdict['reasons'] {
    const a = this.current.calibration.a;
    const all: Reason[] = [...fixed];
    const byId = new Map(features.rules.map((r) => [r.id, r]));
    for (let i = 0; i < buckets.length; i++) {
      const w = this.current.weights[buckets[i]] + (options.delta?.weight(buckets[i]) ?? 0);
      const logOdds = a * w * scale;
      if (Math.abs(logOdds) < 0.01) continue;
      const name = features.names[i];
      const isRule = name.startsWith('rule:');
      all.push({ feature: name, kind: isRule ? 'rule' : 'token', description: isRule ? byId.get(name.slice(5))?.description : undefined, logOdds });
    }
    const n = options.reasons ?? 5;
    const spam = all.filter((r) => r.logOdds > 0).sort((x, y) => y.logOdds - x.logOdds).slice(0, n);
    const ham = all.filter((r) => r.logOdds < 0).sort((x, y) => x.logOdds - y.logOdds).slice(0, n);
    return { spam, ham };
  }

  /**
   * Feedback into the shared model in place (and the TREC protocol of bench/spam/eval.ts --online): one
   * logistic-regression gradient step in each model. A message already scored confidently right barely moves
   * anything; a confident mistake moves each model's margin by about `learningRate` (16) — an aggressive step
   * that the next labelled messages correct, as in TREC's online filters. Tenant reports go through
   * learnDelta() with a much smaller step.
   */
  learn(input: MessageInput | Features, label: Label): void {
    const features = 'names' in input ? input : extractFeatures(input);
    const model = this.current;
    const buckets = model.buckets(features.names);
    if (!buckets.length) return;
    const error = LABEL_VALUE[label] - sigmoid(model.margin(buckets));
    const step = model.meta.learningRate * error * featureValue(buckets.length);
    for (let i = 0; i < buckets.length; i++) model.weights[buckets[i]] += step;
    // The bias moves by a fixed small step, not by learningRate: a run of one class must not tip every message.
    model.bias += BIAS_STEP * error;
    // The gram model learns the same way, from its own error.
    const g = model.grams;
    if (g && features.grams?.length) {
      const gramError = LABEL_VALUE[label] - sigmoid(model.gramMargin(features.grams));
      const gramStep = model.meta.learningRate * gramError * featureValue(features.grams.length);
      for (let i = 0; i < features.grams.length; i++) g.weights[features.grams[i] & model.gramMask] += gramStep;
      g.bias += BIAS_STEP * gramError;
    }
  }

  /**
   * Feedback into a tenant's delta only; the shared model is untouched. The delta holds both models' buckets
   * (gram buckets offset, SpamModel.gramDeltaKeys); each model's part learns from its own error, and each part's
   * push on a message is clamped by the overlay on its own.
   */
  learnDelta(delta: ModelDelta, input: MessageInput | Features, label: Label, overlay: OverlayOptions = DEFAULT_OVERLAY): void {
    const features = 'names' in input ? input : extractFeatures(input);
    const model = this.current;
    const buckets = model.buckets(features.names);
    if (!buckets.length) return;
    const error = LABEL_VALUE[label] - sigmoid(model.margin(buckets) + delta.shift(buckets, overlay));
    const rate = model.meta.deltaLearningRate ?? 1;
    delta.step(buckets, rate * error * featureValue(buckets.length), overlay);
    const keys = model.gramDeltaKeys(features.grams);
    if (!keys.length) return;
    const gramError = LABEL_VALUE[label] - sigmoid(model.gramMargin(features.grams) + delta.shift(keys, overlay));
    delta.step(keys, rate * gramError * featureValue(keys.length), overlay);
    // One report, one update.
    delta.updates--;
  }
}
