/**
 * A third model: per class an order-k PPM character model (PPM-D escapes, no exclusion) over the gram text
 * (grams.ts), after Bratko, Cormack et al., "Spam filtering using statistical data compression models" (JMLR
 * 2006). A message's margin is the difference of its code lengths under the ham and the spam model, per
 * character: (bits under ham − bits under spam) / length (their cross-entropy difference), positive = spam.
 *
 * Contexts and (context, symbol) pairs are hashed into fixed tables of counts (no collision check), so the model
 * has a fixed size whatever it is trained on; a collision can only make a count larger.
 */
export interface PpmOptions {
  /** Longest context, in characters. */
  order: number;
  /** log2 of the (context, symbol) count table of each class. */
  symBits: number;
  /** log2 of the context table (total count and distinct symbols) of each class. */
  ctxBits: number;
  /** Count the message's own characters while coding it (Bratko's "adaptive" model). */
  adaptive: boolean;
  /** The margin is the code-length difference divided by length^norm: 1 = per character (Bratko's), 0.5, 0 = total bits. */
  norm: number;
}

export const DEFAULT_PPM_OPTIONS: PpmOptions = { order: 5, symBits: 22, ctxBits: 21, adaptive: false, norm: 1 };

const MAX_ORDER = 12;
const LOG2_ALPHABET = 8;

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// Scratch: the context keys of one position, order 0..k.
const ctxKeys = new Uint32Array(MAX_ORDER + 1);

/** Context keys of position i (orders 0..min(order, i)); returns the highest order available. */
function contexts(text: string, i: number, order: number): number {
  const top = Math.min(order, i);
  let h = 0x811c9dc5;
  ctxKeys[0] = fmix(h);
  for (let o = 1; o <= top; o++) {
    h ^= text.charCodeAt(i - o);
    h = Math.imul(h, 0x01000193);
    ctxKeys[o] = fmix((h ^ Math.imul(o, 0x9e3779b1)) >>> 0);
  }
  return top;
}

function symKey(ctx: number, sym: number): number {
  return fmix((Math.imul(ctx ^ sym, 0x01000193) ^ 0x5bd1e995) >>> 0);
}

/** Per-call overlay of counts (the adaptive model): open addressing with a stamp, reused across calls. */
class Overlay {
  keys = new Uint32Array(1 << 14);
  vals = new Uint32Array(1 << 14);
  aux = new Uint32Array(1 << 14);
  stamps = new Uint32Array(1 << 14);
  stamp = 0;
  reset(entries: number): void {
    let size = this.keys.length;
    while (size < entries * 2) size *= 2;
    if (size > this.keys.length) {
      this.keys = new Uint32Array(size);
      this.vals = new Uint32Array(size);
      this.aux = new Uint32Array(size);
      this.stamps = new Uint32Array(size);
      this.stamp = 0;
    }
    if (++this.stamp === 0xffffffff) {
      this.stamps.fill(0);
      this.stamp = 1;
    }
  }
  /** Slot of key (inserted with zero values when absent). */
  slot(key: number): number {
    const mask = this.keys.length - 1;
    let j = key & mask;
    for (;;) {
      if (this.stamps[j] !== this.stamp) {
        this.stamps[j] = this.stamp;
        this.keys[j] = key;
        this.vals[j] = 0;
        this.aux[j] = 0;
        return j;
      }
      if (this.keys[j] === key) return j;
      j = (j + 1) & mask;
    }
  }
}
const symOverlay = new Overlay();
const ctxOverlay = new Overlay();

/** One class's counts. */
export class PpmClassModel {
  readonly symMask: number;
  readonly ctxMask: number;
  constructor(
    readonly order: number,
    readonly sym: Uint32Array,
    readonly ctxN: Uint32Array,
    readonly ctxD: Uint32Array,
  ) {
    this.symMask = sym.length - 1;
    this.ctxMask = ctxN.length - 1;
  }

