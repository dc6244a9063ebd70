/**
 * log w_m = log p(y* | x*, z_m): the teacher-forced log-probability of the gold answer tokens after
 * prompt, rationale and close (see sequences.ts for the layout), summed over the answer tokens in
 * double. Sequences are scored in micro-batches of the training token budget (src/runtime/scoring.ts),
 * with each prompt run once per micro-batch when `sharedPrompt` is on and the policy can.
 */
import type { Policy } from '../runtime/policy.js';
import { scoreBatches, scoreSharedBatches } from '../runtime/scoring.js';
import { answerLogLikelihood, sharedPrefixLength, type TrainingSequence } from './sequences.js';

export interface LikelihoodOptions {
  /** Score with the shared-prefix graph (each prompt once per micro-batch; the sequences' promptLength). */
  sharedPrompt?: boolean;
  /** Called with the tokens of each graph run (padding included). */
  tokens?: (n: number) => void;
}

export async function answerLogLikelihoods(
  policy: Policy,
  seqs: readonly TrainingSequence[],
  padId: number,
  tokenBudget: number,
  options: LikelihoodOptions = {},
): Promise<number[]> {
  const out = new Array<number>(seqs.length).fill(0);
  if (options.sharedPrompt && policy.sharesPrefixes) {
    const prefixed = seqs.map((s) => ({ ids: s.ids, prefix: sharedPrefixLength(s) }));
    for await (const b of scoreSharedBatches(policy, prefixed, padId, tokenBudget)) {
      b.rows.forEach((i, r) => (out[i] = answerLogLikelihood(seqs[i]!, b.logprobs, r, b.length, b.offsets[r])));
      options.tokens?.(b.tokens);
    }
    return out;
  }
  for await (const { rows, logprobs, length } of scoreBatches(
    policy,
    seqs.map((s) => s.ids),
    padId,
    tokenBudget,
  )) {
    rows.forEach((i, r) => (out[i] = answerLogLikelihood(seqs[i]!, logprobs, r, length)));
    options.tokens?.(rows.length * length);
  }
  return out;
}
