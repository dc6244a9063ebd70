/**
 * Scoring many sequences under a token budget, the one batching both users share: `score`'s
 * per-token log-probs (src/cli/score.ts) and the answer log-likelihoods log w_m of GARL and PAFT
 * (src/experiment/likelihood.ts). Sequences are packed longest first (packByTokens), each batch padded
 * on the right to its longest, and scored by one Policy.score run; or, sharing their prompts, packed
 * by packSharedPrefix and scored by Policy.scoreSharedPrefix (scoreSharedBatches).
 */
import { packByTokens, packSharedPrefix, padBatch, type PrefixedSequence } from './batch.js';
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

/** A batch scored with shared prefixes: its rows' log-probs cover their continuations only. */
export interface SharedScoredBatch extends ScoredBatch {
  /** Per row, its sequence's tokens in the prefix row: ids[t] of row r is scored at r * (length - 1) + t - offsets[r] - 1. */
  offsets: number[];
  /** Tokens the graph ran: prefix rows x longest prefix + rows x length. */
  tokens: number;
}

/**
 * scoreBatches with shared prefixes (the shared-prefix score graph): batches by packSharedPrefix, so
 * each distinct prefix runs once per batch. `length` is the batch's continuation length. Sequences
 * shorter than 2 tokens are left out.
 */
export async function* scoreSharedBatches(
  policy: Pick<Policy, 'scoreSharedPrefix'>,
  seqs: readonly PrefixedSequence[],
  padId: number,
  batchTokens: number,
): AsyncGenerator<SharedScoredBatch> {
  const scorable = seqs.map((_, i) => i).filter((i) => seqs[i]!.ids.length >= 2);
  for (const m of packSharedPrefix(
    scorable.map((i) => seqs[i]!),
    padId,
    batchTokens,
  )) {
    yield {
      rows: m.rows.map((k) => scorable[k]!),
      logprobs: await policy.scoreSharedPrefix(m.batch),
      length: m.batch.continuation.length,
      offsets: m.offsets,
      tokens: m.tokens,
    };
  }
}
