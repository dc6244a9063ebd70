/**
 * What every objective produces, and how it is spread over tokens.
 *
 * The training graph minimises  loss = -sum_{b,t} coef[b,t] * logp[b,t]  (logp: log-probability of
 * token t of sequence b), so a gradient step raises the log-probabilities where coef > 0. Every
 * algorithm reduces to one coefficient per sequence for its rationale tokens and one for its answer
 * tokens (GRPO and RLOO use the same value for both; GARL does not). `aggregateCoefficients` then
 * applies the loss aggregation, which divides both by a divisor of the sequence (aggregationDivisors),
 * so a sequence still has one coefficient for each of its rationale tokens and one for each of its
 * answer tokens: the [B, T-1] coef input is these written at the sequence's positions
 * (src/experiment/sequences.ts). A per-token weight that is not a coefficient (the KL term's beta)
 * goes through the same divisors.
 */

/** Coefficients of one sequence: applied to each of its rationale tokens and each of its answer tokens. */
export interface SequenceCoefficient {
  rationale: number;
  answer: number;
}

/** The coefficients of one group (the M rollouts of one question), before aggregation. */
export interface GroupCoefficients {
  /** One entry per sequence of the group, in the order the inputs were given. */
  sequences: SequenceCoefficient[];
}

/**
 * Loss aggregation over a batch of groups (B sequences in G groups; L_b tokens in sequence b):
 * - 'token-mean':          coef / sum_b L_b            (every token of the batch weighs the same)
 * - 'seq-mean-token-mean': coef / (B * L_b)            (mean over tokens, then over sequences)
 * - 'seq-sum':             coef / B                    (sum over tokens, mean over sequences;
 *                                                       verl's "seq-mean-token-sum")
 * - 'group-mean':          coef / G                    (sum over tokens and over the sequences of
 *                          a group, mean over groups: for GARL, PAFT and RLOO-style estimators
 *                          whose per-group coefficients already carry their 1/M or 1/K)
 */
export type Aggregation = 'token-mean' | 'seq-mean-token-mean' | 'seq-sum' | 'group-mean';

export const AGGREGATIONS: readonly Aggregation[] = ['token-mean', 'seq-mean-token-mean', 'seq-sum', 'group-mean'];

/** Token counts of one sequence: its rationale tokens come first, then its answer tokens. */
export interface TokenSegments {
  rationaleTokens: number;
  answerTokens: number;
}

/** One group of a batch: its coefficients and the token counts of each of its sequences. */
export interface BatchGroup {
  coefficients: readonly SequenceCoefficient[];
  segments: readonly TokenSegments[];
}

/**
 * The divisor the aggregation applies to each sequence of a batch, from the token counts of its
 * sequences by group: out[g][m] for sequence m of group g (token-mean: the batch's tokens;
 * seq-mean-token-mean: sequences x the sequence's tokens; seq-sum: sequences; group-mean: groups).
 * 0 where there is nothing to divide: a batch with no tokens (token-mean), a sequence with none
 * (seq-mean-token-mean); `aggregate` then gives 0.
 */
export function aggregationDivisors(
  segments: readonly (readonly TokenSegments[])[],
  aggregation: Aggregation,
): number[][] {
  let sequences = 0,
    tokens = 0;
  for (const group of segments) {
    for (const s of group) {
      if (
        !(
          Number.isInteger(s.rationaleTokens) &&
          s.rationaleTokens >= 0 &&
          Number.isInteger(s.answerTokens) &&
          s.answerTokens >= 0
        )
      ) {
        throw new RangeError(
          `aggregationDivisors: token counts must be non-negative integers, got ${JSON.stringify(s)}`,
        );
      }
      sequences++;
      tokens += s.rationaleTokens + s.answerTokens;
    }
  }
  const groups = segments.length;
  return segments.map((group) =>
    group.map((s) => {
      switch (aggregation) {
        case 'token-mean':
          return tokens;
        case 'seq-mean-token-mean':
          return sequences * (s.rationaleTokens + s.answerTokens);
        case 'seq-sum':
          return sequences;
        case 'group-mean':
          return groups;
      }
    }),
  );
}

/** A per-token weight under the aggregation: value / divisor (aggregationDivisors), 0 for a 0 divisor. */
export function aggregate(value: number, divisor: number): number {
  return divisor === 0 ? 0 : value / divisor;
}

/**
 * The aggregated coefficients of a batch: out[g][m] holds the coefficients of sequence m of group g,
 * each divided by the sequence's divisor (aggregationDivisors). Every rationale token of the sequence
 * then gets .rationale, every answer token .answer. A sequence with no tokens (an empty rationale
 * and answer) still counts as a sequence in 'seq-*' modes; a 0 divisor gives coefficients 0.
 */
export function aggregateCoefficients(batch: readonly BatchGroup[], aggregation: Aggregation): SequenceCoefficient[][] {
  for (const [g, group] of batch.entries()) {
    if (group.coefficients.length !== group.segments.length) {
      throw new RangeError(
        `aggregateCoefficients: group ${g} has ${group.coefficients.length} coefficients but ${group.segments.length} token segments`,
      );
    }
  }
  const divisors = aggregationDivisors(
    batch.map((group) => group.segments),
    aggregation,
  );
  return divisors.map((ds, g) =>
    ds.map((divisor, m) => {
      const c = batch[g]!.coefficients[m]!;
      return { rationale: aggregate(c.rationale, divisor), answer: aggregate(c.answer, divisor) };
    }),
  );
}
