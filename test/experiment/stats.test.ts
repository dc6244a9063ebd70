/** src/experiment/stats.ts against hand-worked values and direct formulas. */
import {
  adamFirstStepNorm,
  binomialUpper95,
  quantile,
  quantiles,
  rolloutEntropy,
  sgdFirstStepNorm,
} from '../../src/experiment/stats.js';
import { Sgd } from '../../src/runtime/optimizer.js';
import type { Rollout } from '../../src/runtime/rollout.js';

describe('quantiles', () => {
  it('interpolates between order statistics like numpy', () => {
    // numpy.quantile([1, 2, 3, 4, 10], [0.1, 0.5, 0.9]) = [1.4, 3.0, 7.6]
    const q = quantiles([10, 3, 1, 4, 2]);
    expect(q.p10).toBeCloseTo(1.4, 12);
    expect(q.p50).toBe(3);
    expect(q.p90).toBeCloseTo(7.6, 12);
    expect(quantile([5], 0.9)).toBe(5);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('binomialUpper95', () => {
  it('with no success is 1 - 0.05^(1/n) (the exact one-sided bound)', () => {
    expect(binomialUpper95(0, 5120)).toBeCloseTo(1 - 0.05 ** (1 / 5120), 9);
    expect(binomialUpper95(0, 10)).toBeCloseTo(0.2589, 4);
  });
  it('matches the Clopper-Pearson bound: P(X <= k | p) = 0.05', () => {
    const p = binomialUpper95(1, 10);
    expect(p).toBeCloseTo(0.3942, 4); // 1 success in 10
    const cdf = (1 - p) ** 10 + 10 * p * (1 - p) ** 9;
    expect(cdf).toBeCloseTo(0.05, 8);
    expect(binomialUpper95(10, 10)).toBe(1);
  });
});

describe('rolloutEntropy', () => {
  const rollout = (samplingLogprobs: number[], forced: boolean): Rollout => ({
    prompt: 0,
    sample: 0,
    tokens: samplingLogprobs.map((_, i) => i),
    logprobs: samplingLogprobs,
    samplingLogprobs,
    rationale: [0, 0],
    answer: [0, 0],
    finishReason: 'eos',
    thinkingForced: forced,
  });
  it('averages -log p over sampled tokens and leaves the forced close out of the count', () => {
    // Second rollout: two sampled tokens, then a forced close of 3 tokens (log p 0 by convention).
    const e = rolloutEntropy([rollout([-0.5, -1.5], false), rollout([-1, -2, 0, 0, 0], true)], 3);
    expect(e).toBeCloseTo(5 / 4, 12); // 0.5 + 1.5 + 1 + 2 over 4 sampled tokens
    expect(rolloutEntropy([], 3)).toBeNaN();
  });
});

describe('adamFirstStepNorm', () => {
  it('is lr * || g / (|g| + eps) ||: sign-like above eps, SGD at lr / eps below', () => {
    const g = [Float32Array.of(3, -4), Float32Array.of(1e-12)];
    const eps = 1e-8,
      lr = 0.1;
    const direct = lr * Math.hypot(3 / (3 + eps), -4 / (4 + eps), Math.fround(1e-12) / (Math.fround(1e-12) + eps));
    expect(adamFirstStepNorm(g, lr, eps)).toBeCloseTo(direct, 12);
    expect(adamFirstStepNorm(g, lr, eps)).toBeCloseTo(lr * Math.SQRT2, 6); // two sign-like coordinates
    // |g| = 1e-4 eps: (lr / eps) |g| to within |g| / eps.
    expect(adamFirstStepNorm([Float32Array.of(1e-12)], lr, eps) / ((lr / eps) * Math.fround(1e-12))).toBeCloseTo(1, 3);
  });
});

describe('sgdFirstStepNorm', () => {
  it("is the norm of the Sgd optimizer's own first update, with momentum or without", () => {
    const grads = new Map([
      ['a', Float32Array.of(3, -4)],
      ['b', Float32Array.of(0.5, 0, -0.25)],
    ]);
    for (const momentum of [0, 0.9]) {
      const params = new Map([...grads].map(([k, g]) => [k, new Float32Array(g.length).fill(1)] as const));
      new Sgd(params, { momentum }).step(grads, 0.2);
      const moved = Math.hypot(...[...params.values()].flatMap((p) => [...p].map((x) => x - 1)));
      expect(sgdFirstStepNorm(grads.values(), 0.2)).toBeCloseTo(moved, 6);
    }
    expect(sgdFirstStepNorm(grads.values(), 0.2)).toBeCloseTo(0.2 * Math.hypot(3, 4, 0.5, 0.25), 12);
  });
});
