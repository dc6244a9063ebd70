import { Rng } from '../../src/util/rng.js';

describe('Rng', () => {
  it('gives the same stream for the same seed and a different one for another seed', () => {
    const a = new Rng(42),
      b = new Rng(42),
      c = new Rng(43);
    const xa = Array.from({ length: 8 }, () => a.nextUint32());
    const xb = Array.from({ length: 8 }, () => b.nextUint32());
    const xc = Array.from({ length: 8 }, () => c.nextUint32());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
  });

  it('resumes exactly from a saved state', () => {
    const a = new Rng(7);
    for (let i = 0; i < 100; i++) a.uniform();
    const b = new Rng(a.state());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(Array.from({ length: 5 }, () => a.uniform()));
  });

  it('draws uniforms with the right mean and variance, and ints in range', () => {
    const r = new Rng(1);
    const n = 200000;
    let s = 0,
      s2 = 0,
      outside = 0;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      if (!(u >= 0 && u < 1)) outside++;
      s += u;
      s2 += u * u;
    }
    expect(outside).toBe(0);
    const mean = s / n,
      variance = s2 / n - mean * mean;
    // standard error of the mean is sqrt(1/12/n) ~ 6.5e-4; allow 5 sigma
    expect(Math.abs(mean - 0.5)).toBeLessThan(3.3e-3);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(2e-3);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60000; i++) counts[r.int(6)]++;
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(500);
  });
});
