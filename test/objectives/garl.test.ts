import { garl } from '../../src/objectives/garl.js';

/**
 * The hand-worked group: M = 4 rationales whose gold-answer probabilities are w = (0.8, 0.4, 0, 0.2).
 * W = 1.4 / 4 = 0.35; leave-one-out means W_-m = (0.6, 1.0, 1.4, 1.2) / 3 = (0.2, 1/3, 7/15, 0.4).
 */
const w = [0.8, 0.4, 0, 0.2];
const logW = w.map(Math.log); // log 0 = -Infinity: one rollout gives the gold answer no mass
const M = 4;

describe('GARL on the hand-worked M = 4 group', () => {
  it('q = 0: c_m = w_m - W_-m, rationale c_m / 4, answer w_m / 4 (Rao-Blackwellised RLOO)', () => {
    const g = garl(logW, { q: 0 });
    const c = [0.8 - 0.2, 0.4 - 1 / 3, 0 - 7 / 15, 0.2 - 0.4];
    c.forEach((cm, m) => {
      expect(g.c[m]).toBeCloseTo(cm, 14);
      expect(g.sequences[m]!.rationale).toBeCloseTo(cm / 4, 14);
      expect(g.sequences[m]!.answer).toBeCloseTo(w[m]! / 4, 14);
    });
    expect(g.maxScaledC).toBeCloseTo(0.6, 14);
    expect(g.W).toBeCloseTo(0.35, 15);
  });

  it('q = 1: c_m = w_m / W - 1, rationale c_m / 16, answer w_m / (16 W) (self-normalised)', () => {
    const g = garl(logW, { q: 1 });
    // w / W = (16/7, 8/7, 0, 4/7)
    const c = [9 / 7, 1 / 7, -1, -3 / 7];
    c.forEach((cm, m) => {
      expect(g.sequences[m]!.rationale).toBeCloseTo(cm / 16, 14);
      expect(g.sequences[m]!.answer).toBeCloseTo(w[m]! / 0.35 / 16, 14);
    });
    expect(g.maxScaledC).toBeCloseTo(9 / 7 / 4, 14);
  });

  // Coefficients worked out independently (Python, straight from the formulas in the paper notes):
  // [q, rationale c_m / (M^q M), answer w_m / (W^q M^q M), max_m c_m / M^q]
  const table: [number, number[], number[], number][] = [
    [0, [0.15, 0.0166666667, -0.1166666667, -0.05], [0.2, 0.1, 0, 0.05], 0.6],
    [
      0.25,
      [0.1309959799, 0.0143818666, -0.0998113884, -0.0429478347],
      [0.183864543, 0.0919322715, 0, 0.0459661358],
      0.5239839195,
    ],
    [
      0.5,
      [0.1131291515, 0.0123466418, -0.0853912564, -0.0367992288],
      [0.1690308509, 0.0845154255, 0, 0.0422577127],
      0.452516606,
    ],
    [
      0.75,
      [0.0962850503, 0.0105363297, -0.0730544559, -0.0314441904],
      [0.1553939008, 0.0776969504, 0, 0.0388484752],
      0.3851402011,
    ],
    [
      1,
      [0.0803571429, 0.0089285714, -0.0625, -0.0267857143],
      [0.1428571429, 0.0714285714, 0, 0.0357142857],
      0.3214285714,
    ],
  ];
  it.each(table)('q = %s: coefficient table', (q, rationale, answer, maxScaledC) => {
    const g = garl(logW, { q });
    expect(g.sequences.map((s) => s.rationale)).toEqual(rationale.map((x) => expect.closeTo(x, 9)));
    expect(g.sequences.map((s) => s.answer)).toEqual(answer.map((x) => expect.closeTo(x, 9)));
    expect(g.maxScaledC).toBeCloseTo(maxScaledC, 9);
    // and by direct arithmetic: W^q = 0.35^q, M^q = 4^q, baseline (W_-m)^(1-q)
    const loo = [0.2, 1 / 3, 7 / 15, 0.4];
    g.sequences.forEach((s, m) => {
      const cm = w[m]! / 0.35 ** q - loo[m]! ** (1 - q);
      expect(s.rationale).toBeCloseTo(cm / (M ** q * M), 13);
    });
    // the effective reward w_m / (W^q M^q) stays in [0, 1]
    for (const r of g.effectiveRewards) expect(r >= 0 && r <= 1).toBe(true);
  });

  it('without the baseline gives the plug-in form, and without 1/M^q the unscaled estimator', () => {
    const q = 0.5;
    const plug = garl(logW, { q, baseline: 'none' });
    plug.sequences.forEach((s, m) => {
      expect(s.rationale).toBeCloseTo(w[m]! / Math.sqrt(0.35) / 8, 14); // c_m = w_m / W^q, M^q M = 8
      expect(s.answer).toBeCloseTo(w[m]! / Math.sqrt(0.35) / 8, 14);
    });
    const unscaled = garl(logW, { q, scaleByMq: false });
    unscaled.sequences.forEach((s, m) => expect(s.answer).toBeCloseTo(w[m]! / Math.sqrt(0.35) / 4, 14));
  });
});

