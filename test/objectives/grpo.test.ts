import { grpo, grpoAdvantages } from '../../src/objectives/grpo.js';
import { rloo, rlooAdvantages } from '../../src/objectives/rloo.js';
import { sft } from '../../src/objectives/sft.js';

/** The hand-worked group: exact-match rewards r = (1, 0, 0, 0); mean 1/4; sample std sqrt(0.75 / 3) = 1/2. */
const r = [1, 0, 0, 0];

describe('GRPO on the hand-worked M = 4 group', () => {
  it('(r - mean) / (std + eps) with the sample std: (1.5, -0.5, -0.5, -0.5) up to eps', () => {
    const a = grpoAdvantages(r);
    const d = 0.5 + 1e-6;
    expect(a).toEqual([0.75 / d, -0.25 / d, -0.25 / d, -0.25 / d].map((x) => expect.closeTo(x, 14)));
    const g = grpo(r);
    expect(g.sequences[0]).toEqual({ rationale: a[0], answer: a[0] });
    expect(g.meanReward).toBe(0.25);
    expect(g.stdReward).toBeCloseTo(0.5, 15);
  });

  it('population std sqrt(3/16) and no std scaling (Dr. GRPO)', () => {
    const s = Math.sqrt(3) / 4;
    expect(grpoAdvantages(r, { std: 'population', eps: 0 })).toEqual(
      [0.75 / s, -0.25 / s, -0.25 / s, -0.25 / s].map((x) => expect.closeTo(x, 14)),
    );
    expect(grpoAdvantages(r, { scaleByStd: false })).toEqual([0.75, -0.25, -0.25, -0.25]);
  });

  it('a zero-variance group and a group of one give zero advantages', () => {
    expect(grpoAdvantages([1, 1, 1, 1])).toEqual([0, 0, 0, 0]);
    expect(grpoAdvantages([0, 0])).toEqual([0, 0]);
    expect(grpoAdvantages([1])).toEqual([0]);
  });

  it('rejects bad rewards', () => {
    expect(() => grpoAdvantages([])).toThrow(/at least one reward/);
    expect(() => grpoAdvantages([1, NaN])).toThrow(/reward 1/);
  });
});

describe('RLOO on the hand-worked M = 4 group', () => {
  it('r_m - mean of the others: (1, -1/3, -1/3, -1/3)', () => {
    expect(rlooAdvantages(r)).toEqual([1, -1 / 3, -1 / 3, -1 / 3].map((x) => expect.closeTo(x, 15)));
    const g = rloo([0.5, 1, 0, 0.5]);
    // others' means: 0.5, 1/3, 2/3, 0.5
    expect(g.advantages).toEqual([0, 2 / 3, -2 / 3, 0].map((x) => expect.closeTo(x, 15)));
    expect(g.sequences[1]).toEqual({ rationale: g.advantages[1], answer: g.advantages[1] });
  });

  it('equals M / (M - 1) times the centred reward', () => {
    const rs = [0.3, 0.9, 0.1, 0.7, 0.5];
    const mean = 0.5;
    rlooAdvantages(rs).forEach((a, m) => expect(a).toBeCloseTo((5 / 4) * (rs[m]! - mean), 14));
  });

  it('M = 1: baseline 0', () => {
    expect(rlooAdvantages([0.7])).toEqual([0.7]);
  });
});

describe('SFT', () => {
  it('puts the weight on every target token', () => {
    expect(sft([1, 0.5]).sequences).toEqual([
      { rationale: 1, answer: 1 },
      { rationale: 0.5, answer: 0.5 },
    ]);
    expect(() => sft([])).toThrow(/at least one target/);
  });
});
