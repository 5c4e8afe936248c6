import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PermanentError } from '@torii/errors';

/**
 * The content model: logistic regression over hashed binary features, each message's vector scaled to unit
 * length (x_i = 1/√n), so a long newsletter and a two-line note speak with the same voice. A Platt sigmoid
 * maps the margin to a calibrated probability.
 */

export const MODEL_FORMAT = 'torii-spam-model';
/** Bump when tokenization changes: a model only fits the features it was trained on. */
export const FEATURE_VERSION = 7;
export const DEFAULT_MODEL_PATH = join(__dirname, '..', 'model', 'model.json');

export class ModelFormatError extends PermanentError {}

/** p = σ(a·margin + g·gramMargin + b): a stacked logistic fit over both models' out-of-fold margins. */
export interface Calibration {
  a: number;
  b: number;
  /** Weight of the character-gram model's margin (absent or 0 when the model has none). */
  g?: number;
}

/**
 * The second model: logistic regression over hashed binary character n-grams of the raw message
 * (grams.ts), each message's vector scaled to unit length like the word model's.
 */
export interface GramWeights {
  hashBits: number;
  weights: Float32Array;
  bias: number;
  /**
   * Each gram's value is 1/max(n, MIN_NORM)^normPower (n = the message's distinct grams). Absent: 0.5, unit length
   * (models before sa-2002-lr6). 0.4 since round 7: a longer message's grams speak a little louder.
   */
  normPower?: number;
}

export interface ModelMeta {
  version: string;
  trainedAt: string;
  messages: number;
  spam: number;
  ham: number;
  /** Step size of learn(), in log-odds moved per fully wrong message. */
  learningRate: number;
  /**
   * Step size of learnDelta() (a tenant's reports). Smaller than learn()'s: learn() sees a label for every
   * message (TREC-style feedback, where a big step is corrected by the next messages), a tenant reports now and
   * then and mostly one way, so one report must not shift the tenant's whole mail. Absent in older files: 1.
   */
  deltaLearningRate?: number;
  notes?: string;
}

export interface SerializedModel {
  format: typeof MODEL_FORMAT;
  featureVersion: number;
  hashBits: number;
  bias: number;
  calibration: Calibration;
  meta: ModelMeta;
  /** base64 of little-endian Uint32 bucket indices, ascending. */
  indices: string;
  /** base64 of little-endian Float32 weights, same order. */
  values: string;
  /** The character-gram model, stored the same way. */
  grams?: { hashBits: number; bias: number; normPower?: number; indices: string; values: string };
}

function packWeights(weights: Float32Array): { indices: string; values: string } {
  let n = 0;
  for (let i = 0; i < weights.length; i++) if (weights[i] !== 0) n++;
  const indices = new Uint32Array(n);
  const values = new Float32Array(n);
  let k = 0;
  for (let i = 0; i < weights.length; i++) {
    if (weights[i] === 0) continue;
    indices[k] = i;
    values[k++] = weights[i];
  }
  return { indices: Buffer.from(indices.buffer).toString('base64'), values: Buffer.from(values.buffer).toString('base64') };
}

function unpackWeights(hashBits: unknown, indices: unknown, values: unknown): Float32Array {
  if (typeof hashBits !== 'number' || hashBits < 8 || hashBits > 24) throw new ModelFormatError('bad hashBits');
  const idx = Buffer.from(typeof indices === 'string' ? indices : '', 'base64');
  const val = Buffer.from(typeof values === 'string' ? values : '', 'base64');
  if (idx.length !== val.length || idx.length % 4 !== 0) throw new ModelFormatError('indices and values differ in length');
  const weights = new Float32Array(2 ** hashBits);
  for (let off = 0; off < idx.length; off += 4) {
    const i = idx.readUInt32LE(off);
    const v = val.readFloatLE(off);
    if (i >= weights.length || !Number.isFinite(v)) throw new ModelFormatError(`bad weight at ${off / 4}`);
    weights[i] = v;
  }
  return weights;
}

/**
 * Value of each of a message's n features: 1/√max(n, MIN_NORM). Unit length for ordinary messages; a message
 * with only a handful of features (a two-word note, a bare HTML shell) counts as weaker evidence instead of
 * letting those few features speak at full strength.
 */
export const MIN_NORM = 64;

export function featureValue(n: number): number {
  return n ? 1 / Math.sqrt(Math.max(n, MIN_NORM)) : 0;
}

/** featureValue with another power: 1/max(n, MIN_NORM)^power (power 0.5 or absent: featureValue itself). */
export function featureValuePow(n: number, power: number | undefined): number {
  return power === undefined || power === 0.5 ? featureValue(n) : n ? 1 / Math.pow(Math.max(n, MIN_NORM), power) : 0;
}

