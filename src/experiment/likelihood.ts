/**
 * log w_m = log p(y* | x*, z_m): the teacher-forced log-probability of the gold answer tokens after
 * prompt, rationale and close (see sequences.ts for the layout), summed over the answer tokens in
 * double. Sequences are scored in micro-batches of the training token budget.
 */
import type { Policy } from '../runtime/policy.js';
import { packByTokens, padBatch } from '../runtime/batch.js';
import { answerLogLikelihood, type TrainingSequence } from './sequences.js';

export async function answerLogLikelihoods(policy: Policy, seqs: readonly TrainingSequence[], padId: number, tokenBudget: number): Promise<number[]> {
  const out = new Array<number>(seqs.length).fill(0);
  for (const rows of packByTokens(seqs.map((s) => s.ids.length), tokenBudget)) {
    const batch = padBatch(rows.map((i) => seqs[i]!.ids), padId);
    const logprobs = await policy.score(batch);
    rows.forEach((i, r) => (out[i] = answerLogLikelihood(seqs[i]!, logprobs, r, batch.length)));
  }
  return out;
}
