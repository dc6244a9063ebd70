import { escapeTime, escapeTimeAsymptotic } from '../../src/theory/escape-time.js';
import { integrate } from '../../src/theory/quadrature.js';
import { fitLine, logLogSlope } from '../../src/theory/fit.js';
import { softmaxEscapePrediction, softmaxEscapeSteps } from '../../src/theory/softmax-escape.js';

/**
 * Independent closed form: 1/(1-u)^2 = sum_k (k+1) u^k, so
 * T_q = sum_k (k+1) [delta^(k+q-1) - p0^(k+q-1)] / (k+q-1), with log(delta/p0) for k+q-1 = 0.
 * At delta = 1/2 the terms fall like k 2^-k: 200 terms are exact to rounding.
 */
function seriesT(q: number, p0: number, delta = 0.5): number {
  let s = 0;
  for (let k = 0; k < 200; k++) {
    const e = k + q - 1;
    s += (k + 1) * (Math.abs(e) < 1e-15 ? Math.log(delta / p0) : (delta ** e - p0 ** e) / e);
  }
  return s;
}

const P0S = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6];

describe('adaptive quadrature', () => {
  it('integrates hand-checkable functions to 1e-12', () => {
    expect(integrate(Math.exp, 0, 1)).toBeCloseTo(Math.E - 1, 12);
    expect(integrate((x) => 1 / x, 1, 1000)).toBeCloseTo(Math.log(1000), 11);
    expect(integrate(Math.sin, 0, Math.PI)).toBeCloseTo(2, 12);
  });
});

describe('escape times T_q(p0) to delta = 1/2', () => {
  it('match the series closed form to 1e-10 relative, and the antiderivative at q = 0', () => {
    for (const q of [0, 0.25, 0.5, 0.75, 1])
      for (const p0 of P0S) expect(Math.abs(escapeTime(q, p0) / seriesT(q, p0) - 1)).toBeLessThan(1e-10);
    // q = 0: antiderivative -1/u + 1/(1-u) + 2 log(u/(1-u)), from p0 to 1/2
    const F = (u: number) => -1 / u + 1 / (1 - u) + 2 * Math.log(u / (1 - u));
    expect(escapeTime(0, 1e-3)).toBeCloseTo(F(0.5) - F(1e-3), 8);
  });

  it('have log-log slopes -(1-q) over p0 <= 1e-4 (within 0.01), and T_1 is linear in log(1/p0) with coefficient 1 (within 0.02)', () => {
    // measured: -0.9996, -0.7492, -0.4988, -0.2587 for q = 0 .. 0.75; coefficient 1.014 at q = 1
    const small = P0S.slice(3);
    for (const q of [0, 0.25, 0.5, 0.75]) {
      const slope = logLogSlope(
        small,
        small.map((p) => escapeTime(q, p)),
      );
      expect(Math.abs(slope + (1 - q))).toBeLessThan(0.01);
    }
    const t1 = P0S.map((p) => escapeTime(1, p));
    expect(
      Math.abs(
        fitLine(
          P0S.map((p) => -Math.log(p)),
          t1,
        ).slope - 1,
      ),
    ).toBeLessThan(0.02);
    // and T_1 grows by log(10) per decade as p0 -> 0
    expect(t1[5]! - t1[4]!).toBeCloseTo(Math.log(10), 4);
  });

  it('approach the asymptotic forms: T_q - p0^-(1-q)/(1-q) tends to a constant, T_0 p0 -> 1', () => {
    expect(escapeTime(0, 1e-6) * 1e-6).toBeCloseTo(1, 4);
    expect(escapeTimeAsymptotic(0, 1e-3)).toBeCloseTo(1000, 9);
    expect(escapeTimeAsymptotic(0.5, 1e-4)).toBeCloseTo(200, 9);
    expect(escapeTimeAsymptotic(1, 1e-4)).toBeCloseTo(Math.log(1e4), 12);
    const d = (p: number) => escapeTime(0.5, p) - escapeTimeAsymptotic(0.5, p);
    expect(Math.abs(d(1e-6) - d(1e-5))).toBeLessThan(0.01);
    // the ratio T_q / T_q' grows like p0^-(q'-q): T_0 / T_0.5 against p0 has log-log slope -0.5
    const ratio = P0S.slice(3).map((p) => escapeTime(0, p) / escapeTime(0.5, p));
    expect(Math.abs(logLogSlope(P0S.slice(3), ratio) + 0.5)).toBeLessThan(0.01);
  });

  it('rejects p0 outside (0, delta)', () => {
    expect(() => escapeTime(0.5, 0.7)).toThrow(/0 < p0 < delta/);
  });
});

describe('softmax model under gradient descent', () => {
  it('takes T_q(p0) (V-1)/(V lr) steps to escape, within 2% for p0 <= 1e-3, with the same slopes', () => {
    // measured ratios at p0 <= 1e-3 lie in [1.0000, 1.0172] (lr = 0.5, V = 8)
    const p0s = [1e-3, 1e-4, 1e-5];
    for (const q of [0, 0.25, 0.5, 0.75, 1]) {
      const steps = p0s.map((p0) => softmaxEscapeSteps({ q, p0, vocab: 8, lr: 0.5 }));
      steps.forEach((s, i) =>
        expect(Math.abs(s / softmaxEscapePrediction(escapeTime(q, p0s[i]!), 8, 0.5) - 1)).toBeLessThan(0.02),
      );
      if (q < 1) expect(Math.abs(logLogSlope(p0s, steps) + (1 - q))).toBeLessThan(0.02);
      else expect(steps[2]! - steps[1]!).toBe(4); // (7/4) log(10) = 4.03 steps per decade
    }
  });

  it('with two outcomes is the sigmoid model itself (V/(V-1) = 2)', () => {
    const steps = softmaxEscapeSteps({ q: 0.5, p0: 1e-4, vocab: 2, lr: 0.1 });
    expect(Math.abs(steps / (escapeTime(0.5, 1e-4) / 2 / 0.1) - 1)).toBeLessThan(0.01);
  });
});
