import {
  aggregate,
  aggregateCoefficients,
  aggregationDivisors,
  type Aggregation,
  type BatchGroup,
  type SequenceCoefficient,
} from '../../src/objectives/coefficients.js';

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
const segments = batch.map((g) => g.segments);
/** [rationale, answer] pairs, to compare with expect.closeTo. */
const pairs = (out: SequenceCoefficient[][]) => out.map((g) => g.map((c) => [c.rationale, c.answer]));
const close = (xs: number[][][]) => xs.map((g) => g.map((s) => s.map((x) => expect.closeTo(x, 15))));
/** The coefficient of each token of a sequence: .rationale on its rationale tokens, then .answer on its answer tokens. */
const perToken = (out: SequenceCoefficient[][], b: readonly BatchGroup[] = batch) =>
  out.map((g, gi) =>
    g.map((c, m) => {
      const s = b[gi]!.segments[m]!;
      return [...Array<number>(s.rationaleTokens).fill(c.rationale), ...Array<number>(s.answerTokens).fill(c.answer)];
    }),
  );

describe('aggregateCoefficients', () => {
  it('token-mean divides by the 8 tokens of the batch', () => {
    expect(aggregationDivisors(segments, 'token-mean')).toEqual([[8, 8], [8]]);
    expect(pairs(aggregateCoefficients(batch, 'token-mean'))).toEqual(
      close([
        [
          [1 / 8, 2 / 8],
          [-1 / 8, 4 / 8],
        ],
        [[3 / 8, 3 / 8]],
      ]),
    );
  });

  it('seq-mean-token-mean divides by 3 sequences times each length', () => {
    expect(aggregationDivisors(segments, 'seq-mean-token-mean')).toEqual([[9, 9], [6]]);
    expect(pairs(aggregateCoefficients(batch, 'seq-mean-token-mean'))).toEqual(
      close([
        [
          [1 / 9, 2 / 9],
          [-1 / 9, 4 / 9],
        ],
        [[3 / 6, 3 / 6]],
      ]),
    );
  });

  it('seq-sum divides by 3 sequences; group-mean by 2 groups', () => {
    expect(aggregationDivisors(segments, 'seq-sum')).toEqual([[3, 3], [3]]);
    expect(pairs(aggregateCoefficients(batch, 'seq-sum'))).toEqual(
      close([
        [
          [1 / 3, 2 / 3],
          [-1 / 3, 4 / 3],
        ],
        [[1, 1]],
      ]),
    );
    expect(aggregationDivisors(segments, 'group-mean')).toEqual([[2, 2], [2]]);
    expect(pairs(aggregateCoefficients(batch, 'group-mean'))).toEqual(
      close([
        [
          [1 / 2, 1],
          [-1 / 2, 2],
        ],
        [[3 / 2, 3 / 2]],
      ]),
    );
  });

  it('spread over tokens: rationale tokens get .rationale, answer tokens .answer', () => {
    expect(perToken(aggregateCoefficients(batch, 'token-mean'))).toEqual(
      close([
        [
          [1 / 8, 1 / 8, 2 / 8],
          [4 / 8, 4 / 8, 4 / 8],
        ],
        [[3 / 8, 3 / 8]],
      ]),
    );
  });

  it('each coefficient is exactly c / divisor, and so is a weight through aggregate', () => {
    for (const mode of ['token-mean', 'seq-mean-token-mean', 'seq-sum', 'group-mean'] as const) {
      const divisors = aggregationDivisors(segments, mode);
      aggregateCoefficients(batch, mode).forEach((g, gi) =>
        g.forEach((c, m) => {
          const d = divisors[gi]![m]!,
            given = batch[gi]!.coefficients[m]!;
          expect(c).toEqual({ rationale: given.rationale / d, answer: given.answer / d });
          expect(aggregate(0.05, d)).toBe(0.05 / d);
        }),
      );
    }
  });

  it("the loss -sum coef * logp reproduces each mode's definition on made-up log-probs", () => {
    const logp = [
      [
        [-1, -2, -0.5],
        [-0.1, -0.2, -0.3],
      ],
      [[-3, -1]],
    ];
    const loss = (mode: Aggregation) => {
      const c = perToken(aggregateCoefficients(batch, mode));
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

  it('an empty sequence still counts as a sequence; a 0 divisor (no tokens) gives zeros', () => {
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
    expect(pairs(aggregateCoefficients(b, 'seq-sum'))).toEqual([
      [
        [0.5, 0.5],
        [2.5, 2.5],
      ],
    ]);
    expect(perToken(aggregateCoefficients(b, 'seq-sum'), b)).toEqual([[[], [2.5, 2.5]]]);
    // seq-mean-token-mean: the empty sequence's divisor is 2 x 0 tokens.
    expect(aggregationDivisors([b[0]!.segments], 'seq-mean-token-mean')).toEqual([[0, 4]]);
    expect(pairs(aggregateCoefficients(b, 'seq-mean-token-mean'))).toEqual([
      [
        [0, 0],
        [1.25, 1.25],
      ],
    ]);
    const none: BatchGroup[] = [
      { coefficients: [{ rationale: 1, answer: 1 }], segments: [{ rationaleTokens: 0, answerTokens: 0 }] },
    ];
    expect(aggregationDivisors([none[0]!.segments], 'token-mean')).toEqual([[0]]);
    expect(pairs(aggregateCoefficients(none, 'token-mean'))).toEqual([[[0, 0]]]);
    expect(aggregate(0.05, 0)).toBe(0);
  });

  it('rejects mismatched or bad token counts', () => {
    expect(() =>
      aggregateCoefficients([{ coefficients: [{ rationale: 1, answer: 1 }], segments: [] }], 'token-mean'),
    ).toThrow(/1 coefficients but 0 token segments/);
    expect(() =>
      aggregateCoefficients(
        [{ coefficients: [{ rationale: 1, answer: 1 }], segments: [{ rationaleTokens: -1, answerTokens: 2 }] }],
        'token-mean',
      ),
    ).toThrow(/non-negative integers/);
    expect(() => aggregationDivisors([[{ rationaleTokens: 1.5, answerTokens: 0 }]], 'seq-sum')).toThrow(
      /non-negative integers/,
    );
  });
});
