import { FEATURE_VERSION, featureValuePow, ModelFormatError, SpamModel } from './model';

/**
 * A tenant's own learning, kept apart from the shared model. Its influence is bounded twice: each weight is
 * clamped, and its total push on a message's margin is clamped, so a tenant's reports can move its own
 * verdicts but never make the shared model say anything about anyone else's mail.
 */
export interface OverlayOptions {
  /** Largest absolute value of one delta weight. */
  maxWeight: number;
  /** Largest absolute change of a message's margin (log-odds before calibration). */
  maxShift: number;
}

export const DEFAULT_OVERLAY: OverlayOptions = { maxWeight: 1.5, maxShift: 4 };

export interface SerializedDelta {
  format: 'torii-spam-delta';
  hashBits: number;
  /** The FEATURE_VERSION of the model it was learned against (absent in deltas older than version 6). */
  featureVersion?: number;
  updates: number;
  /** [bucket, weight] pairs. */
  weights: [number, number][];
}

export class ModelDelta {
  readonly weights = new Map<number, number>();
  updates = 0;

  /**
   * `featureVersion`: of the model the delta was learned against. A delta of another version hashes other
   * features into its buckets and must not be applied (0: unknown, from before deltas recorded it).
   */
  constructor(
    readonly hashBits: number,
    readonly featureVersion = 0,
  ) {}

  static for(model: SpamModel): ModelDelta {
    return new ModelDelta(model.hashBits, FEATURE_VERSION);
  }

  /** Whether this delta was learned against this engine's features (a loaded model always has them) and `model`'s hash size. */
  fits(model: SpamModel): boolean {
    return this.hashBits === model.hashBits && this.featureVersion === FEATURE_VERSION;
  }

  weight(bucket: number): number {
    return this.weights.get(bucket) ?? 0;
  }

  /** The delta's (clamped) change of the margin for a message's buckets (`power`: the model's normalisation, 0.5 by default). */
  shift(buckets: Uint32Array, options: OverlayOptions, power?: number): number {
    if (!buckets.length || !this.weights.size) return 0;
    let s = 0;
    for (let i = 0; i < buckets.length; i++) s += this.weights.get(buckets[i]) ?? 0;
    s *= featureValuePow(buckets.length, power);
    return Math.max(-options.maxShift, Math.min(options.maxShift, s));
  }

  step(buckets: Uint32Array, amount: number, options: OverlayOptions): void {
    for (let i = 0; i < buckets.length; i++) {
      const w = (this.weights.get(buckets[i]) ?? 0) + amount;
      this.weights.set(buckets[i], Math.max(-options.maxWeight, Math.min(options.maxWeight, w)));
    }
    this.updates++;
  }

  toJSON(): SerializedDelta {
    return { format: 'torii-spam-delta', hashBits: this.hashBits, featureVersion: this.featureVersion, updates: this.updates, weights: [...this.weights].sort((a, b) => a[0] - b[0]) };
  }

  static fromJSON(data: unknown): ModelDelta {
    const d = data as Partial<SerializedDelta> | null;
    if (!d || d.format !== 'torii-spam-delta' || typeof d.hashBits !== 'number' || !Array.isArray(d.weights)) {
      throw new ModelFormatError('not a Torii spam delta');
    }
    const delta = new ModelDelta(d.hashBits, typeof d.featureVersion === 'number' ? d.featureVersion : 0);
    delta.updates = d.updates ?? 0;
    for (const [k, v] of d.weights) if (Number.isInteger(k) && Number.isFinite(v)) delta.weights.set(k, v);
    return delta;
  }
}

export interface MergeOptions {
  /** Each tenant's weight is clamped to ±maxWeight before averaging. */
  maxWeight: number;
  /** The average divides by at least this many tenants: one tenant alone moves a weight by ≤ maxWeight/minTenants. */
  minTenants: number;
  /**
   * A shared weight moves only where at least this many tenants pushed it the way the sum goes (default 1). With
   * 2 or more, one tenant alone changes nothing that other tenants see, however many reports it files: its
   * corrections act for itself only (its own delta).
   */
  minAgreeing?: number;
}

/**
 * Folds tenants' deltas into a new shared model (the "aggregated" learning of SPAM14). The mean of clamped
 * deltas over max(tenants, minTenants) means a single tenant, however many reports it files, shifts any
 * shared weight by at most maxWeight/minTenants; with `minAgreeing` ≥ 2 it shifts none on its own.
 */
export function mergeDeltas(base: SpamModel, deltas: readonly ModelDelta[], options: MergeOptions = { maxWeight: 1, minTenants: 10 }): SpamModel {
  const merged = base.clone();
  const values = new Map<number, number[]>();
  for (const delta of deltas) {
    if (delta.hashBits !== base.hashBits) throw new ModelFormatError(`delta hashBits ${delta.hashBits} ≠ model ${base.hashBits}`);
    for (const [k, v] of delta.weights) {
      if (v === 0) continue;
      const clamped = Math.max(-options.maxWeight, Math.min(options.maxWeight, v));
      const list = values.get(k);
      if (list) list.push(clamped);
      else values.set(k, [clamped]);
    }
  }
  const divisor = Math.max(deltas.length, options.minTenants);
  const quorum = options.minAgreeing ?? 1;
  // Keys past the word model's size are the gram model's buckets (SpamModel.gramDeltaKeys).
  const size = merged.weights.length;
  for (const [k, list] of values) {
    const sum = agreedSum(list, quorum);
    if (sum === 0) continue;
    if (k < size) merged.weights[k] += sum / divisor;
    else if (merged.grams && k - size < merged.grams.weights.length) merged.grams.weights[k - size] += sum / divisor;
  }
  merged.meta = { ...merged.meta, version: `${base.meta.version}+merged` };
  return merged;
}

/**
 * The sum of the tenants' (clamped) values of one weight, counted only as far as `quorum` tenants agree: the
 * side the sum leans to needs that many tenants, and each of them counts at most as much as the quorum-th
 * largest of them (one tenant at ±1 beside two with crumbs moves it by crumbs). Tenants on the other side
 * count in full against it. 0 when the quorum is not met.
 */
export function agreedSum(values: readonly number[], quorum: number): number {
  const total = values.reduce((a, b) => a + b, 0);
  if (quorum <= 1) return total;
  const sign = Math.sign(total);
  if (sign === 0) return 0;
  const agreeing = values.filter((v) => Math.sign(v) === sign).map(Math.abs).sort((a, b) => b - a);
  if (agreeing.length < quorum) return 0;
  const cap = agreeing[quorum - 1];
  const against = values.filter((v) => Math.sign(v) === -sign).reduce((a, v) => a + Math.abs(v), 0);
  const capped = agreeing.reduce((a, v) => a + Math.min(v, cap), 0) - against;
  return capped > 0 ? sign * capped : 0;
}
