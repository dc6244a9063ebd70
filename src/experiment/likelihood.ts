/**
 * log w_m = log p(y* | x*, z_m): the teacher-forced log-probability of the gold answer tokens after
 * prompt, rationale and close (see sequences.ts for the layout), summed over the answer tokens in
 * double. Sequences are scored in micro-batches of the training token budget (src/runtime/scoring.ts),
 * with each prompt run once per micro-batch when `sharedPrompt` is on and the policy can; or, right
 * after generation, against the generation's KV cache (cachedAnswerLogLikelihoods).
 */
import type { GenerationCache } from '../runtime/generate.js';
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

/**
 * answerLogLikelihoods against the KV cache of the generate call whose rows the sequences continue
 * (seqs[r]: prompt ++ z ++ close ++ y* of row r, z a prefix of the row's generated tokens): each row
 * keeps its prompt and z from the cache, and only close ++ y* runs through the model (Policy.scoreCached).
 * The same sums as the teacher-forced pass up to float rounding. Undefined when some sequence has no
 * close tokens before its answer: its first answer token would need the logits after z, which the cache
 * does not hold (score those sequences with answerLogLikelihoods).
 */
export async function cachedAnswerLogLikelihoods(
  policy: Policy,
  cache: GenerationCache,
  seqs: readonly TrainingSequence[],
  padId: number,
  options: Pick<LikelihoodOptions, 'tokens'> = {},
): Promise<number[] | undefined> {
  const BM = seqs.length;
  const M = BM / cache.promptLengths.length;
  if (!Number.isInteger(M))
    throw new Error(`cached scoring: ${BM} sequences for ${cache.promptLengths.length} prompts`);
  // z is the rationale (teacherForcedSequence: rationale positions P .. P + |z| - 1), close ++ y* follows.
  const starts = seqs.map((s) => (s.promptLength ?? 0) + s.rationale.length);
  if (seqs.some((s, r) => s.answer.length > 0 && s.answer[0]! <= starts[r]!)) return undefined;
  const A = Math.max(...seqs.map((s, r) => s.ids.length - starts[r]!));
  const ids = new BigInt64Array(A * BM).fill(BigInt(padId));
  const longMask = new BigInt64Array(BM * cache.steps);
  const positions = new BigInt64Array(BM);
  seqs.forEach((s, r) => {
    const z = s.rationale.length;
    if (z > cache.steps) throw new Error(`cached scoring: row ${r} keeps ${z} tokens of ${cache.steps} generated`);
    for (let a = 0; a < s.ids.length - starts[r]!; a++) ids[a * BM + r] = BigInt(s.ids[starts[r]! + a]!);
    longMask.fill(1n, r * cache.steps, r * cache.steps + z);
    positions[r] = BigInt(cache.promptLengths[Math.floor(r / M)]! + z);
  });
  const logprobs = await policy.scoreCached(cache.feeds, longMask, ids, positions);
  options.tokens?.((A - 1) * BM);
  return seqs.map((s, r) => {
    let sum = 0;
    for (const t of s.answer) sum += logprobs[(t - starts[r]! - 1) * BM + r]!;
    return sum;
  });
}
