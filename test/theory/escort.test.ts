import { categoricalGradient, escortDistribution, minimiseCategorical, softmax } from '../../src/theory/escort.js';
import { lnQ } from '../../src/objectives/tsallis.js';

const alpha = [0.4, 0.3, 0.2, 0.1];

describe('the escort minimiser of J_Q', () => {
  it('closed form by hand: q = 1 gives alpha, q = 1/2 gives alpha^2 / sum alpha^2, q = 0 the mode', () => {
    expect(escortDistribution(alpha, 1)).toEqual(alpha.map((a) => expect.closeTo(a, 15)));
    expect(escortDistribution(alpha, 0.5)).toEqual([16, 9, 4, 1].map((x) => expect.closeTo(x / 30, 15)));
    expect(escortDistribution(alpha, 0)).toEqual([1, 0, 0, 0]);
    // no underflow for small q: alpha^(1/q) with q = 0.01 is 1e-40-ish, the ratio is still right
    expect(escortDistribution([0.6, 0.4], 0.01)[1]).toBeCloseTo((2 / 3) ** 100 / (1 + (2 / 3) ** 100), 20);
  });

  it('the gradient in the logits matches central differences of J_Q', () => {
    const logits = [0.3, -0.2, 0.5, 0];
    const J = (l: number[], q: number) => -softmax(l).reduce((s, t, j) => s + alpha[j]! * lnQ(t, q), 0);
    for (const q of [0, 0.5, 1]) {
      const g = categoricalGradient(alpha, softmax(logits), q);
      logits.forEach((_, k) => {
        const h = 1e-6,
          up = logits.slice(),
          dn = logits.slice();
        up[k]! += h;
        dn[k]! -= h;
        expect(g[k]).toBeCloseTo((J(up, q) - J(dn, q)) / (2 * h), 8);
      });
    }
  });

  it.each([0.25, 0.5, 0.75, 1])('gradient descent at q = %s converges to the escort distribution within 1e-9', (q) => {
    const r = minimiseCategorical(alpha, q, { lr: 2 });
    expect(r.gradNorm).toBeLessThan(1e-13);
    const e = escortDistribution(alpha, q);
    r.theta.forEach((t, j) => expect(Math.abs(t - e[j]!)).toBeLessThan(1e-9));
  });

  it('at q = 0 moves the mass to the mode, the rest shrinking like 1/t', () => {
    const a = minimiseCategorical(alpha, 0, { lr: 2, maxSteps: 2000, gradTol: 0 });
    const b = minimiseCategorical(alpha, 0, { lr: 2, maxSteps: 20000, gradTol: 0 });
    expect(b.theta[0]).toBeGreaterThan(a.theta[0]!);
    // ten times the steps: about a tenth of the mass off the mode (measured ratio 0.100)
    expect((1 - b.theta[0]!) / (1 - a.theta[0]!)).toBeGreaterThan(0.09);
    expect((1 - b.theta[0]!) / (1 - a.theta[0]!)).toBeLessThan(0.11);
  });
});
