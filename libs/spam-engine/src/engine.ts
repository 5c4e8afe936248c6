import { formatPercent, sigmoid, toPercent } from './calibration';
import { extractFeatures, type Features } from './features';
import { DEFAULT_MODEL_PATH, featureValue, loadModel, SpamModel } from './model';
import { ModelDelta, type OverlayOptions, DEFAULT_OVERLAY } from './overlay';
import type { Label, MessageInput } from './types';

export interface Reason {
  /** A token (`s:free` = the Subject word "free"), `rule:ID` or `auth:ID`. */
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
    const shift = options.delta ? options.delta.shift(buckets, options.overlay ?? DEFAULT_OVERLAY) : 0;
    let logOdds = model.calibrate(model.margin(buckets) + shift);
    const fixed: Reason[] = [];
    for (const rule of features.rules) {
      if (rule.weight === 'learned') continue;
      logOdds += rule.weight;
      fixed.push({ feature: 'rule:' + rule.id, kind: 'fixed', description: rule.description, logOdds: rule.weight });
    }
    const probability = sigmoid(logOdds);
    const reasons = this.explain(features, buckets, scale, fixed, options);
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
   * Feedback (SPAM14) into the shared model in place: one logistic-regression gradient step. A message
   * already scored confidently right barely moves anything; a confident mistake moves its margin by about
   * `learningRate` log-odds, so one report nudges rather than flips.
   */
  learn(input: MessageInput | Features, label: Label): void {
    const features = 'names' in input ? input : extractFeatures(input);
    const model = this.current;
    const buckets = model.buckets(features.names);
    if (!buckets.length) return;
    const error = LABEL_VALUE[label] - sigmoid(model.margin(buckets));
    const step = model.meta.learningRate * error * featureValue(buckets.length);
    for (let i = 0; i < buckets.length; i++) model.weights[buckets[i]] += step;
    model.bias += model.meta.learningRate * error * 0.01;
  }

  /** Feedback into a tenant's delta only; the shared model is untouched. */
  learnDelta(delta: ModelDelta, input: MessageInput | Features, label: Label, overlay: OverlayOptions = DEFAULT_OVERLAY): void {
    const features = 'names' in input ? input : extractFeatures(input);
    const model = this.current;
    const buckets = model.buckets(features.names);
    if (!buckets.length) return;
    const error = LABEL_VALUE[label] - sigmoid(model.margin(buckets) + delta.shift(buckets, overlay));
    delta.step(buckets, model.meta.learningRate * error * featureValue(buckets.length), overlay);
  }
}
