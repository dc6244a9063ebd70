/**
 * A causal LM held as one set of weights (typed arrays, Hugging Face names) and the onnxruntime
 * sessions that run the score and train graphs over them. Weight tensors wrap the arrays without a
 * copy, so the optimizer updating them in place is seen by the next run.
 */
import type ort from 'onnxruntime-node';
import { parameterSpecs, type ModelConfig } from '../model/config.js';
import type { KernelsName } from '../model/kernels.js';
import type { DType } from '../onnx/graph.js';
import type { PrefixBatch, TokenBatch } from './batch.js';
import {
  buildScoreGraph,
  buildSharedPrefixScoreGraph,
  buildSharedPrefixTrainGraph,
  buildTrainGraph,
  gradName,
  type BuiltGraph,
  type TrainGraphOptions,
} from './graphs.js';
import { createSession, tensor, type Device } from './session.js';
import { buildCachedScoreGraph } from './cached-score-graph.js';
import { buildGenerateGraph, type SamplingMode } from './generate-graph.js';

export type WeightArray = Float32Array | Float64Array;

/** The least weight bytes for which generation embeds the weights by default (PolicyOptions.embedGenerateWeights). */
const EMBED_MIN_BYTES = 16e6;

export interface PolicyOptions {
  device?: Device;
  threads?: number;
  /** float64 is for gradient checks. */
  dtype?: 'float32' | 'float64';
  /**
   * Whether generation's decode step holds the weights as initializers, which onnxruntime pre-packs
   * for its Gemm kernels (about 1.2x faster generation on the small preset), instead of reading them
   * as inputs. That session is rebuilt when the weights change. Default: on the CPU, for models of
   * 16 MB to 1 GB of weights (an inline ONNX model must stay under 2 GB). Below 16 MB the matrices are
   * too small for pre-packing to repay the rebuild: the tiny preset (3.7 MB) generated 0.12-0.22 s
   * per step faster on configs/default.yaml with the weights as inputs (2026-12-06).
   */
  embedGenerateWeights?: boolean;
  /** onnxruntime's profiler: each session of this policy writes its profile (JSON) to this path prefix when released. */
  profile?: string;
  /** The row of the kernels table (model/kernels.ts) every graph uses; by default the fastest each graph allows. */
  kernels?: KernelsName;
}

export interface TrainInputs {
  /** Per-token coefficients [B, T-1] (loss = -sum coef * logp). */
  coef: WeightArray;
  /** PPO-style ratio clipping against these log-probs, with ratio bounds [clipLow, clipHigh]. */
  clip?: { oldLogprobs: WeightArray; low: number; high: number };
  /** k3 KL to a reference model, weighted per token. */
  kl?: { refLogprobs: WeightArray; coef: WeightArray };
}

export interface TrainOutputs {
  loss: number;
  logprobs: WeightArray;
  /** With inputs.kl: the k3 KL estimate per token [B, T-1], as the graph's loss computes it (padding included). */
  klTokens?: WeightArray;
  grads: Map<string, WeightArray>;
}

export class Policy {
  readonly dtype: DType;
  readonly kernels?: KernelsName;
  private readonly weightTensors: Record<string, ort.Tensor>;
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();
  private readonly embedGenerateWeights: boolean;
  private weightsVersion = 0;

  constructor(
    readonly config: ModelConfig,
    readonly weights: Map<string, WeightArray>,
    private readonly opts: PolicyOptions = {},
  ) {
    this.dtype = opts.dtype ?? 'float32';
    this.kernels = opts.kernels;
    this.weightTensors = {};
    for (const spec of parameterSpecs(config)) {
      const w = weights.get(spec.name);
      if (!w) throw new Error(`weights: missing ${spec.name}`);
      const n = spec.shape.reduce((a, b) => a * b, 1);
      if (w.length !== n)
        throw new Error(`weights: ${spec.name} has ${w.length} values, expected ${n} for shape [${spec.shape}]`);
      this.weightTensors[spec.name] = tensor(this.dtype, w, spec.shape);
    }
    const bytes = [...weights.values()].reduce((a, w) => a + w.byteLength, 0);
    this.embedGenerateWeights =
      opts.embedGenerateWeights ?? ((opts.device ?? 'cpu') === 'cpu' && bytes >= EMBED_MIN_BYTES && bytes <= 1e9);
  }

  /** Tells the policy that its weight arrays were changed in place (an optimizer step): sessions holding a copy are rebuilt. */
  weightsChanged(): void {
    this.weightsVersion++;
  }

