import { seedStats, studentTQuantile, studentTTwoSided } from '../../src/report/stats.js';

describe('Student t quantiles', () => {
  it('match the tables (t_{0.975} for 1, 2, 3, 4, 9, 29 degrees of freedom)', () => {
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706205, 6);
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.302653, 6);
    expect(studentTQuantile(0.975, 3)).toBeCloseTo(3.182446, 6);
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.776445, 6);
    expect(studentTQuantile(0.975, 9)).toBeCloseTo(2.262157, 6);
    expect(studentTQuantile(0.975, 29)).toBeCloseTo(2.04523, 5);
    expect(studentTQuantile(0.95, 7)).toBeCloseTo(1.894579, 6);
  });

  it('agree with the closed forms for 1 and 2 degrees of freedom, and are symmetric', () => {
    // df 1 (Cauchy): tan(pi (p - 1/2)); df 2: (2p - 1) / sqrt(2 p (1 - p)).
    expect(studentTQuantile(0.9, 1)).toBeCloseTo(Math.tan(Math.PI * 0.4), 9);
    expect(studentTQuantile(0.8, 2)).toBeCloseTo(0.6 / Math.sqrt(2 * 0.8 * 0.2), 9);
    expect(studentTQuantile(0.025, 2)).toBeCloseTo(-4.302653, 6);
    expect(studentTQuantile(0.5, 5)).toBeCloseTo(0, 9);
    // P(|T| <= 1) for df 1 is 1/2 (arctan 1 = pi/4); for df 2 it is 1/sqrt(3).
    expect(studentTTwoSided(1, 1)).toBeCloseTo(0.5, 14);
    expect(studentTTwoSided(1, 2)).toBeCloseTo(1 / Math.sqrt(3), 14);
    expect(() => studentTQuantile(0.975, 1.5)).toThrow(/positive integer/);
    expect(() => studentTQuantile(1, 3)).toThrow(/p must be in \(0, 1\)/);
  });
});

describe('statistics over seeds', () => {
  it('three seeds: mean, sd with n - 1, and mean ± t_{0.975,2} sd / sqrt(3)', () => {
    // 10, 12, 14: mean 12, sd sqrt((4 + 0 + 4) / 2) = 2, half width 4.302653 * 2 / sqrt(3) = 4.968276
    const s = seedStats([10, 12, 14])!;
    expect(s.n).toBe(3);
    expect(s.mean).toBe(12);
    expect(s.sd).toBeCloseTo(2, 14);
    expect(s.ci95Low).toBeCloseTo(12 - 4.968276, 5);
    expect(s.ci95High).toBeCloseTo(12 + 4.968276, 5);
  });

  it('two seeds: the interval is mean ± t_{0.975,1} |a - b| / 2', () => {
    // 1, 3: mean 2, sd sqrt(2), half width 12.706205 * sqrt(2) / sqrt(2)
    const s = seedStats([1, 3])!;
    expect(s.sd).toBeCloseTo(Math.SQRT2, 14);
    expect(s.ci95Low).toBeCloseTo(2 - 12.706205, 5);
    expect(s.ci95High).toBeCloseTo(2 + 12.706205, 5);
  });

  it('one seed: its value, no sd and no interval; none: null', () => {
    expect(seedStats([21.9])).toEqual({ n: 1, mean: 21.9, sd: null, ci95Low: null, ci95High: null });
    expect(seedStats([])).toBeNull();
  });
});
