/** Figures of a scored split. Probabilities in 0..1; thresholds compare the two-decimal percentage. */
export interface Summary {
  messages: number;
  spam: number;
  ham: number;
  auc: number;
  at90: { caught: number; flagged: number };
  at100: { caught: number; flagged: number };
  caught_at_flagged_0_1pct: number;
  cpu_ms_per_message?: number;
}

const pct = (p: number) => Math.round(Math.min(1, Math.max(0, p)) * 10_000) / 100;

/** ROC AUC by the rank-sum, ties counted half. */
export function auc(scores: readonly number[], labels: readonly number[]): number {
  const idx = scores.map((_, i) => i).sort((x, y) => scores[x] - scores[y]);
  let rankSumPos = 0;
  let pos = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[idx[k]]) (rankSumPos += rank), pos++;
    i = j + 1;
  }
  const neg = idx.length - pos;
  return pos && neg ? (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg) : NaN;
}

/**
 * The best share of spam caught while at most `hamShare` of the ham (floor) is at or above the threshold: the
 * threshold sits just above the (k+1)-th highest ham score. Ranking only; 0 when there is no spam.
 */
export function caughtAtHamShare(scores: ArrayLike<number>, labels: readonly number[], hamShare: number): number {
  const all = Array.from(scores);
  const hamDesc = all.filter((_, i) => !labels[i]).sort((x, y) => y - x);
  const k = Math.floor(hamDesc.length * hamShare);
  const bar = hamDesc.length > k ? hamDesc[k] : -Infinity;
  const spam = all.filter((_, i) => labels[i]);
  return spam.length ? spam.filter((p) => p > bar).length / spam.length : 0;
}

export function summarise(probabilities: readonly number[], labels: readonly number[]): Summary {
  const spamScores = probabilities.filter((_, i) => labels[i]);
  const hamScores = probabilities.filter((_, i) => !labels[i]);
  const share = (xs: number[], min: number) => (xs.length ? xs.filter((p) => pct(p) >= min).length / xs.length : 0);
  return {
    messages: probabilities.length,
    spam: spamScores.length,
    ham: hamScores.length,
    auc: auc(probabilities, labels),
    at90: { caught: share(spamScores, 90), flagged: share(hamScores, 90) },
    at100: { caught: share(spamScores, 100), flagged: share(hamScores, 100) },
    caught_at_flagged_0_1pct: caughtAtHamShare(probabilities, labels, 0.001),
  };
}
