import {
  leaveOneOutLogMeans,
  lnQ,
  lnQDerivative,
  lnQFromLog,
  logAddExp,
  logMeanExp,
  logSumExp,
  powFromLog,
} from '../../src/objectives/tsallis.js';

describe('ln_q', () => {
  it('matches the definition (u^(1-q) - 1) / (1 - q) at hand-picked points', () => {
    // ln_0(u) = u - 1; ln_0.5(4) = (2 - 1) / 0.5 = 2; ln_0.75(16) = (16^0.25 - 1) / 0.25 = 4
    expect(lnQ(0.3, 0)).toBeCloseTo(-0.7, 15);
    expect(lnQ(4, 0.5)).toBeCloseTo(2, 14);
    expect(lnQ(16, 0.75)).toBeCloseTo(4, 14);
    expect(lnQ(Math.E, 1)).toBeCloseTo(1, 15);
  });

  it('tends to ln as q -> 1 without cancellation', () => {
    // ln_q(u) = ln u + (1-q) ln(u)^2 / 2 + O((1-q)^2)
    const u = 0.2,
      a = 1e-9;
    expect(lnQ(u, 1 - a)).toBeCloseTo(Math.log(u) + (a * Math.log(u) ** 2) / 2, 15);
  });

  it('handles u = 0 and log-space inputs far below the smallest double', () => {
    expect(lnQ(0, 0)).toBe(-1);
    expect(lnQ(0, 0.5)).toBe(-2);
    expect(lnQ(0, 1)).toBe(-Infinity);
    // u = e^-2000 underflows; ln_0.5(u) = 2 (u^0.5 - 1) -> -2
    expect(lnQFromLog(-2000, 0.5)).toBe(-2);
    expect(lnQFromLog(-2000, 1)).toBe(-2000);
  });

  it('has derivative u^(-q), checked against central differences', () => {
    for (const q of [0, 0.25, 0.5, 0.75, 1]) {
      for (const u of [0.05, 0.4, 0.9]) {
        const h = 1e-6;
        const fd = (lnQ(u + h, q) - lnQ(u - h, q)) / (2 * h);
        expect(lnQDerivative(u, q)).toBeCloseTo(fd, 6);
        expect(lnQDerivative(u, q)).toBeCloseTo(u ** -q, 12);
      }
    }
  });
});

describe('log-space helpers', () => {
  it('logSumExp and logMeanExp agree with direct sums and survive underflow', () => {
    expect(logSumExp([Math.log(1), Math.log(2), Math.log(3)])).toBeCloseTo(Math.log(6), 14);
    expect(logMeanExp([Math.log(1), Math.log(2), Math.log(3)])).toBeCloseTo(Math.log(2), 14);
    expect(logSumExp([-1000, -1000])).toBeCloseTo(-1000 + Math.log(2), 12);
    expect(logSumExp([-Infinity, -Infinity])).toBe(-Infinity);
    expect(logSumExp([])).toBe(-Infinity);
    expect(logAddExp(Math.log(0.25), Math.log(0.5))).toBeCloseTo(Math.log(0.75), 15);
  });

  it('leave-one-out log means equal the means of the other elements', () => {
    const w = [0.8, 0.4, 0, 0.2];
    const loo = leaveOneOutLogMeans(w.map(Math.log)).map(Math.exp);
    expect(loo[0]).toBeCloseTo(0.6 / 3, 15);
    expect(loo[1]).toBeCloseTo(1.0 / 3, 15);
    expect(loo[2]).toBeCloseTo(1.4 / 3, 15);
    expect(loo[3]).toBeCloseTo(1.2 / 3, 15);
    // one dominant term: subtracting it from the total would cancel catastrophically
    const l = leaveOneOutLogMeans([0, -800, -801]);
    expect(l[0]).toBeCloseTo(logAddExp(-800, -801) - Math.log(2), 12);
    expect(leaveOneOutLogMeans([-Infinity, -Infinity, -3])[2]).toBe(-Infinity);
    expect(leaveOneOutLogMeans([-1])[0]).toBeNaN();
  });

  it('powFromLog takes 0^0 = 1 and 0^a = 0 for a > 0', () => {
    expect(powFromLog(-Infinity, 0)).toBe(1);
    expect(powFromLog(-Infinity, 0.5)).toBe(0);
    expect(powFromLog(-Infinity, -0.5)).toBe(Infinity);
    expect(powFromLog(Math.log(9), 0.5)).toBeCloseTo(3, 14);
  });
});