  /**
   * The generate session for a sampling mode. With embedded weights it is keyed by the weights' version
   * and a fingerprint of them (a safety net for in-place changes nobody announced), and every generate
   * session holding older weights, of any mode, is released first.
   */
  async generateSession(mode: SamplingMode, keepCache = false): Promise<ort.InferenceSession> {
    const kind = keepCache ? `${mode}+cache` : mode;
    if (!this.embedGenerateWeights)
      return this.session(`generate:${kind}`, () =>
        buildGenerateGraph(this.config, mode, this.dtype, undefined, this.kernels, keepCache),
      );
    const version = `${this.weightsVersion}:${weightsFingerprint(this.weights.values())}`;
    for (const [k, s] of [...this.sessions]) {
      if (!k.startsWith('generate:') || k.endsWith(`:${version}`)) continue;
      this.sessions.delete(k);
      await (await s).release();
    }
    return this.session(`generate:${kind}:${version}`, () =>
      buildGenerateGraph(this.config, mode, this.dtype, this.weights, this.kernels, keepCache),
    );
  }

  /**
   * log p(ids[a + 1] | prompt, kept generated tokens, ids[..a]) per row, [A - 1, BM]: continuations of the
   * rows of a generate call scored against its KV cache (cached-score-graph.ts). `longMask` [BM, steps]
   * marks the generated positions each row keeps; `positions` [BM] is the position of ids[0].
   */
  async scoreCached(
    cache: Record<string, ort.Tensor>,
    longMask: BigInt64Array,
    ids: BigInt64Array,
    positions: BigInt64Array,
  ): Promise<WeightArray> {
    const BM = positions.length;
    const session = await this.session('cached-score', () =>
      buildCachedScoreGraph(this.config, this.dtype, this.kernels),
    );
    const out = await session.run({
      ...this.weightTensors,
      ...cache,
      long_mask: tensor('int64', longMask, [BM, longMask.length / BM]),
      ids: tensor('int64', ids, [ids.length / BM, BM]),
      positions: tensor('int64', positions, [BM]),
    });
    return out.logprobs!.data as WeightArray;
  }

  /** The weights as feeds for a graph run (wrapping the arrays, no copy). */
  weightFeeds(): Record<string, ort.Tensor> {
    return { ...this.weightTensors };
  }

  /** A session for the graph `build` emits, created once per key and reused. */
  session(key: string, build: () => BuiltGraph): Promise<ort.InferenceSession> {
    let s = this.sessions.get(key);
    if (!s) {
      s = createSession(build().bytes, {
        device: this.opts.device,
        threads: this.opts.threads,
        optimization: this.dtype === 'float64' ? 'basic' : 'all',
        profile: this.opts.profile,
      });
      this.sessions.set(key, s);
    }
    return s;
  }

  private batchFeeds(batch: TokenBatch): Record<string, ort.Tensor> {
    const dims = [batch.batch, batch.length];
    return {
      input_ids: tensor('int64', batch.ids, dims),
      attention_mask: tensor('int64', batch.mask, dims),
      ...this.weightTensors,
    };
  }

  /** log p(ids[t+1] | ids[..t]) for every sequence, [B, T-1]. */
  async score(batch: TokenBatch): Promise<WeightArray> {
    if (batch.length < 2) return this.array(0); // no sequence has a next token to score
    const session = await this.session('score', () => buildScoreGraph(this.config, this.dtype, this.kernels));
    const out = await session.run(this.batchFeeds(batch));
    return out.logprobs!.data as WeightArray;
  }

  /**
   * Whether a prefix's keys and values stand for every sequence that continues it, so that the
   * shared-prefix graphs (graphs.ts) and scoring against generation's KV cache (scoreCached) can run this
   * model: all but dynamic NTK RoPE, which scales a prompt's positions by the length of the whole sequence.
   */
  get sharesPrefixes(): boolean {
    return this.config.ropeScaling?.type !== 'dynamic';
  }

  private prefixFeeds(batch: PrefixBatch): Record<string, ort.Tensor> {
    const { prefix, continuation } = batch;
    return {
      prefix_ids: tensor('int64', prefix.ids, [prefix.batch, prefix.length]),
      prefix_mask: tensor('int64', prefix.mask, [prefix.batch, prefix.length]),
      input_ids: tensor('int64', continuation.ids, [continuation.batch, continuation.length]),
      attention_mask: tensor('int64', continuation.mask, [continuation.batch, continuation.length]),
      prefix_index: tensor('int64', batch.prefixIndex, [continuation.batch]),
      ...this.weightTensors,
    };
  }

