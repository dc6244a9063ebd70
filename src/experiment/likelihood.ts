/**
 * log w_m = log p(y* | x*, z_m): the teacher-forced log-probability of the gold answer tokens after
 * prompt, rationale and close (see sequences.ts for the layout), summed over the answer tokens in
 * double. Sequences are scored in micro-batches of the training token budget (src/runtime/scoring.ts).
 */
import type { Policy } from '../runtime/policy.js';
import { scoreBatches } from '../runtime/scoring.js';
import { answerLogLikelihood, type TrainingSequence } from './sequences.js';

export async function answerLogLikelihoods(
  policy: Policy,
  seqs: readonly TrainingSequence[],
  padId: number,
  tokenBudget: number,
): Promise<number[]> {
  const out = new Array<number>(seqs.length).fill(0);
  for await (const { rows, logprobs, length } of scoreBatches(
    policy,
    seqs.map((s) => s.ids),
    padId,
    tokenBudget,
  )) {
    rows.forEach((i, r) => (out[i] = answerLogLikelihood(seqs[i]!, logprobs, r, length)));
  }
  return out;
}
