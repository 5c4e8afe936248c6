import { formatPercent, sigmoid, toPercent } from './calibration';
import { extractFeatures, FORM_AT, type Features } from './features';
import { DEFAULT_GRAM_OPTIONS } from './grams';
import { DEFAULT_MODEL_PATH, featureValue, featureValuePow, loadModel, SpamModel } from './model';
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
    const buckets = wordBuckets(model, features);
    const scale = featureValue(buckets.length);
    const overlay = options.overlay ?? DEFAULT_OVERLAY;
    const shift = options.delta ? options.delta.shift(buckets, overlay) : 0;
    // A tenant's gram corrections are weighed as the gram model weighs its own (GramWeights.normPower), so that
    // merged into the shared gram weights they act as they did in the tenant's overlay.
    const gramShift = options.delta && model.grams ? options.delta.shift(model.gramDeltaKeys(features.grams), overlay, model.grams.normPower) : 0;
    const gramMargin = model.gramMargin(features.grams) + gramShift;
    let logOdds = model.calibrate(model.margin(buckets) + shift, gramMargin);
    const fixed: Reason[] = [];
    for (const rule of features.rules) {
      if (rule.weight === 'learned') continue;
      logOdds += rule.weight;
      fixed.push({ feature: 'rule:' + rule.id, kind: 'fixed', description: rule.description, logOdds: rule.weight });
    }
    const probability = sigmoid(logOdds);
    const reasons = this.explain(features, buckets, scale, [...fixed, ...this.gramReason(features, gramMargin)], options);
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
   * the character patterns that pushed most in that direction. `gramMargin`: the gram model's margin with the
   * tenant's shift, as scoreFeatures computed it.
   */
  private gramReason(features: Features, gramMargin: number): Reason[] {
    const model = this.current;
    const g = model.grams;
    const weight = model.calibration.g ?? 0;
    if (!g || !weight || !features.grams?.length) return [];
    const logOdds = weight * (gramMargin - g.bias);
    if (Math.abs(logOdds) < 0.01) return [];
    const text = features.gramText ?? '';
    const at = features.gramAt;
    const n = DEFAULT_GRAM_OPTIONS.n;
    // The five grams pushing hardest in the model's direction, strongest first (the earlier one first on a
    // tie); strings are cut only for those.
    const top: { at: number; w: number }[] = [];
    if (at && at.length === features.grams.length) {
      const grams = features.grams;
      const weights = g.weights;
      const mask = model.gramMask;
      for (let i = 0; i < at.length; i++) {
        if (at[i] === FORM_AT) continue; // a form feature (FeatureOptions.formInGrams): no characters to quote
        const w = weights[grams[i] & mask];
        if (w * logOdds <= 0) continue;
        const strength = Math.abs(w);
        if (top.length === 5 && strength <= Math.abs(top[4].w)) continue;
        let j = top.length;
        while (j > 0 && Math.abs(top[j - 1].w) < strength) j--;
        top.splice(j, 0, { at: at[i], w });
        if (top.length > 5) top.pop();
      }
    }
    let quoted = '';
    for (let k = 0; k < top.length; k++) quoted += (k ? ' ' : '') + JSON.stringify(text.slice(top[k].at, top[k].at + n));
    return [{ feature: 'grams', kind: 'token', description: 'character patterns of the raw message, strongest: ' + quoted, logOdds }];
  }

  /**
   * The strongest reasons each way: `fixed` first, then the word features in order, each kept when it is among
   * the `reasons` strongest; on a tie the earlier one comes first (what a stable sort of all of them gives).
   * Reason objects are made only for the kept ones.
   */
  private explain(features: Features, buckets: Uint32Array, scale: number, fixed: Reason[], options: ScoreOptions): SpamVerdict['reasons'] {
    const n = options.reasons ?? 5;
    if (!Number.isInteger(n) || n < 0 || n > 1000) return this.explainAll(features, buckets, scale, fixed, options);
    const spam: Reason[] = [];
    const ham: Reason[] = [];
    if (n === 0) return { spam, ham };
    for (const r of fixed) {
      if (r.logOdds > 0) keep(spam, n, r, r.logOdds);
      else if (r.logOdds < 0) keep(ham, n, r, r.logOdds);
    }
    const a = this.current.calibration.a;
    const weights = this.current.weights;
    const delta = options.delta;
    for (let i = 0; i < buckets.length; i++) {
      const w = weights[buckets[i]] + (delta?.weight(buckets[i]) ?? 0);
      const logOdds = a * w * scale;
      if (Math.abs(logOdds) < 0.01) continue;
      if (logOdds > 0) {
        if (spam.length < n || logOdds > spam[n - 1].logOdds) keep(spam, n, this.wordReason(features, i, logOdds), logOdds);
      } else if (logOdds < 0) {
        if (ham.length < n || logOdds < ham[n - 1].logOdds) keep(ham, n, this.wordReason(features, i, logOdds), logOdds);
      }
    }
    return { spam, ham };
  }

  private wordReason(features: Features, i: number, logOdds: number): Reason {
    const name = features.names[i];
    const isRule = name.startsWith('rule:');
    return { feature: name, kind: isRule ? 'rule' : 'token', description: isRule ? ruleDescription(features, name.slice(5)) : undefined, logOdds };
  }

  /** The same reasons by sorting all of them, for an unusual `reasons` count (negative, fractional, huge). */
  private explainAll(features: Features, buckets: Uint32Array, scale: number, fixed: Reason[], options: ScoreOptions): SpamVerdict['reasons'] {
    const a = this.current.calibration.a;
    const all: Reason[] = [...fixed];
    for (let i = 0; i < buckets.length; i++) {
      const w = this.current.weights[buckets[i]] + (options.delta?.weight(buckets[i]) ?? 0);
      const logOdds = a * w * scale;
      if (Math.abs(logOdds) < 0.01) continue;
      all.push(this.wordReason(features, i, logOdds));
    }
    const n = options.reasons ?? 5;
    const spam = all.filter((r) => r.logOdds > 0).sort((x, y) => y.logOdds - x.logOdds).slice(0, n);
    const ham = all.filter((r) => r.logOdds < 0).sort((x, y) => x.logOdds - y.logOdds).slice(0, n);
    return { spam, ham };
  }

  /**
   * A step into the shared model in place (experiments; production feedback and bench/spam/eval.ts --online go
   * through learnDelta()): one logistic-regression gradient step in each model. A message already scored
   * confidently right barely moves anything; a confident mistake moves each model's margin by about
   * `learningRate` (16) — an aggressive step that the next labelled messages correct, as in TREC's online filters.
   */
  learn(input: MessageInput | Features, label: Label): void {
    const features = 'names' in input ? input : extractFeatures(input);
    const model = this.current;
    const buckets = wordBuckets(model, features);
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
      // The gram margin moves by about learningRate whatever its normalisation (GramWeights.normPower).
      const n = features.grams.length;
      const v0 = featureValue(n);
      const v = featureValuePow(n, g.normPower);
      const gramStep = model.meta.learningRate * gramError * ((v0 * v0) / v);
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
    const buckets = wordBuckets(model, features);
    if (!buckets.length) return;
    const error = LABEL_VALUE[label] - sigmoid(model.margin(buckets) + delta.shift(buckets, overlay));
    const rate = model.meta.deltaLearningRate ?? 1;
    delta.step(buckets, rate * error * featureValue(buckets.length), overlay);
    const keys = model.gramDeltaKeys(features.grams);
    if (!keys.length) return;
    const power = model.grams?.normPower;
    const gramError = LABEL_VALUE[label] - sigmoid(model.gramMargin(features.grams) + delta.shift(keys, overlay, power));
    delta.step(keys, rate * gramError * featureValuePow(keys.length, power), overlay);
    // One report, one update.
    delta.updates--;
  }
}

/** Description of the rule with this id among the message's rules (the last one, as a Map built from them gives). */
function ruleDescription(features: Features, id: string): string | undefined {
  let description: string | undefined;
  for (const r of features.rules) if (r.id === id) description = r.description;
  return description;
}

/**
 * Puts `reason` into `top` (strongest first: largest |logOdds|, all of one sign) after every reason at least as
 * strong, and keeps the first `n`.
 */
function keep(top: Reason[], n: number, reason: Reason, logOdds: number): void {
  const strength = Math.abs(logOdds);
  let j = top.length;
  while (j > 0 && Math.abs(top[j - 1].logOdds) < strength) j--;
  if (j >= n) return;
  top.splice(j, 0, reason);
  if (top.length > n) top.pop();
}

/** The word model's buckets: from the hashes extractFeatures gave, when they go with the names; else hashed here. */
function wordBuckets(model: SpamModel, features: Features): Uint32Array {
  const hashes = features.hashes;
  return hashes && hashes.length === features.names.length ? model.bucketsOfHashes(hashes) : model.buckets(features.names);
}
