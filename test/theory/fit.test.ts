import { fitLine, logLogSlope } from '../../src/theory/fit.js';

describe('line fits', () => {
  it('recover an exact line and the least-squares line of a hand-worked set', () => {
    expect(fitLine([0, 1, 2], [1, 3, 5])).toEqual({ slope: 2, intercept: 1 });
    // (0,0), (1,1), (2,1): mean x 1, mean y 2/3, sxy = 1, sxx = 2 -> slope 1/2, intercept 1/6
    const f = fitLine([0, 1, 2], [0, 1, 1]);
    expect(f.slope).toBeCloseTo(0.5, 15);
    expect(f.intercept).toBeCloseTo(1 / 6, 15);
    expect(logLogSlope([1, 10, 100], [3, 0.3, 0.03])).toBeCloseTo(-1, 14);
    expect(() => fitLine([1, 1], [0, 1])).toThrow(/all x are equal/);
  });
});
