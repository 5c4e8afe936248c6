import type { Calibration } from './model';

export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * Platt scaling (Platt 1999, with Lin/Lin/Weng's safeguards): fits p = σ(a·m + b) to margins that the model
 * did NOT see in training (out-of-fold), with the smoothed targets (N₊+1)/(N₊+2) and 1/(N₋+2) so that a
 * separable training set does not push the sigmoid to a step.
 */
export function fitPlatt(margins: ArrayLike<number>, labels: ArrayLike<number>): Calibration {
  const n = margins.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += labels[i];
  const neg = n - pos;
  const hi = (pos + 1) / (pos + 2);
  const lo = 1 / (neg + 2);
  let a = 1;
  let b = Math.log((neg + 1) / (pos + 1)) * -1;
  const sigma = 1e-12;
  for (let iter = 0; iter < 100; iter++) {
    let g1 = 0, g2 = 0, h11 = sigma, h22 = sigma, h21 = 0;
    for (let i = 0; i < n; i++) {
      const t = labels[i] ? hi : lo;
      const p = sigmoid(a * margins[i] + b);
      const d1 = p - t;
      const d2 = Math.max(p * (1 - p), 1e-12);
      g1 += margins[i] * d1;
      g2 += d1;
      h11 += margins[i] * margins[i] * d2;
      h22 += d2;
      h21 += margins[i] * d2;
    }
    if (Math.abs(g1) < 1e-7 && Math.abs(g2) < 1e-7) break;
    const det = h11 * h22 - h21 * h21;
    const da = -(h22 * g1 - h21 * g2) / det;
    const db = -(-h21 * g1 + h11 * g2) / det;
    // Backtracking keeps the log-loss decreasing.
    const loss = (aa: number, bb: number) => {
      let l = 0;
      for (let i = 0; i < n; i++) {
        const t = labels[i] ? hi : lo;
        const z = aa * margins[i] + bb;
        l += z >= 0 ? (1 - t) * z + Math.log1p(Math.exp(-z)) : -t * z + Math.log1p(Math.exp(z));
      }
      return l;
    };
    const before = loss(a, b);
    let step = 1;
    while (step > 1e-6 && loss(a + step * da, b + step * db) > before) step /= 2;
    a += step * da;
    b += step * db;
    if (step <= 1e-6) break;
  }
  return { a, b };
}

/** Probability → percentage with two decimals, in [0, 100]; a non-finite input reads as 0. */
export function toPercent(probability: number): number {
  if (!Number.isFinite(probability)) return 0;
  return Math.round(Math.min(1, Math.max(0, probability)) * 10_000) / 100;
}

/** `98.00%`: the value stamped in the X-<Brand>-Spam-Check header (SPAM4). */
export function formatPercent(probability: number): string {
  return toPercent(probability).toFixed(2) + '%';
}
