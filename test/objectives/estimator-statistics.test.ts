/**
 * The estimators are right, not merely running: on the tabular model (src/theory/tabular-model.ts),
 * where P = sum_j p_j b_j and grad ln_q P are exact, GARL and PAFT coefficients from
 * src/objectives are turned into gradient estimates exactly as the training graph uses them
 * (coefficients times grad log-probs of the rationale and of the answer; the answer has its own
 * parameters phi so the answer coefficients matter). Estimators are taken without the paper's
 * 1/M^q factor, so they target grad ln_q P itself.
 *
 * Monte Carlo checks compare each of the 8 gradient components with its target within 4.5
 * standard errors: under the CLT a component fails with probability 6.8e-6, all 8 together with
 * under 6e-5; the seeds are fixed, so the tests are deterministic anyway.
 */
import { Rng } from '../../src/util/rng.js';
import {
  bias,
  estimateGradient,
  exactMoments,
  exactPaftMoments,
  leadingBias,
  monteCarloMoments,
  norm,
} from '../../src/theory/estimator-moments.js';
import { fitSlope } from '../../src/theory/fit.js';
import { gradLnQ, modelFromProbabilities } from '../../src/theory/tabular-model.js';

const model = modelFromProbabilities([0.4, 0.3, 0.2, 0.1], [0.1, 0.5, 0.8, 0.3]); // P = 0.38
const SIGMAS = 4.5;

function expectWithinSe(mean: number[], target: readonly number[], se: number[]): void {
  mean.forEach((m, i) => expect(Math.abs(m - target[i]!)).toBeLessThan(SIGMAS * se[i]! + 1e-12));
}

describe('GARL at q = 0 is unbiased', () => {
  it.each([1, 2, 4, 8])('M = %s: the Monte Carlo mean equals grad P within 4.5 standard errors', (M) => {
    const mc = monteCarloMoments(model, 'garl', 0, M, 20000, new Rng(100 + M));
    expectWithinSe(mc.mean, gradLnQ(model, 0), mc.standardErrors);
  });

  it('and exactly so: the mean over all multisets of M = 6 equals grad P to rounding', () => {
    const ex = exactMoments(model, 'garl', 0, 6);
    expect(norm(bias(model, 0, ex.mean))).toBeLessThan(1e-14);
  });
});

describe('GARL at q > 0 is biased, and the bias shrinks like 1/M', () => {
  it('Monte Carlo sees the bias at q = 1, M = 2, and agrees with the exact enumeration', () => {
    const mc = monteCarloMoments(model, 'garl', 1, 2, 20000, new Rng(7));
    const exact = gradLnQ(model, 1);
    const z = mc.mean.map((m, i) => Math.abs(m - exact[i]!) / mc.standardErrors[i]!);
    expect(Math.max(...z)).toBeGreaterThan(10);
    expectWithinSe(mc.mean, exactMoments(model, 'garl', 1, 2).mean, mc.standardErrors);
  });

  it.each([0.25, 0.5, 0.75, 1])(
    'q = %s: log-log slope of |bias| against M in [-1.1, -0.9], and M |bias| -> the delta-method constant',
    (q) => {
      const Ms = [8, 16, 32];
      const b = Ms.map((M) => norm(bias(model, q, exactMoments(model, 'garl', q, M).mean)));
      const slope = fitSlope(Ms.map(Math.log), b.map(Math.log));
      expect(slope).toBeGreaterThan(-1.1);
      expect(slope).toBeLessThan(-0.9);
      // closed form: bias = beta / M + O(1/M^2); measured ratio at M = 32 is 1.007 (q = 0.25) to 1.021 (q = 1)
      const beta = norm(leadingBias(model, q));
      expect(Math.abs((32 * b[2]!) / beta - 1)).toBeLessThan(0.03);
      expect(Math.abs((32 * b[2]!) / beta - 1)).toBeLessThan(Math.abs((8 * b[0]!) / beta - 1)); // and converging
    },
  );
});

describe('PAFT', () => {
  it("has mean equal to GARL's plug-in form for a fixed group (over its resampling)", () => {
    const samples = [0, 1, 2, 2, 3, 1];
    for (const q of [0, 0.5, 1]) {
      const rng = new Rng(31);
      const R = 20000,
        dim = 8;
      const sum = new Array(dim).fill(0),
        sum2 = new Array(dim).fill(0);
      for (let r = 0; r < R; r++) {
        const g = estimateGradient(model, 'paft', q, samples, rng);
        g.forEach((x, i) => {
          sum[i] += x;
          sum2[i] += x * x;
        });
      }
      const mean = sum.map((s) => s / R);
      const se = sum2.map((s, i) => Math.sqrt((s / R - mean[i]! ** 2) / R));
      expectWithinSe(mean, estimateGradient(model, 'garl-plug-in', q, samples), se);
    }
  });

  it('has the same expectation as GARL (the leave-one-out baseline has mean zero): exactly, and by Monte Carlo', () => {
    for (const q of [0.25, 1]) {
      const garlMean = exactMoments(model, 'garl', q, 5).mean;
      const plug = exactMoments(model, 'garl-plug-in', q, 5).mean;
      const paftExact = exactPaftMoments(model, q, 5).mean;
      expect(norm(plug.map((x, i) => x - garlMean[i]!))).toBeLessThan(1e-13);
      expect(norm(paftExact.map((x, i) => x - garlMean[i]!))).toBeLessThan(1e-13);
      const mc = monteCarloMoments(model, 'paft', q, 5, 20000, new Rng(17));
      expectWithinSe(mc.mean, garlMean, mc.standardErrors);
    }
  });

  it('has larger variance than GARL: Var(PAFT) = Var(plug-in) + E[resampling variance] > Var(GARL)', () => {
    for (const [q, M] of [
      [0, 4],
      [0.5, 16],
      [1, 4],
    ] as const) {
      {
        const g = exactMoments(model, 'garl', q, M);
        const p = exactPaftMoments(model, q, M);
        expect(p.resamplingVariance).toBeGreaterThan(0);
        expect(p.variance).toBeGreaterThan(g.variance);
        // the decomposition agrees with the variance of the real, randomised paft() function:
        // with 20000 groups the relative standard error of a variance estimate is about 1-2% here
        const mcP = monteCarloMoments(model, 'paft', q, M, 20000, new Rng(1000 * q + M));
        expect(Math.abs(mcP.variance / p.variance - 1)).toBeLessThan(0.06);
        const mcG = monteCarloMoments(model, 'garl', q, M, 20000, new Rng(2000 * q + M));
        expect(Math.abs(mcG.variance / g.variance - 1)).toBeLessThan(0.06);
        expect(mcP.variance).toBeGreaterThan(mcG.variance);
      }
    }
  });
});
