/**
 * Batched generation of rollouts through the loop graph (generate-graph.ts): one session.run per
 * batch. The sampled tokens come back with their log-probs; finish reasons and spans are recovered by
 * replaying the rollout rules on the tokens.
 */
import type ort from 'onnxruntime-node';
import type { ModelConfig } from '../model/config.js';
import type { DType } from '../onnx/graph.js';
import { Rng } from '../util/rng.js';
import { padBatch } from './batch.js';
import type { SamplingMode } from './generate-graph.js';
import type { Policy } from './policy.js';
import { advance, forcedToken, initialState, Phase, spans, type GenerateOptions, type Rollout } from './rollout.js';
import { tensor } from './session.js';

/** Stand-in for "no budget": larger than any token count. */
const UNLIMITED = 1n << 40n;

export function samplingMode(o: GenerateOptions): SamplingMode {
  if (o.temperature === 0) return 'greedy';
  return o.topP < 1 || o.topK > 0 ? 'filtered' : 'sample';
}

/**
 * M rollouts for each prompt (token ids, e.g. a chat-templated prompt), in prompt-major order. `chunk`
 * (decode steps per merge of the rows' two cache levels) changes the speed, never the rollouts.
 */
export async function generate(
  policy: Policy,
  prompts: readonly (readonly number[])[],
  o: GenerateOptions,
  padId = 0,
  chunk?: number,
): Promise<Rollout[]> {
  return (await run(policy, prompts, o, padId, chunk, false)).rollouts;
}

/**
 * The KV cache a generate call left: the inputs of the cached score graph (cached-score-graph.ts) that
 * generation fixes, and each prompt's real (unpadded) length, where its rows' positions start.
 */
export interface GenerationCache {
  feeds: Record<string, ort.Tensor>;
  promptLengths: number[];
  /** Decode steps run: the cache's positions per row. */
  steps: number;
}

/** The bytes of the keys and values generateWithCache returns for `rows` rows of up to `maxNewTokens` generated tokens (the prompt level aside). */
export function generationCacheBytes(c: ModelConfig, rows: number, maxNewTokens: number, dtype: DType): number {
  const bytes = { float64: 8, float32: 4 } as Record<DType, number>;
  return 2 * c.numLayers * rows * c.numKvHeads * c.headDim * maxNewTokens * (bytes[dtype] ?? 2);
}

/** generate, also returning the KV cache after the last step (for scoring continuations of the rollouts). */
export async function generateWithCache(
  policy: Policy,
  prompts: readonly (readonly number[])[],
  o: GenerateOptions,
  padId = 0,
  chunk?: number,
): Promise<{ rollouts: Rollout[]; cache?: GenerationCache }> {
  return run(policy, prompts, o, padId, chunk, true);
}

