import { tokenCoefficients, type BatchGroup } from '../../src/objectives/coefficients.js';

/**
 * A batch of two groups, three sequences, 8 tokens:
 *   group 0: seq 0 has 2 rationale + 1 answer tokens, coefficients (rationale 1, answer 2);
 *            seq 1 has an empty rationale and 3 answer tokens, coefficients (-1, 4);
 *   group 1: seq 0 has 1 + 1 tokens, coefficients (3, 3).
 */
const batch: BatchGroup[] = [
  {
    coefficients: [
      { rationale: 1, answer: 2 },
      { rationale: -1, answer: 4 },
    ],
    segments: [
      { rationaleTokens: 2, answerTokens: 1 },
      { rationaleTokens: 0, answerTokens: 3 },
    ],
  },
  { coefficients: [{ rationale: 3, answer: 3 }], segments: [{ rationaleTokens: 1, answerTokens: 1 }] },
];
const arr = (out: Float64Array[][]) => out.map((g) => g.map((s) => Array.from(s)));
const close = (xs: number[][][]) => xs.map((g) => g.map((s) => s.map((x) => expect.closeTo(x, 15))));

describe('tokenCoefficients', () => {
  it('token-mean divides by the 8 tokens of the batch; rationale tokens first', () => {
    expect(arr(tokenCoefficients(batch, 'token-mean'))).toEqual(
      close([
        [
          [1 / 8, 1 / 8, 2 / 8],
          [4 / 8, 4 / 8, 4 / 8],
        ],
        [[3 / 8, 3 / 8]],
      ]),
    );
  });

  it('seq-mean-token-mean divides by 3 sequences times each length', () => {
    expect(arr(tokenCoefficients(batch, 'seq-mean-token-mean'))).toEqual(
      close([
        [
          [1 / 9, 1 / 9, 2 / 9],
          [4 / 9, 4 / 9, 4 / 9],
        ],
        [[3 / 6, 3 / 6]],
      ]),
    );
  });

  it('seq-sum divides by 3 sequences; group-mean by 2 groups', () => {
    expect(arr(tokenCoefficients(batch, 'seq-sum'))).toEqual(
      close([
        [
          [1 / 3, 1 / 3, 2 / 3],
          [4 / 3, 4 / 3, 4 / 3],
        ],
        [[1, 1]],
      ]),
    );
    expect(arr(tokenCoefficients(batch, 'group-mean'))).toEqual(
      close([
        [
          [1 / 2, 1 / 2, 1],
          [2, 2, 2],
        ],
        [[3 / 2, 3 / 2]],
      ]),
    );
  });

  it("the loss -sum coef * logp reproduces each mode's definition on made-up log-probs", () => {
    const logp = [
      [
        [-1, -2, -0.5],
        [-0.1, -0.2, -0.3],
      ],
      [[-3, -1]],
    ];
    const loss = (mode: Parameters<typeof tokenCoefficients>[1]) => {
      const c = tokenCoefficients(batch, mode);
      let s = 0;
      c.forEach((g, gi) => g.forEach((seq, m) => seq.forEach((x, t) => (s -= x * logp[gi]![m]![t]!))));
      return s;
    };
    // per-sequence sums of coef * logp
    const seqSums = [1 * (-1 - 2) + 2 * -0.5, 4 * (-0.1 - 0.2 - 0.3), 3 * (-3 - 1)];
    const seqMeans = [seqSums[0]! / 3, seqSums[1]! / 3, seqSums[2]! / 2];
    expect(loss('token-mean')).toBeCloseTo(-(seqSums[0]! + seqSums[1]! + seqSums[2]!) / 8, 14);
    expect(loss('seq-mean-token-mean')).toBeCloseTo(-(seqMeans[0]! + seqMeans[1]! + seqMeans[2]!) / 3, 14);
    expect(loss('group-mean')).toBeCloseTo(-(seqSums[0]! + seqSums[1]! + seqSums[2]!) / 2, 14);
  });

  it('an empty sequence still counts as a sequence; a batch with no tokens gives zeros', () => {
    const b: BatchGroup[] = [
      {
        coefficients: [
          { rationale: 1, answer: 1 },
          { rationale: 5, answer: 5 },
        ],
        segments: [
          { rationaleTokens: 0, answerTokens: 0 },
          { rationaleTokens: 1, answerTokens: 1 },
        ],
      },
    ];
    expect(arr(tokenCoefficients(b, 'seq-sum'))).toEqual([[[], [2.5, 2.5]]]);
    expect(arr(tokenCoefficients(b, 'seq-mean-token-mean'))).toEqual([[[], [1.25, 1.25]]]);
    const none: BatchGroup[] = [
      { coefficients: [{ rationale: 1, answer: 1 }], segments: [{ rationaleTokens: 0, answerTokens: 0 }] },
    ];
    expect(arr(tokenCoefficients(none, 'token-mean'))).toEqual([[[]]]);
  });

  it('rejects mismatched or bad token counts', () => {
    expect(() =>
      tokenCoefficients([{ coefficients: [{ rationale: 1, answer: 1 }], segments: [] }], 'token-mean'),
    ).toThrow(/1 coefficients but 0 token segments/);
    expect(() =>
      tokenCoefficients(
        [{ coefficients: [{ rationale: 1, answer: 1 }], segments: [{ rationaleTokens: -1, answerTokens: 2 }] }],
        'token-mean',
      ),
    ).toThrow(/non-negative integers/);
  });
});