describe('GARL edge cases', () => {
  it('is exact when every w_m underflows in linear space (log space throughout)', () => {
    // w scaled by e^-2000: the ratios w_m / W^q scale by e^(-2000 (1-q)); at q = 1 they are unchanged
    const shifted = logW.map((l) => l - 2000);
    const g1 = garl(shifted, { q: 1 });
    const ref1 = garl(logW, { q: 1 });
    g1.sequences.forEach((s, m) => {
      expect(s.rationale).toBeCloseTo(ref1.sequences[m]!.rationale, 12);
      expect(s.answer).toBeCloseTo(ref1.sequences[m]!.answer, 12);
    });
    expect(g1.W).toBe(0); // W itself underflows ...
    expect(g1.logW).toBeCloseTo(Math.log(0.35) - 2000, 10); // ... but its log is kept
    expect(g1.degenerate).toBe(false);
    // q = 0.75 with logs -2000 + log w: c_m = e^{-500} (w_m / W^0.75 - W_-m^0.25), still representable
    const g = garl(shifted, { q: 0.75 });
    const ref = garl(logW, { q: 0.75 });
    g.c.forEach((cm, m) => expect(cm / Math.exp(-500)).toBeCloseTo(ref.c[m]!, 10));
  });

  it('W = 0: every coefficient is 0 and the group is flagged degenerate', () => {
    for (const q of [0, 0.5, 1]) {
      const g = garl([-Infinity, -Infinity, -Infinity], { q });
      expect(g.degenerate).toBe(true);
      expect(g.sequences).toEqual([
        { rationale: 0, answer: 0 },
        { rationale: 0, answer: 0 },
        { rationale: 0, answer: 0 },
      ]);
      expect(g.maxScaledC).toBe(0);
    }
  });

  it('M = 1: the baseline is 0, so c = w^(1-q)', () => {
    for (const q of [0, 0.25, 1]) {
      const g = garl([Math.log(0.3)], { q });
      expect(g.baselines).toEqual([0]);
      expect(g.c[0]).toBeCloseTo(0.3 ** (1 - q), 14);
      expect(g.sequences[0]!.rationale).toBeCloseTo(0.3 ** (1 - q), 14); // M^q M = 1
      expect(g.sequences[0]!.answer).toBeCloseTo(0.3 ** (1 - q), 14);
    }
  });

  it('q = 1 with W_-m = 0: the baseline W_-m^0 is 1', () => {
    const g = garl([Math.log(0.5), -Infinity], { q: 1 });
    // W = 0.25: c_1 = 0.5 / 0.25 - 0^0 = 1; c_2 = 0 - 0.5^0 = -1
    expect(g.c[0]).toBeCloseTo(1, 14);
    expect(g.c[1]).toBeCloseTo(-1, 14);
  });

  it('rejects bad input with a message naming it', () => {
    expect(() => garl([], { q: 0.5 })).toThrow(/at least one rollout/);
    expect(() => garl([0.5], { q: 0.5 })).toThrow(/log w\[0\] must be a log-probability/);
    expect(() => garl([NaN], { q: 0.5 })).toThrow(/log w\[0\]/);
    expect(() => garl([-1], { q: 1.5 })).toThrow(/q must be in \[0, 1\]/);
  });
});
