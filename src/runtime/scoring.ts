/**
 * Scoring many sequences under a token budget, the one batching both users share: `score`'s
 * per-token log-probs (src/cli/score.ts) and the answer log-likelihoods log w_m of GARL and PAFT
 * (src/experiment/likelihood.ts). Sequences are packed longest first (packByTokens), each batch padded
 * on the right to its longest, and scored by one Policy.score run.
 */
import { packByTokens, padBatch } from './batch.js';
import type { Policy, WeightArray } from './policy.js';

/**
 * Groups sequence indices into batches: longest first, each batch as many sequences as fit in
 * `batchTokens` once padded to its longest (a sequence longer than the budget gets a batch alone).
 * Sequences shorter than 2 tokens have no next token to score and are left out.
 */
export function planBatches(lengths: readonly number[], batchTokens: number): number[][] {
  const scorable = lengths.map((_, i) => i).filter((i) => lengths[i]! >= 2);
  return packByTokens(
    scorable.map((i) => lengths[i]!),
    batchTokens,
  ).map((batch) => batch.map((k) => scorable[k]!));
}

/** One scored batch: its sequences (indices into the input), in row order, and their log-probs. */
export interface ScoredBatch {
  rows: number[];
  /** log p(ids[t+1] | ids[..t]) of row r at r * (length - 1) + t: [rows, length - 1]. */
  logprobs: WeightArray;
  /** The padded length of the batch (its longest sequence). */
  length: number;
}

/** Scores `seqs` batch by batch (planBatches), yielding each batch's log-probs as it is done. */
export async function* scoreBatches(
  policy: Pick<Policy, 'score'>,
  seqs: readonly (readonly number[])[],
  padId: number,
  batchTokens: number,
): AsyncGenerator<ScoredBatch> {
  for (const rows of planBatches(
    seqs.map((s) => s.length),
    batchTokens,
  )) {
    const batch = padBatch(
      rows.map((i) => seqs[i]!),
      padId,
    );
    yield { rows, logprobs: await policy.score(batch), length: batch.length };
  }
}