/** FNV-1a over UTF-16 code units. */
export function hashFeature(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** hashFeature(a + b) from h = hashFeature(a): FNV-1a carried on over b's code units, without building a + b. */
export function continueHash(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class SpamModel {
  readonly mask: number;

  constructor(
    readonly hashBits: number,
    readonly weights: Float32Array,
    public bias: number,
    public calibration: Calibration,
    public meta: ModelMeta,
    /** The character-gram model, when the model has one. */
    readonly grams?: GramWeights,
  ) {
    if (weights.length !== 2 ** hashBits) throw new ModelFormatError(`weights length ${weights.length} does not match hashBits ${hashBits}`);
    if (grams && grams.weights.length !== 2 ** grams.hashBits) throw new ModelFormatError(`gram weights length ${grams.weights.length} does not match hashBits ${grams.hashBits}`);
    this.mask = 2 ** hashBits - 1;
    this.gramMask = grams ? 2 ** grams.hashBits - 1 : 0;
  }

  readonly gramMask: number;

  static empty(hashBits = 20): SpamModel {
    return new SpamModel(hashBits, new Float32Array(2 ** hashBits), 0, { a: 1, b: 0 }, {
      version: 'empty',
      trainedAt: new Date(0).toISOString(),
      messages: 0,
      spam: 0,
      ham: 0,
      learningRate: 1,
    });
  }

  bucket(name: string): number {
    return hashFeature(name) & this.mask;
  }

  buckets(names: readonly string[]): Uint32Array {
    const out = new Uint32Array(names.length);
    for (let i = 0; i < names.length; i++) out[i] = hashFeature(names[i]) & this.mask;
    return out;
  }

  /** buckets() of names whose hashFeature() values are known already. */
  bucketsOfHashes(hashes: ArrayLike<number>): Uint32Array {
    const out = new Uint32Array(hashes.length);
    for (let i = 0; i < hashes.length; i++) out[i] = hashes[i] & this.mask;
    return out;
  }

  /** Raw margin w·x + bias for a message's buckets (x_i = featureValue(n)). */
  margin(buckets: Uint32Array): number {
    if (buckets.length === 0) return this.bias;
    let s = 0;
    for (let i = 0; i < buckets.length; i++) s += this.weights[buckets[i]];
    return this.bias + s * featureValue(buckets.length);
  }

  /** The character-gram model's raw margin for a message's gram hashes (unmasked, as features.ts gives them); 0 without one. */
  gramMargin(grams: Uint32Array | undefined): number {
    const g = this.grams;
    if (!g || !grams) return 0;
    if (!grams.length) return g.bias;
    let s = 0;
    for (let i = 0; i < grams.length; i++) s += g.weights[grams[i] & this.gramMask];
    return g.bias + s * featureValuePow(grams.length, g.normPower);
  }

  /**
   * A message's gram buckets as keys of a tenant delta (ModelDelta): offset by the word model's size, so one
   * delta map holds both models' buckets. Empty without a gram model.
   */
  gramDeltaKeys(grams: Uint32Array | undefined): Uint32Array {
    if (!this.grams || !grams) return new Uint32Array(0);
    const offset = 2 ** this.hashBits;
    const out = new Uint32Array(grams.length);
    for (let i = 0; i < grams.length; i++) out[i] = offset + (grams[i] & this.gramMask);
    return out;
  }

  /** Calibrated log-odds of the two models' margins. */
  calibrate(margin: number, gramMargin = 0): number {
    return this.calibration.a * margin + (this.grams ? (this.calibration.g ?? 0) * gramMargin : 0) + this.calibration.b;
  }

  clone(): SpamModel {
    const grams = this.grams ? { ...this.grams, weights: new Float32Array(this.grams.weights) } : undefined;
    return new SpamModel(this.hashBits, new Float32Array(this.weights), this.bias, { ...this.calibration }, { ...this.meta }, grams);
  }

  toJSON(): SerializedModel {
    return {
      format: MODEL_FORMAT,
      featureVersion: FEATURE_VERSION,
      hashBits: this.hashBits,
      bias: this.bias,
      calibration: { ...this.calibration },
      meta: { ...this.meta },
      ...packWeights(this.weights),
      ...(this.grams ? { grams: { hashBits: this.grams.hashBits, bias: this.grams.bias, ...(this.grams.normPower !== undefined ? { normPower: this.grams.normPower } : {}), ...packWeights(this.grams.weights) } } : {}),
    };
  }

  static fromJSON(data: unknown): SpamModel {
    const m = data as Partial<SerializedModel> | null;
    if (!m || m.format !== MODEL_FORMAT) throw new ModelFormatError('not a Torii spam model');
    if (m.featureVersion !== FEATURE_VERSION) throw new ModelFormatError(`model features v${m.featureVersion}, engine expects v${FEATURE_VERSION}`);
    if (!m.calibration || !Number.isFinite(m.calibration.a) || !Number.isFinite(m.calibration.b) || !Number.isFinite(m.bias)) {
      throw new ModelFormatError('bad calibration or bias');
    }
    if (m.calibration.g !== undefined && !Number.isFinite(m.calibration.g)) throw new ModelFormatError('bad calibration');
    const weights = unpackWeights(m.hashBits, m.indices, m.values);
    let grams: GramWeights | undefined;
    if (m.grams) {
      if (!Number.isFinite(m.grams.bias)) throw new ModelFormatError('bad gram bias');
      const p = m.grams.normPower;
      if (p !== undefined && !(typeof p === 'number' && p > 0 && p <= 1)) throw new ModelFormatError('bad gram normPower');
      grams = { hashBits: m.grams.hashBits, bias: m.grams.bias, weights: unpackWeights(m.grams.hashBits, m.grams.indices, m.grams.values), ...(p !== undefined ? { normPower: p } : {}) };
    }
    return new SpamModel(m.hashBits as number, weights, m.bias as number, { ...m.calibration }, { ...(m.meta as ModelMeta) }, grams);
  }
}

/** Reads a model file. Throws ModelFormatError (with cause) on a missing, unreadable or foreign file. */
export function loadModel(path: string = DEFAULT_MODEL_PATH): SpamModel {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new ModelFormatError(`cannot read spam model ${path}`, { cause });
  }
  return SpamModel.fromJSON(json);
}

export function saveModel(model: SpamModel, path: string): void {
  writeFileSync(path, JSON.stringify(model.toJSON()) + '\n');
}