async function run(
  policy: Policy,
  prompts: readonly (readonly number[])[],
  o: GenerateOptions,
  padId: number,
  chunk: number | undefined,
  keepCache: boolean,
): Promise<{ rollouts: Rollout[]; cache?: GenerationCache }> {
  if (prompts.length === 0) return { rollouts: [] };
  const mode = samplingMode(o);
  const session = await policy.generateSession(mode, keepCache);
  const M = o.samplesPerPrompt;
  const BM = prompts.length * M;
  const rng = new Rng(o.seed);
  const uniforms = new Float32Array(o.maxNewTokens * BM);
  for (let i = 0; i < uniforms.length; i++) uniforms[i] = Math.min(rng.uniform(), 0.99999994);
  const batch = padBatch(prompts, padId, 'left');
  const i64 = (x: number | bigint) => tensor('int64', BigInt64Array.of(BigInt(x)), []);
  const scalar = (x: number) => tensor(policy.dtype, policy.array([x]), []);
  const V = policy.config.vocabSize;
  // Empty lists become one id that never matches (eos) or is never reached (force: no budget then).
  const forceIds = o.stop.forceCloseIds.length > 0 ? o.stop.forceCloseIds : [padId];
  const eosIds = o.stop.eosIds.length > 0 ? o.stop.eosIds : [-1];
  const thinkBudget =
    o.thinkingBudget !== undefined && o.stop.forceCloseIds.length > 0 ? BigInt(o.thinkingBudget) : UNLIMITED;
  const feeds: Record<string, ort.Tensor> = {
    ...policy.weightFeeds(),
    prompt_ids: tensor('int64', batch.ids, [batch.batch, batch.length]),
    prompt_mask: tensor('int64', batch.mask, [batch.batch, batch.length]),
    row_prompt: tensor(
      'int64',
      BigInt64Array.from({ length: BM }, (_, r) => BigInt(Math.floor(r / M))),
      [BM],
    ),
    uniforms: tensor('float32', uniforms, [o.maxNewTokens, BM]),
    max_new: i64(o.maxNewTokens),
    think_budget: i64(thinkBudget),
    answer_budget: i64(o.answerBudget ?? UNLIMITED),
    think_end: i64(o.stop.thinkEndId ?? -1),
    pad_id: i64(padId),
    temperature: scalar(o.temperature === 0 ? 1 : o.temperature),
    top_p: scalar(o.topP),
    sort_k: tensor('int64', BigInt64Array.of(BigInt(o.topK > 0 ? Math.min(o.topK, V) : V)), [1]),
    eos_ids: tensor('int64', BigInt64Array.from(eosIds.map(BigInt)), [eosIds.length]),
    force_ids: tensor('int64', BigInt64Array.from(forceIds.map(BigInt)), [forceIds.length]),
    chunk: i64(chunk ?? cacheChunk(o.maxNewTokens)),
  };
  const out = await session.run(feeds);
  const tokens = out.tokens!.data as BigInt64Array;
  const logprobs = out.logprobs!.data as Float32Array;
  const samplingLogprobs = out.sampling_logprobs!.data as Float32Array;
  const steps = out.tokens!.dims[0]!;
  const rollouts: Rollout[] = [];
  for (let r = 0; r < BM; r++) {
    const state = initialState();
    const t: number[] = [],
      lp: number[] = [],
      slp: number[] = [];
    for (let s = 0; s < steps && state.phase !== Phase.Done; s++) {
      const token = Number(tokens[s * BM + r]);
      t.push(token);
      lp.push(logprobs[s * BM + r]!);
      slp.push(samplingLogprobs[s * BM + r]!);
      forcedToken(state, o); // enters the forcing phase when the budget is spent, as the graph did
      advance(state, token, o);
    }
    const finish = state.finish ?? 'length';
    rollouts.push({
      prompt: Math.floor(r / M),
      sample: r % M,
      tokens: t,
      logprobs: lp,
      samplingLogprobs: slp,
      ...spans(t, state.thinkingForced, finish, o),
      finishReason: finish,
      thinkingForced: state.thinkingForced,
    });
  }
  if (!keepCache) return { rollouts };
  const cache: Record<string, ort.Tensor> = { prompt_mask: feeds.prompt_mask!, row_prompt: feeds.row_prompt! };
  for (let i = 0; i < policy.config.numLayers; i++)
    for (const name of [`prompt_keys_t_${i}`, `prompt_values_${i}`, `keys_t_${i}`, `values_${i}`])
      cache[name] = out[name]!;
  const promptLengths = prompts.map((p) => p.length);
  return { rollouts, cache: { feeds: cache, promptLengths, steps } };
}

/**
 * Decode steps per chunk of the rows' two cache levels (generate-graph.ts; the prompt level is shared
 * and never copied). A step copies the recent level (about chunk / 2 positions on average) and each
 * chunk copies the long level once, so the copy per step is about chunk / 2 + length / chunk
 * positions, least at chunk = sqrt(2 * length); length is the mean generated length over the run,
 * about maxNewTokens / 2.
 */
export function cacheChunk(maxNewTokens: number): number {
  return Math.max(4, Math.round(Math.sqrt(maxNewTokens)));
}
