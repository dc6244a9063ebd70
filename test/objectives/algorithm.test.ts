import { DEFAULT_AGGREGATION, groupCoefficients, SIGNAL } from '../../src/objectives/algorithm.js';
import { garl } from '../../src/objectives/garl.js';
import { Rng } from '../../src/util/rng.js';

const logW = [0.8, 0.4, 0, 0.2].map(Math.log);

describe('groupCoefficients', () => {
  it('applies the q schedule at the given step (q = 1 for 100 steps, then 0)', () => {
    const alg = { name: 'garl' as const, q: [{ until: 100, q: 1 }, { q: 0 }] };
    const early = groupCoefficients(alg, { logAnswerLikelihoods: logW }, { step: 99, rng: new Rng(1) });
    const late = groupCoefficients(alg, { logAnswerLikelihoods: logW }, { step: 100, rng: new Rng(1) });
    expect(early.sequences).toEqual(garl(logW, { q: 1 }).sequences);
    expect(late.sequences).toEqual(garl(logW, { q: 0 }).sequences);
    expect(early.diagnostics).toEqual({ q: 1, W: expect.closeTo(0.35, 15), logW: expect.closeTo(Math.log(0.35), 14), maxScaledC: expect.closeTo(9 / 28, 14), degenerate: false });
    expect(late.diagnostics.maxScaledC).toBeCloseTo(0.6, 14);
  });

  it('passes GRPO options and the PAFT rng through', () => {
    const g = groupCoefficients({ name: 'grpo', scaleByStd: false }, { rewards: [1, 0, 0, 0] }, { step: 0, rng: new Rng(1) });
    expect(g.sequences.map((s) => s.rationale)).toEqual([0.75, -0.25, -0.25, -0.25]);
    expect(g.ratioClipping).toBe(true);
    expect(g.diagnostics.meanReward).toBe(0.25);
    const a = groupCoefficients({ name: 'paft', q: 0.5 }, { logAnswerLikelihoods: logW }, { step: 0, rng: new Rng(4) });
    const b = groupCoefficients({ name: 'paft', q: 0.5 }, { logAnswerLikelihoods: logW }, { step: 0, rng: new Rng(4) });
    expect(a.sequences).toEqual(b.sequences);
    const total = a.sequences.reduce((s, x) => s + x.rationale, 0);
    expect(total).toBeCloseTo(Math.sqrt(0.35) / 2, 14); // K draws of weight W^0.5 / (2 K)
  });

  it('names the missing signal', () => {
    expect(() => groupCoefficients({ name: 'rloo' }, { logAnswerLikelihoods: logW }, { step: 0, rng: new Rng(1) })).toThrow(/rloo: the group signal needs `rewards`/);
    expect(() => groupCoefficients({ name: 'garl', q: 0 }, { rewards: [1] }, { step: 0, rng: new Rng(1) })).toThrow(/`logAnswerLikelihoods`/);
  });

  it('declares signals and default aggregations', () => {
    expect(SIGNAL.garl).toBe('answer-log-likelihood');
    expect(SIGNAL.grpo).toBe('reward');
    expect(DEFAULT_AGGREGATION.grpo).toBe('token-mean');
    expect(DEFAULT_AGGREGATION.garl).toBe('group-mean');
  });
});
