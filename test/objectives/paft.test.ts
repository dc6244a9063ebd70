import { drawIndex, paft, paftSelectionProbabilities } from '../../src/objectives/paft.js';
import { Rng } from '../../src/util/rng.js';

/** The hand-worked group of garl.test.ts: w = (0.8, 0.4, 0, 0.2), W = 0.35, sum w = 1.4. */
const w = [0.8, 0.4, 0, 0.2];
const logW = w.map(Math.log);

describe('PAFT on the hand-worked M = 4 group', () => {
  it('resamples from w / sum w = (4/7, 2/7, 0, 1/7)', () => {
    expect(paftSelectionProbabilities(logW)).toEqual([4 / 7, 2 / 7, 0, 1 / 7].map((p) => expect.closeTo(p, 15)));
  });

  // weight W^(1-q) / (M^q K) with K = M = 4, worked out independently:
  // q = 0: 0.35 / 4 = 0.0875; q = 1: 1 / 16 = 0.0625; the others from 0.35^(1-q) / 4^(q+1)
  const weights: [number, number][] = [
    [0, 0.0875],
    [0.25, 0.0804407376],
    [0.5, 0.0739509973],
    [0.75, 0.0679848316],
    [1, 0.0625],
  ];
  it.each(weights)('q = %s: weight per draw %s, duplicates add', (q, weight) => {
    const g = paft(logW, { q }, new Rng(11));
    expect(g.weight).toBeCloseTo(weight, 9);
    expect(g.weight).toBeCloseTo(0.35 ** (1 - q) / (4 ** q * 4), 14);
    // replay the draws by hand: u < 4/7 -> 0, u < 6/7 -> 1, else 3 (index 2 has probability 0)
    const r = new Rng(11);
    const counts = [0, 0, 0, 0];
    for (let k = 0; k < 4; k++) {
      const u = r.uniform();
      counts[u < 4 / 7 ? 0 : u < 6 / 7 ? 1 : 3]!++;
    }
    expect(g.counts).toEqual(counts);
    g.sequences.forEach((s, m) => {
      expect(s.rationale).toBeCloseTo(counts[m]! * weight, 9);
      expect(s.answer).toBe(s.rationale);
    });
    expect(g.counts.reduce((a, b) => a + b, 0)).toBe(4);
  });

  it('K other than M divides by K', () => {
    const g = paft(logW, { q: 0.5, k: 10 }, new Rng(3));
    expect(g.weight).toBeCloseTo(Math.sqrt(0.35) / (2 * 10), 14);
    expect(g.counts.reduce((a, b) => a + b, 0)).toBe(10);
    expect(g.counts[2]).toBe(0);
  });
});

describe('PAFT draws', () => {
  it('have frequencies w / sum w (chi-square within its 99.9% quantile) and never pick w = 0', () => {
    const rng = new Rng(5);
    const probs = paftSelectionProbabilities(logW);
    const n = 70000;
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) counts[drawIndex(probs, rng)]!++;
    expect(counts[2]).toBe(0);
    let chi2 = 0;
    for (const m of [0, 1, 3]) chi2 += (counts[m]! - n * probs[m]!) ** 2 / (n * probs[m]!);
    expect(chi2).toBeLessThan(13.8); // chi-square, 2 degrees of freedom, 99.9% quantile
  });

  it('work when every w underflows (relative to the largest w)', () => {
    const p = paftSelectionProbabilities(logW.map((l) => l - 5000));
    expect(p).toEqual([4 / 7, 2 / 7, 0, 1 / 7].map((x) => expect.closeTo(x, 12)));
    const g = paft(
      logW.map((l) => l - 5000),
      { q: 1 },
      new Rng(1),
    );
    expect(g.weight).toBeCloseTo(1 / 16, 14); // W^0 = 1
  });

  it('W = 0: nothing to draw, zero coefficients, degenerate, and the Rng untouched', () => {
    const rng = new Rng(9);
    const before = rng.state();
    const g = paft([-Infinity, -Infinity], { q: 0.5 }, rng);
    expect(g.degenerate).toBe(true);
    expect(g.sequences).toEqual([
      { rationale: 0, answer: 0 },
      { rationale: 0, answer: 0 },
    ]);
    expect(rng.state()).toEqual(before);
  });

  it('M = 1 draws the one sample K times: weight K * w^(1-q) / K = w^(1-q)', () => {
    const g = paft([Math.log(0.09)], { q: 0.5 }, new Rng(2));
    expect(g.counts).toEqual([1]);
    expect(g.sequences[0]!.rationale).toBeCloseTo(0.3, 14);
  });

  it('rejects bad input', () => {
    expect(() => paft(logW, { q: 0.5, k: 0 }, new Rng(1))).toThrow(/k must be a positive integer/);
    expect(() => paft(logW, { q: -0.1 }, new Rng(1))).toThrow(/q must be in/);
  });
});
