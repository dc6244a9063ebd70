import {
  contaminationTime,
  contaminationTimeLeading,
  noiseEquilibrium,
  noiseEquilibriumApprox,
  noiseEquilibriumNumeric,
  noiseGradient,
  trainNoisyLabel,
} from '../../src/theory/label-noise.js';
import { lnQ } from '../../src/objectives/tsallis.js';

describe('label noise', () => {
  it('the gradient in the logit matches central differences of J_Q', () => {
    const J = (x: number, eps: number, q: number) => {
      const pi = 1 / (1 + Math.exp(-x));
      return -(1 - eps) * lnQ(1 - pi, q) - eps * lnQ(pi, q);
    };
    for (const q of [0, 0.5, 1]) {
      const x = -1.3,
        h = 1e-6,
        pi = 1 / (1 + Math.exp(-x));
      expect(noiseGradient(pi, 0.1, q)).toBeCloseTo((J(x + h, 0.1, q) - J(x - h, 0.1, q)) / (2 * h), 8);
    }
  });

  it('equilibrium odds are (eps/(1-eps))^(1/q): by hand at q = 1 and 1/2, and the gradient root agrees to 1e-12', () => {
    expect(noiseEquilibrium(0.1, 1)).toBeCloseTo(0.1, 15); // q = 1 memorises the noise at its rate
    expect(noiseEquilibrium(0.1, 0.5)).toBeCloseTo(1 / 82, 15); // odds (1/9)^2 = 1/81
    expect(noiseEquilibriumApprox(0.1, 0.5)).toBeCloseTo(1 / 81, 15);
    for (const q of [0.25, 0.5, 0.75, 1]) {
      for (const eps of [0.01, 0.05, 0.2, 0.3]) {
        const exact = noiseEquilibrium(eps, q);
        expect(Math.abs(noiseEquilibriumNumeric(eps, q) / exact - 1)).toBeLessThan(1e-12);
        // pi* ≈ (eps/(1-eps))^(1/q), relative error exactly (eps/(1-eps))^(1/q)
        const approx = noiseEquilibriumApprox(eps, q);
        expect(approx / exact - 1).toBeCloseTo(approx, 12);
      }
    }
  });

  it('gradient descent from pi = 1/2 settles on pi* (q = 0.5, 0.75, 1)', () => {
    for (const q of [0.5, 0.75, 1]) {
      const r = trainNoisyLabel(0.1, q, { steps: 200000, gradTol: 1e-15 });
      expect(r.steps).toBeLessThan(200000);
      expect(Math.abs(r.pi / noiseEquilibrium(0.1, q) - 1)).toBeLessThan(1e-9);
    }
  });

  it('q = 0 never memorises: pi falls like 1 / (2 + (1 - 2 eps) lr t) (to 1% once t >= 1e4: the (1-pi)^2 ≈ 1 error decays like log(t)/t)', () => {
    for (const eps of [0.05, 0.3]) {
      let prev = 0.5;
      for (const steps of [10000, 100000, 400000]) {
        const { pi } = trainNoisyLabel(eps, 0, { steps });
        expect(pi).toBeLessThan(prev);
        prev = pi;
        expect(Math.abs(pi * (2 + (1 - 2 * eps) * steps) - 1)).toBeLessThan(0.01);
      }
    }
  });

  it('reaching contamination eta << pi* takes about eta^(q+1) / ((q+1) eps)', () => {
    // the ratio tends to 1 as eta / pi* -> 0, at the rate (eta/pi*)^q
    for (const q of [0.5, 1]) {
      const star = noiseEquilibrium(0.1, q);
      const r = (f: number) => contaminationTime(0.1, q, star * f) / contaminationTimeLeading(0.1, q, star * f);
      expect(r(1e-1)).toBeGreaterThan(1);
      expect(r(1e-6)).toBeGreaterThan(1);
      expect(r(1e-6) - 1).toBeLessThan(3 * 1e-6 ** q);
    }
    // q = 1 by hand: d pi/dt = 0.1/pi - 0.9/(1-pi); near 0 the time to eta is eta^2 / 0.2
    expect(contaminationTimeLeading(0.1, 1, 0.001)).toBeCloseTo(0.001 ** 2 / 0.2, 15);
  });
});
