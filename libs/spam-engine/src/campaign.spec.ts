import { campaignGroups, campaignKeys } from './campaign';
import { groupedFolds, trainModel, type Example } from './train';

const words = (n: number, seed: number) => Array.from({ length: n }, (_, i) => `w${(i * 7 + seed * 13) % 97}x${i % 11}`).join(' ');

describe('campaign keys', () => {
  it('normalise the Subject: list tags, Re:, case, digits and punctuation do not make another campaign', () => {
    const a = campaignKeys('[SAtalk] Re: Lose 30 lbs in 30 days!!', '');
    const b = campaignKeys('LOSE 45 LBS IN 12 DAYS', '');
    expect(a).toEqual(['s:lose 00 lbs in 00 days']);
    expect(b).toEqual(a);
  });

  it('give no Subject key for a bare or tiny Subject', () => {
    expect(campaignKeys('hello', '')).toEqual([]);
    expect(campaignKeys('Re: hi you', '')).toEqual([]);
    expect(campaignKeys('', '')).toEqual([]);
  });

  it('share a body band between near-copies of a text and none between unrelated texts', () => {
    const text = words(200, 1);
    const copy = campaignKeys('', text.replace('w', 'W').replace(/x3 /, 'x3 extra ') + ' unsubscribe here 12345');
    const other = campaignKeys('', words(200, 2));
    const base = campaignKeys('', text);
    expect(base).toHaveLength(6);
    expect(base.filter((k) => copy.includes(k)).length).toBeGreaterThan(0);
    expect(base.filter((k) => other.includes(k))).toEqual([]);
  });

  it('give no body key for a text under 15 words', () => {
    expect(campaignKeys('', 'a short note of ten words or so only here')).toEqual([]);
  });
});

describe('campaign groups and grouped folds', () => {
  it('link messages through any shared key, transitively', () => {
    expect(Array.from(campaignGroups([['s:a'], ['s:b'], ['s:a', 'b0:x'], ['b0:x'], []]))).toEqual([0, 1, 0, 0, 4]);
  });

  it('keep every group whole in one fold and the folds stratified', () => {
    const groups: number[] = [];
    const labels: number[] = [];
    for (let g = 0; g < 40; g++) {
      for (let k = 0; k < 1 + (g % 4); k++) {
        groups.push(g);
        labels.push(g % 3 === 0 ? 1 : 0);
      }
    }
    const folds = groupedFolds(groups, labels, 5, 42);
    const foldOf = new Map<number, number>();
    groups.forEach((g, i) => {
      expect(foldOf.get(g) ?? folds[i]).toBe(folds[i]);
      foldOf.set(g, folds[i]);
    });
    for (const cls of [0, 1]) {
      const per = [0, 1, 2, 3, 4].map((f) => labels.filter((l, i) => l === cls && folds[i] === f).length);
      expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(4);
    }
    expect(Array.from(groupedFolds(groups, labels, 5, 42))).toEqual(Array.from(folds));
  });
});

describe('trainModel calibrationFolds', () => {
  // Small synthetic campaigns: each spam campaign repeats its own words; ham shares a common vocabulary.
  const examples: Example[] = [];
  for (let c = 0; c < 30; c++) {
    for (let k = 0; k < 4; k++) {
      const spam = c % 2 === 0;
      const names = spam ? [`camp${c}a`, `camp${c}b`, 'free', `n${k}`] : ['meeting', `topic${c}`, `n${k}`, 'thanks'];
      examples.push({ names, label: spam ? 1 : 0, campaign: [`s:campaign ${c}`] });
    }
  }
  const opts = { hashBits: 12, gramBits: 0, epochs: 3 };

  it('fits on random folds alone without campaign keys or with "random", as before', () => {
    const plain = trainModel(examples.map(({ campaign: _, ...e }) => e), { version: 't' }, opts);
    const random = trainModel(examples, { version: 't' }, { ...opts, calibrationFolds: 'random' });
    expect(random.calibration).toEqual(plain.calibration);
    expect(random.campaignMargins).toBeUndefined();
  });

  it('fits on out-of-campaign margins with "campaign" and on both sets with "both"', () => {
    const random = trainModel(examples, { version: 't' }, { ...opts, calibrationFolds: 'random' });
    const campaign = trainModel(examples, { version: 't' }, { ...opts, calibrationFolds: 'campaign' });
    const both = trainModel(examples, { version: 't' }, { ...opts, calibrationFolds: 'both' });
    expect(campaign.campaignMargins).toHaveLength(examples.length);
    // A spam of an unseen campaign has only `free` to go on: its out-of-campaign margin is lower.
    const spamMean = (m: Float64Array) => examples.reduce((a, e, i) => a + (e.label ? m[i] : 0), 0) / 60;
    expect(spamMean(campaign.campaignMargins as Float64Array)).toBeLessThan(spamMean(random.oofMargins));
    expect(campaign.calibration).not.toEqual(random.calibration);
    expect(both.calibration).not.toEqual(campaign.calibration);
    expect(both.calibration).not.toEqual(random.calibration);
    // The base weights do not depend on what the calibration is fitted on.
    expect(Buffer.from(both.model.weights.buffer).equals(Buffer.from(random.model.weights.buffer))).toBe(true);
  });
});