  /** log p(ids[t+1] | prefix, ids[..t]) for every continuation of a shared-prefix batch, [B, T-1]. */
  async scoreSharedPrefix(batch: PrefixBatch): Promise<WeightArray> {
    if (batch.continuation.length < 2) return this.array(0);
    const session = await this.session('score-prefix', () =>
      buildSharedPrefixScoreGraph(this.config, this.dtype, this.kernels),
    );
    const out = await session.run(this.prefixFeeds(batch));
    return out.logprobs!.data as WeightArray;
  }

  /** Loss, log-probs and the gradient of every parameter for one micro-batch. */
  async trainStep(batch: TokenBatch, inputs: TrainInputs): Promise<TrainOutputs> {
    const options: TrainGraphOptions = { clip: !!inputs.clip, kl: !!inputs.kl };
    const key = `train:${options.clip ? 'clip' : ''}:${options.kl ? 'kl' : ''}`;
    const session = await this.session(key, () => buildTrainGraph(this.config, options, this.dtype, this.kernels));
    return this.runTrain(session, this.batchFeeds(batch), [batch.batch, batch.length - 1], inputs);
  }

  /** trainStep over a shared-prefix batch: the per-token inputs and log-probs are [B, T-1] over its continuations. */
  async trainStepSharedPrefix(batch: PrefixBatch, inputs: TrainInputs): Promise<TrainOutputs> {
    const options: TrainGraphOptions = { clip: !!inputs.clip, kl: !!inputs.kl };
    const key = `train-prefix:${options.clip ? 'clip' : ''}:${options.kl ? 'kl' : ''}`;
    const session = await this.session(key, () =>
      buildSharedPrefixTrainGraph(this.config, options, this.dtype, this.kernels),
    );
    const { continuation } = batch;
    return this.runTrain(session, this.prefixFeeds(batch), [continuation.batch, continuation.length - 1], inputs);
  }

  private async runTrain(
    session: ort.InferenceSession,
    feeds: Record<string, ort.Tensor>,
    tokenDims: number[],
    inputs: TrainInputs,
  ): Promise<TrainOutputs> {
    feeds.coef = tensor(this.dtype, inputs.coef, tokenDims);
    if (inputs.clip) {
      feeds.old_logprobs = tensor(this.dtype, inputs.clip.oldLogprobs, tokenDims);
      feeds.clip_low = tensor(this.dtype, this.array([inputs.clip.low]), []);
      feeds.clip_high = tensor(this.dtype, this.array([inputs.clip.high]), []);
    }
    if (inputs.kl) {
      feeds.ref_logprobs = tensor(this.dtype, inputs.kl.refLogprobs, tokenDims);
      feeds.kl_coef = tensor(this.dtype, inputs.kl.coef, tokenDims);
    }
    const out = await session.run(feeds);
    const grads = new Map<string, WeightArray>();
    for (const name of Object.keys(this.weightTensors)) grads.set(name, out[gradName(name)]!.data as WeightArray);
    return {
      loss: Number((out.loss!.data as WeightArray)[0]),
      logprobs: out.logprobs!.data as WeightArray,
      klTokens: inputs.kl ? (out.kl_tokens!.data as WeightArray) : undefined,
      grads,
    };
  }

  /** Frees the onnxruntime sessions (they are created again on demand). */
  async release(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of sessions) await (await s).release();
  }

  /** A typed array of this policy's dtype. */
  array(values: ArrayLike<number> | number): WeightArray {
    return this.dtype === 'float64'
      ? new Float64Array(values as ArrayLike<number>)
      : new Float32Array(values as ArrayLike<number>);
  }
}

/**
 * FNV-1a over 61 evenly spaced 32-bit words of each array: cheap enough for every generate call, and
 * any optimizer step changes nearly every weight, so it changes the fingerprint.
 */
export function weightsFingerprint(arrays: Iterable<WeightArray>): string {
  let h = 0x811c9dc5;
  for (const w of arrays) {
    const words = new Uint32Array(w.buffer, w.byteOffset, w.byteLength / 4);
    const stride = Math.max(1, Math.floor(words.length / 61));
    for (let i = 0; i < words.length; i += stride) h = Math.imul(h ^ words[i]!, 0x01000193);
  }
  return (h >>> 0).toString(16);
}