  static empty(o: PpmOptions): PpmClassModel {
    return new PpmClassModel(o.order, new Uint32Array(2 ** o.symBits), new Uint32Array(2 ** o.ctxBits), new Uint32Array(2 ** o.ctxBits));
  }

  /** Counts every character of the text in every context order. */
  add(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const top = contexts(text, i, this.order);
      const c = text.charCodeAt(i);
      for (let o = 0; o <= top; o++) {
        const ci = ctxKeys[o] & this.ctxMask;
        const si = symKey(ctxKeys[o], c) & this.symMask;
        if (this.sym[si] === 0) this.ctxD[ci]++;
        this.sym[si]++;
        this.ctxN[ci]++;
      }
    }
  }

  /** Code length of the text in bits (PPM-D, no exclusion); adaptive: the text's own counts are added as it goes. */
  bits(text: string, adaptive = false): number {
    let log = 0;
    let prod = 1;
    if (adaptive) {
      symOverlay.reset(text.length * (this.order + 1));
      ctxOverlay.reset(text.length * (this.order + 1));
    }
    for (let i = 0; i < text.length; i++) {
      const top = contexts(text, i, this.order);
      const c = text.charCodeAt(i);
      let p = 0;
      for (let o = top; o >= 0; o--) {
        const ci = ctxKeys[o] & this.ctxMask;
        let n = this.ctxN[ci];
        let d = this.ctxD[ci];
        let cs = 0;
        let ctxSlot = -1;
        let symSlot = -1;
        const sk = symKey(ctxKeys[o], c);
        if (adaptive) {
          ctxSlot = ctxOverlay.slot(ctxKeys[o]);
          n += ctxOverlay.vals[ctxSlot];
          d += ctxOverlay.aux[ctxSlot];
          symSlot = symOverlay.slot(sk);
          cs = symOverlay.vals[symSlot];
        }
        if (n === 0) continue;
        cs += this.sym[sk & this.symMask];
        if (cs > n) cs = n;
        if (d < 1) d = 1;
        if (cs > 0) {
          p = (2 * cs - 1) / (2 * n);
          break;
        }
        prod *= d / (2 * n);
      }
      if (adaptive) {
        for (let o = 0; o <= top; o++) {
          const cj = ctxOverlay.slot(ctxKeys[o]);
          const sj = symOverlay.slot(symKey(ctxKeys[o], c));
          if (symOverlay.vals[sj] === 0 && this.sym[symKey(ctxKeys[o], c) & this.symMask] === 0) ctxOverlay.aux[cj]++;
          symOverlay.vals[sj]++;
          ctxOverlay.vals[cj]++;
        }
      }
      prod *= p > 0 ? p : 2 ** -LOG2_ALPHABET;
      if (prod < 1e-250) {
        log += Math.log2(prod);
        prod = 1;
      }
    }
    return -(log + Math.log2(prod));
  }
}

/** The two classes' models; margin > 0 leans spam. */
export class PpmModel {
  constructor(
    readonly ham: PpmClassModel,
    readonly spam: PpmClassModel,
    readonly adaptive: boolean,
    readonly norm = 1,
  ) {}

  static train(texts: readonly string[], labels: ArrayLike<number>, o: PpmOptions = DEFAULT_PPM_OPTIONS): PpmModel {
    const ham = PpmClassModel.empty(o);
    const spam = PpmClassModel.empty(o);
    texts.forEach((t, i) => (labels[i] ? spam : ham).add(t));
    return new PpmModel(ham, spam, o.adaptive, o.norm ?? 1);
  }

  /** (bits under ham − bits under spam) / characters; 0 for an empty text. */
  margin(text: string): number {
    if (!text.length) return 0;
    const d = this.ham.bits(text, this.adaptive) - this.spam.bits(text, this.adaptive);
    return this.norm === 1 ? d / text.length : d / Math.pow(text.length, this.norm);
  }
}
