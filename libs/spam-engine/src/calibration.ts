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

/**
 * Stacked calibration: p = σ(Σ aₖ·mₖ + b) over several models' margins, fitted by Newton's method on
 * out-of-fold margins with the same smoothed targets as fitPlatt. With one model it is Platt scaling.
 */
export function fitStack(margins: readonly ArrayLike<number>[], labels: ArrayLike<number>): { a: number[]; b: number } {
  const k = margins.length;
  const n = labels.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += labels[i];
  const hi = (pos + 1) / (pos + 2);
  const lo = 1 / (n - pos + 2);
  const d = k + 1;
  const w = new Array<number>(d).fill(0);
  for (let j = 0; j < k; j++) w[j] = 1 / k;
  w[k] = -Math.log((n - pos + 1) / (pos + 1));
  const x = (i: number, j: number) => (j < k ? margins[j][i] : 1);
  const loss = (v: number[]) => {
    let l = 0;
    for (let i = 0; i < n; i++) {
      const t = labels[i] ? hi : lo;
      let z = 0;
      for (let j = 0; j < d; j++) z += v[j] * x(i, j);
      l += z >= 0 ? (1 - t) * z + Math.log1p(Math.exp(-z)) : -t * z + Math.log1p(Math.exp(z));
    }
    return l;
  };
  for (let iter = 0; iter < 100; iter++) {
    const g = new Array<number>(d).fill(0);
    const h = Array.from({ length: d }, (_, r) => Array.from({ length: d }, (_, c) => (r === c ? 1e-9 : 0)));
    for (let i = 0; i < n; i++) {
      let z = 0;
      for (let j = 0; j < d; j++) z += w[j] * x(i, j);
      const p = sigmoid(z);
      const r = p - (labels[i] ? hi : lo);
      const s = Math.max(p * (1 - p), 1e-12);
      for (let a = 0; a < d; a++) {
        g[a] += r * x(i, a);
        for (let c = 0; c < d; c++) h[a][c] += s * x(i, a) * x(i, c);
      }
    }
    if (g.every((v) => Math.abs(v) < 1e-7)) break;
    const step = solve(h, g.map((v) => -v));
    const before = loss(w);
    let t = 1;
    while (t > 1e-6 && loss(w.map((v, j) => v + t * step[j])) > before) t /= 2;
    if (t <= 1e-6) break;
    for (let j = 0; j < d; j++) w[j] += t * step[j];
  }
  return { a: w.slice(0, k), b: w[k] };
}

/** Gaussian elimination with partial pivoting (small dense systems). */
function solve(m: number[][], v: number[]): number[] {
  const n = v.length;
  const a = m.map((row, i) => [...row, v[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    for (let r = c + 1; r < n; r++) {
      const f = a[r][c] / a[c][c];
      for (let k = c; k <= n; k++) a[r][k] -= f * a[c][k];
    }
  }
  const out = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = a[r][n];
    for (let k = r + 1; k < n; k++) s -= a[r][k] * out[k];
    out[r] = s / a[r][r];
  }
  return out;
}
