/**
 * What every objective produces, and how it is spread over tokens.
 *
 * The training graph minimises  loss = -sum_{b,t} coef[b,t] * logp[b,t]  (logp: log-probability of
 * token t of sequence b), so a gradient step raises the log-probabilities where coef > 0. Every
 * algorithm reduces to one coefficient per sequence for its rationale tokens and one for its answer
 * tokens (GRPO and RLOO use the same value for both; GARL does not); `tokenCoefficients` then
 * applies the loss aggregation and lays the coefficients out token by token.
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
 * Per-token coefficients for a batch: out[g][m] has rationaleTokens + answerTokens entries,
 * rationale first. A sequence with no tokens (an empty rationale and answer) still counts as a
 * sequence in 'seq-*' modes and gets an empty array; a batch with no tokens at all gets zeros.
 */
export function tokenCoefficients(batch: readonly BatchGroup[], aggregation: Aggregation): Float64Array[][] {
  let sequences = 0,
    tokens = 0;
  for (const [g, group] of batch.entries()) {
    if (group.coefficients.length !== group.segments.length) {
      throw new RangeError(
        `tokenCoefficients: group ${g} has ${group.coefficients.length} coefficients but ${group.segments.length} token segments`,
      );
    }
    for (const s of group.segments) {
      if (
        !(
          Number.isInteger(s.rationaleTokens) &&
          s.rationaleTokens >= 0 &&
          Number.isInteger(s.answerTokens) &&
          s.answerTokens >= 0
        )
      ) {
        throw new RangeError(`tokenCoefficients: token counts must be non-negative integers, got ${JSON.stringify(s)}`);
      }
      sequences++;
      tokens += s.rationaleTokens + s.answerTokens;
    }
  }
  const groups = batch.length;
  return batch.map((group) =>
    group.segments.map((s, m) => {
      const c = group.coefficients[m]!;
      const length = s.rationaleTokens + s.answerTokens;
      let divisor: number;
      switch (aggregation) {
        case 'token-mean':
          divisor = tokens;
          break;
        case 'seq-mean-token-mean':
          divisor = sequences * length;
          break;
        case 'seq-sum':
          divisor = sequences;
          break;
        case 'group-mean':
          divisor = groups;
          break;
      }
      const out = new Float64Array(length);
      if (divisor === 0) return out;
      out.fill(c.rationale / divisor, 0, s.rationaleTokens);
      out.fill(c.answer / divisor, s.rationaleTokens);
      return out;
    }),
  );
}
