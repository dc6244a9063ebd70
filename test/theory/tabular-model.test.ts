import {
  answerProbs,
  gradientFromCoefficients,
  gradLnQ,
  gradP,
  jointScore,
  logAnswerLikelihoods,
  modelFromProbabilities,
  rationaleProbs,
  successProbability,
} from '../../src/theory/tabular-model.js';
import { lnQ } from '../../src/objectives/tsallis.js';
import { forEachGroup, groupCount } from '../../src/theory/multinomial.js';

const model = modelFromProbabilities([0.4, 0.3, 0.2, 0.1], [0.1, 0.5, 0.8, 0.3]);

describe('the tabular model', () => {
  it('has P = sum p_j b_j = 0.04 + 0.15 + 0.16 + 0.03 = 0.38', () => {
    expect(rationaleProbs(model)).toEqual([0.4, 0.3, 0.2, 0.1].map((x) => expect.closeTo(x, 15)));
    expect(answerProbs(model)).toEqual([0.1, 0.5, 0.8, 0.3].map((x) => expect.closeTo(x, 15)));
    expect(successProbability(model)).toBeCloseTo(0.38, 15);
  });

  it('grad ln_q P matches central differences of ln_q P in theta and phi', () => {
    for (const q of [0, 0.5, 1]) {
      const g = gradLnQ(model, q);
      const params = [...model.theta, ...model.phi];
      params.forEach((_, i) => {
        const h = 1e-6;
        const at = (d: number) => {
          const x = params.slice();
          x[i]! += d;
          return lnQ(successProbability({ theta: x.slice(0, 4), phi: x.slice(4) }), q);
        };
        expect(g[i]).toBeCloseTo((at(h) - at(-h)) / (2 * h), 7);
      });
    }
  });

  it('turns coefficients into sum_m rationale_m grad log p(z_m) + answer_m grad log b_{z_m}', () => {
    // coefficient 1 on rationale and answer of one sample gives grad log p(z, y*) = v
    expect(gradientFromCoefficients(model, [2], [{ rationale: 1, answer: 1 }])).toEqual(
      jointScore(model, 2).map((x) => expect.closeTo(x, 15)),
    );
    // by hand: samples (0, 0) with coefficients (r 1, a 2) and (r -0.5, a 0): theta part (1 - 0.5)(e_0 - p), phi part 2 (1 - b_0) e_0
    const g = gradientFromCoefficients(
      model,
      [0, 0],
      [
        { rationale: 1, answer: 2 },
        { rationale: -0.5, answer: 0 },
      ],
    );
    expect(g).toEqual(
      [0.5 * 0.6, -0.5 * 0.3, -0.5 * 0.2, -0.5 * 0.1, 2 * 0.9, 0, 0, 0].map((x) => expect.closeTo(x, 14)),
    );
    // E_z[b_z v_z] = grad P (the identity the estimators rest on)
    const e = new Array(8).fill(0);
    [0.4, 0.3, 0.2, 0.1].forEach((pj, j) =>
      jointScore(model, j).forEach((v, i) => (e[i] += pj * [0.1, 0.5, 0.8, 0.3][j]! * v)),
    );
    expect(e).toEqual(gradP(model).map((x) => expect.closeTo(x, 15)));
    expect(logAnswerLikelihoods(model, [1, 3]).map(Math.exp)).toEqual([0.5, 0.3].map((x) => expect.closeTo(x, 14)));
  });
});

describe('forEachGroup', () => {
  it('visits C(M+n-1, n-1) multisets whose multinomial probabilities sum to 1 and give E[count_j] = M p_j', () => {
    const p = [0.4, 0.3, 0.2, 0.1];
    let visits = 0,
      total = 0;
    const meanCounts = [0, 0, 0, 0];
    forEachGroup(p, 6, (s, prob) => {
      visits++;
      total += prob;
      for (const j of s) meanCounts[j]! += prob;
    });
    expect(visits).toBe(groupCount(4, 6));
    expect(visits).toBe(84); // C(9, 3)
    expect(total).toBeCloseTo(1, 14);
    meanCounts.forEach((c, j) => expect(c).toBeCloseTo(6 * p[j]!, 13));
    // M = 2 over (a, b): {aa: a^2, ab: 2ab, bb: b^2}
    const seen: [number[], number][] = [];
    forEachGroup([0.25, 0.75], 2, (s, prob) => seen.push([s.slice(), prob]));
    expect(seen).toEqual([
      [[1, 1], expect.closeTo(0.5625, 15)],
      [[0, 1], expect.closeTo(0.375, 15)],
      [[0, 0], expect.closeTo(0.0625, 15)],
    ]);
  });
});
