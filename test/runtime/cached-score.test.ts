/**
 * Scoring continuations of generated rows against generation's KV cache (cached-score-graph.ts) equals
 * the teacher-forced pass over the whole sequences (experiment/likelihood.ts), for rollouts that closed
 * their thinking themselves, were cut at the thinking budget, or ended otherwise.
 */
import { randomWeights } from '../../src/model/init.js';
import { Policy } from '../../src/runtime/policy.js';
import { generate, generateWithCache } from '../../src/runtime/generate.js';
import type { GenerateOptions } from '../../src/runtime/rollout.js';
import { answerLogLikelihoods, cachedAnswerLogLikelihoods } from '../../src/experiment/likelihood.js';
import { selfClosed, teacherForcedSequence } from '../../src/experiment/sequences.js';
import { Rng } from '../../src/util/rng.js';
import { SMALL_QWEN3 } from '../fixtures/small-models.js';

const toy = SMALL_QWEN3;
const PAD = 0;
// <think> 3, </think> 7, eos 5; the forced close is "\n</think>\n\n" as 8 7 9, so a self-closed rationale is followed by 9.
const stop = { eosIds: [5], thinkStartId: 3, thinkEndId: 7, forceCloseIds: [8, 7, 9] };
const options: GenerateOptions = {
  samplesPerPrompt: 8,
  maxNewTokens: 14,
  thinkingBudget: 8,
  answerBudget: 3,
  temperature: 3,
  topP: 1,
  topK: 0,
  stop,
  seed: 11,
};

function setup(dtype: 'float32' | 'float64', embedGenerateWeights = false) {
  const w32 = randomWeights(toy, 5, 0.15);
  const weights =
    dtype === 'float64'
      ? new Map([...w32].map(([k, v]) => [k, Float64Array.from(v)]))
      : (w32 as Map<string, Float32Array>);
  const policy = new Policy(toy, weights, { threads: 1, dtype, embedGenerateWeights });
  const rng = new Rng(2);
  const prompts = [6, 2, 9].map((n) => Array.from({ length: n }, () => 10 + rng.int(80)));
  const answers = [
    [12, 13, 5],
    [40, 5],
    [70, 71, 72, 5],
  ];
  return { policy, prompts, answers };
}

describe('answer log-likelihoods against the generation KV cache', () => {
  it.each([
    ['float64', false, 1e-9],
    ['float32', false, 2e-4],
    ['float32', true, 2e-4], // the decode step holding the weights as initializers (models of 16 MB and up)
  ] as const)('equal the teacher-forced pass (%s, weights embedded: %s)', async (dtype, embed, tolerance) => {
    const { policy, prompts, answers } = setup(dtype, embed);
    const { rollouts, cache } = await generateWithCache(policy, prompts, options, PAD);
    expect(cache).toBeDefined();
    // the cache changes nothing about the rollouts
    expect(rollouts).toEqual(await generate(policy, prompts, options, PAD));
    const seqs = rollouts.map((r) => teacherForcedSequence(prompts[r.prompt]!, r, answers[r.prompt]!, stop));
    // the mix this test needs: rows cut at the budget, rows that closed themselves, rows ended by eos in thinking
    expect(rollouts.some((r) => r.thinkingForced)).toBe(true);
    expect(rollouts.some((r) => selfClosed(r, stop))).toBe(true);
    expect(rollouts.some((r) => !r.thinkingForced && !selfClosed(r, stop))).toBe(true);
    const counted: number[] = [];
    const cached = await cachedAnswerLogLikelihoods(policy, cache!, seqs, PAD, { tokens: (n) => counted.push(n) });
    const direct = await answerLogLikelihoods(policy, seqs, PAD, 10_000);
    expect(cached).toHaveLength(seqs.length);
    cached!.forEach((x, i) =>
      expect(Math.abs(x - direct[i]!)).toBeLessThan(tolerance * Math.max(1, Math.abs(direct[i]!))),
    );
    // one row per rollout and a step per continuation token but the last
    const A = Math.max(...seqs.map((s) => s.ids.length - s.promptLength! - s.rationale.length));
    expect(counted).toEqual([(A - 1) * seqs.length]);
  });

  it('gives way (undefined) when a sequence has no close tokens before its answer', async () => {
    const { policy, prompts, answers } = setup('float32');
    const open = { ...stop, forceCloseIds: [] as number[] };
    const { rollouts, cache } = await generateWithCache(policy, prompts, { ...options, stop: open }, PAD);
    const seqs = rollouts.map((r) => teacherForcedSequence(prompts[r.prompt]!, r, answers[r.prompt]!, open));
    expect(seqs.some((s) => s.answer[0] === s.promptLength! + s.rationale.length)).toBe(true);
    expect(await cachedAnswerLogLikelihoods(policy, cache!, seqs, PAD)).toBeUndefined();
  });
});
