/**
 * The decoder-only transformer (Qwen3; Qwen2 and Llama as variants) written once over the graph DSL.
 * It reads top to bottom like modeling_qwen3.py: token embedding, then per layer RMSNorm ->
 * grouped-query causal attention (q/k RMSNorm, RoPE) -> residual -> RMSNorm -> SwiGLU MLP -> residual,
 * then the final norm. Tokens are flattened to [N = B*T, D] around every projection so each linear
 * layer is one Gemm against the [out, in] Hugging Face weight.
 *
 * The blocks' maths is written here once (rmsNorm, swiGlu, rotary, attention, causalBias), and the
 * model calls its blocks through a row of the kernels table (kernels.ts): the row `reference` is this
 * file's maths differentiated by the generic op rules; the faster rows the graphs run by default swap
 * in hand-written backward passes, a two-block causal attention and onnxruntime's fused ops.
 */
import type { DType, Graph, Value } from '../onnx/graph.js';
import * as op from '../onnx/ops.js';
import type { ModelConfig } from './config.js';
import type { CausalAttention, ContinuationAttention, Kernels, KeysValues } from './kernels.js';
import { dynamicNtkExponents, ropeFrequencies } from './rope.js';

export type ParamValues = ReadonlyMap<string, Value>;
type Weights = (name: string) => Value;

export interface DecoderInputs {
  /** Token ids [B, T], int64. */
  ids: Value;
  /** 1 for real tokens, 0 for padding [B, T], int64. Left or right padding both work. */
  mask: Value;
}

/**
 * Per-layer attention cache: keys stored transposed and values. The prefill (decoder) gives them per
 * prompt, [P, Hkv, hd, Tp] and [P, Hkv, Tp, hd]; the per-row levels of generation (StepCache) hold them
 * as [P, Hkv, M, hd, S] and [P, Hkv, M, S, hd] (the M rows of each prompt, KV head-major), against the
 * G query heads that share a KV head ([P, Hkv, M, G, hd] queries): one G-row product per row and KV
 * head. (Matrix-vector products, a unit axis broadcast against G, took longer once the per-row levels
 * held only generated tokens: per-product overhead, not the cache's size, dominates them.)
 */
export interface LayerCache {
  keysT: Value;
  values: Value;
}

/**
 * Final hidden states [B*T, D] for every position. When `cache` is given it receives each layer's
 * keys and values (the prefill of generation).
 */
export function decoder(
  c: ModelConfig,
  p: ParamValues,
  kernels: Kernels,
  { ids, mask }: DecoderInputs,
  cache?: LayerCache[],
): Value {
  const w = param(p);
  const embed = w('model.embed_tokens.weight');
  const g = embed.graph;
  const shape = op.shapeOf(ids); // [B, T]
  const positions = op.max(op.sub(op.cumSum(mask, 1), g.scalar(1, 'int64')), g.scalar(0, 'int64'));
  const attend = kernels.causalAttention(mask, shape, c.numHeads / c.numKvHeads, embed.dtype);
  const rope = kernels.rotary(c, positions, embed.dtype);
  const toHeads = (x: Value, heads: number) =>
    op.reshape(x, op.concat([shape, g.ints([heads, c.headDim])], 0), ['B', 'T', heads, c.headDim]);
  let h = op.reshape(op.gather(embed, ids, 'embed'), [-1, c.hiddenSize], ['N', c.hiddenSize]);
  for (let i = 0; i < c.numLayers; i++) {
    const layer = `model.layers.${i}`;
    const { q, k, v } = attentionInputs(c, kernels, w, layer, h, toHeads);
    const out = groupedAttention(c, rope.query(q), rope.key(k), v, attend);
    cache?.push({ keysT: out.keysT, values: out.values });
    h = layerOutput(c, kernels, w, layer, h, out.output);
  }
  return kernels.rmsNorm(h, w('model.norm.weight'), c.rmsNormEps);
}

/**
 * The shared-prefix layout of the train and score graphs: the distinct prompts of a batch once, as
 * prefix rows, and each sequence's continuation as a row that follows one of them. A prefix row is a
 * prompt but its last token; the continuation starts with that last token, so every log-prob a loss
 * needs comes from continuation positions.
 */
export interface SharedPrefixInputs {
  /** The prefixes [Q, P] and their mask (1 real, 0 padding), int64; left or right padding. */
  prefixIds: Value;
  prefixMask: Value;
  /** The continuations [B, T] and their mask, int64; left or right padding. */
  ids: Value;
  mask: Value;
  /** The prefix row each continuation follows [B], int64. */
  prefixIndex: Value;
}

/**
 * Final hidden states [B*T, D] of the continuation tokens of a shared-prefix batch. Every layer runs
 * its norms, projections and MLP once over all prefix and continuation tokens together (flattened to
 * [N = Q*P + B*T, D]); prefix tokens attend causally within their prefix, and continuation tokens
 * attend to their prefix row's keys and values (picked per row) and causally to their own. RoPE
 * positions of a continuation go on from its prefix's length. The last layer runs its attention
 * output, o_proj and MLP over the continuation tokens only. What decoder computes for each
 * prefix ++ continuation sequence, up to rounding. Dynamic NTK RoPE scales by each sequence's whole
 * length, which a shared prefix does not know: refused.
 */
export function sharedPrefixDecoder(c: ModelConfig, p: ParamValues, kernels: Kernels, x: SharedPrefixInputs): Value {
  if (c.ropeScaling?.type === 'dynamic') throw new Error('shared-prefix graphs: dynamic NTK RoPE is not supported');
  const w = param(p);
  const embed = w('model.embed_tokens.weight');
  const g = embed.graph;
  const dtype = embed.dtype;
  const [kvHeads, groups, hd] = [c.numKvHeads, c.numHeads / c.numKvHeads, c.headDim];
  const prefixShape = op.shapeOf(x.prefixIds); // [Q, P]
  const shape = op.shapeOf(x.ids); // [B, T]
  const zero = g.scalar(0, 'int64'),
    one = g.scalar(1, 'int64');
  const counted = (mask: Value) => op.max(op.sub(op.cumSum(mask, 1), one), zero);
  const prefixLength = op.reduceSum(x.prefixMask, [1], false); // [Q]
  const start = op.unsqueeze(op.gather(prefixLength, x.prefixIndex), [1]); // [B, 1]
  const flat = (v: Value, dim: string) => op.reshape(v, [-1], [dim]);
  const prefixPositions = flat(counted(x.prefixMask), 'Q*P');
  const positions = flat(op.add(counted(x.mask), start), 'B*T');
  const tokens = op.concat([prefixPositions, positions], 0); // [N]
  // The token axis splits into the prefix's Q*P rows and the continuation's B*T.
  const sizes = op.concat([op.shapeOf(prefixPositions), op.shapeOf(positions)], 0);
  const rope = kernels.rotary(c, op.unsqueeze(tokens, [0]), dtype); // positions [1, N]
  const attendPrefix = kernels.causalAttention(x.prefixMask, prefixShape, groups, dtype);
  const prefixMaskOfRow = op.gather(x.prefixMask, x.prefixIndex); // [B, P]
  const attendContinuation = kernels.continuationAttention(prefixMaskOfRow, x.mask, shape, groups, dtype);
  const ofRow = rowPicker(x.prefixIndex, prefixShape, dtype);
  const toHeads = (v: Value, heads: number) => op.reshape(v, [1, -1, heads, hd], [1, 'N', heads, hd]);
  // [1, N, heads, hd] -> the prefix's [Q, P, heads, hd] and the continuation's [B, T, heads, hd].
  const splitHeads = (v: Value, heads: number): [Value, Value] => {
    const outs = [0, 1].map(() => ({ dtype, shape: [1, '?', heads, hd] }));
    const [a, b] = op.apply('Split', [v, sizes], { axis: 1 }, outs);
    const to = (part: Value, dims: Value, names: [string, string]) =>
      op.reshape(part, op.concat([dims, g.ints([heads, hd])], 0), [...names, heads, hd]);
    return [to(a!, prefixShape, ['Q', 'P']), to(b!, shape, ['B', 'T'])];
  };
  const ids = op.concat([flat(x.prefixIds, 'Q*P'), flat(x.ids, 'B*T')], 0);
  let h = op.gather(embed, ids, 'embed'); // [N, D]
  for (let i = 0; i < c.numLayers; i++) {
    const layer = `model.layers.${i}`;
    const { q, k, v } = attentionInputs(c, kernels, w, layer, h, toHeads);
    const [qPrefix, qOwn] = splitHeads(rope.query(q), c.numHeads);
    const [kPrefix, kOwn] = splitHeads(rope.key(k), kvHeads);
    const [vPrefix, vOwn] = splitHeads(v, kvHeads);
    if (i < c.numLayers - 1) {
      const prefix = groupedAttention(c, qPrefix, kPrefix, vPrefix, attendPrefix);
      const own = continuationAttention(c, qOwn, kOwn, vOwn, prefix, ofRow, attendContinuation);
      h = layerOutput(c, kernels, w, layer, h, op.concat([prefix.output, own], 0));
    } else {
      // Nothing reads the prefix tokens' last outputs: the last layer needs only their keys and values.
      const prefix = headMajor(kPrefix, vPrefix);
      const own = continuationAttention(c, qOwn, kOwn, vOwn, prefix, ofRow, attendContinuation);
      const outs = [0, 1].map(() => ({ dtype, shape: ['?', c.hiddenSize] }));
      h = layerOutput(c, kernels, w, layer, op.apply('Split', [h, sizes], { axis: 0 }, outs)[1]!, own);
    }
  }
  return kernels.rmsNorm(h, w('model.norm.weight'), c.rmsNormEps);
}

/**
 * The KV cache of generation in three levels. `prompt`: each prompt's keys and values once
 * ([P, Hkv, hd, Tp], [P, Hkv, Tp, hd], from the prefill), read by its M rows and never copied per row;
 * `long`: each row's generated tokens up to the current chunk (read-only during it); `recent`: the
 * chunk's own steps so far, extended by every step. A caller merges recent into long once per chunk;
 * one flat cache that every step extends copies the whole cache each step instead. Rows are
 * prompt-major, M per prompt (row r belongs to prompt floor(r / M)).
 */
export interface StepCache {
  prompt: LayerCache[];
  /** The additive bias of the prompt's keys (0, or -1e9 on padding), per row: [P, 1, M, 1, Tp]. */
  promptBias: Value;
  long: LayerCache[];
  /** The same of the long level's keys: [P, 1, M, 1, S]. */
  longBias: Value;
  recent: LayerCache[];
  layout: StepLayout;
}

/**
 * The reshape targets of a decode step between the row layout [BM, ...] and the per-prompt layouts,
 * computed once per run from the number of prompts P, of rows per prompt M and the prompt length Tp.
 */
export interface StepLayout {
  /** P, M and Tp as int64 [1]. */
  prompts: Value;
  rows: Value;
  promptLength: Value;
  /** [P, M, Hkv, G, hd]: the queries [BM, Hq, 1, hd] split by prompt. */
  queries: Value;
  /** [P, M, Hkv, hd, 1] and [P, M, Hkv, 1, hd]: a step's key and value [BM, Hkv, 1, hd]. */
  key: Value;
  value: Value;
  /** [P, 1, M, 1, -1]: a per-row bias [BM, S]. */
  rowBias: Value;
  /** [0, 0, -1, G, Tp]: prompt scores [P, Hkv, M*G, Tp] as [P, Hkv, M, G, Tp]. */
  promptScores: Value;
  /** [0, 0, -1, Tp]: prompt probabilities [P, Hkv, M, G, Tp] as [P, Hkv, M*G, Tp]. */
  promptProbs: Value;
  /** [1, 1, M, 1, 1]: expands a per-prompt [P, x, 1, y, z] over the M rows. */
  perRow: Value;
}

/**
 * The step layout of a run with prompts [P, Tp] (any tensor of that shape) and `rows` [BM] (any
 * tensor of that shape), built in their graph (outside the decode loops).
 */
export function stepLayout(c: ModelConfig, prompts: Value, rows: Value): StepLayout {
  const g = prompts.graph;
  const [kvHeads, groups, hd] = [c.numKvHeads, c.numHeads / c.numKvHeads, c.headDim];
  const shape = op.shapeOf(prompts);
  const P = op.slice(shape, 0, 0, 1);
  const Tp = op.slice(shape, 0, 1, 2);
  const M = op.div(op.shapeOf(rows), P);
  const cat = (...parts: (Value | number[])[]) =>
    op.concat(
      parts.map((x) => (Array.isArray(x) ? g.ints(x) : x)),
      0,
    );
  return {
    prompts: P,
    rows: M,
    promptLength: Tp,
    queries: cat([-1], M, [kvHeads, groups, hd]),
    key: cat([-1], M, [kvHeads, hd, 1]),
    value: cat([-1], M, [kvHeads, 1, hd]),
    rowBias: cat(P, [1], M, [1, -1]),
    promptScores: cat([0, 0, -1, groups], Tp),
    promptProbs: cat([0, 0, -1], Tp),
    perRow: cat([1, 1], M, [1, 1]),
  };
}

/**
 * One decoding step: `ids` [B, 1] at `positions` [B, 1]; `recentMask` [B, s+1] covers the recent level
 * and the new token (the prompt and long levels' masks are in their biases). Returns the final hidden
 * states [B, D] and the recent level extended by this token.
 *
 * Written for the one-token case: the projections reshape straight to [B, heads, 1, hd] (the layout of
 * RotaryEmbedding), then to the cache's per-prompt layout [P, Hkv, M, ...] by one Transpose each of
 * the query, key and value (and one of the attention output back). Generation runs this body once per
 * token, and per-node overhead dominates small models, so every node saved counts.
 */
export function decoderStep(
  c: ModelConfig,
  p: ParamValues,
  kernels: Kernels,
  ids: Value,
  positions: Value,
  recentMask: Value,
  cache: StepCache,
): { hidden: Value; recent: LayerCache[] } {
  const w = param(p);
  const embed = w('model.embed_tokens.weight');
  const [kvHeads, groups, hd] = [c.numKvHeads, c.numHeads / c.numKvHeads, c.headDim];
  const L = cache.layout;
  const attend = kernels.cachedAttention(cache, recentMask);
  const rope = kernels.stepRotary(c, positions, embed.dtype);
  const toHeads = (x: Value, heads: number) => op.reshape(x, [-1, heads, 1, hd], ['B', heads, 1, hd]);
  // [BM, ...] split as [P, M, Hkv, a, b], then KV head-major [P, Hkv, M, a, b].
  const byPrompt = (x: Value, target: Value, dims: [number, number]) =>
    op.transpose(op.reshape(x, target, ['P', 'M', kvHeads, ...dims]), [0, 2, 1, 3, 4]);
  const recent: LayerCache[] = [];
  let h = op.reshape(op.gather(embed, ids, 'embed'), [-1, c.hiddenSize], ['B', c.hiddenSize]);
  for (let i = 0; i < c.numLayers; i++) {
    const layer = `model.layers.${i}`;
    const { q, k, v } = attentionInputs(c, kernels, w, layer, h, toHeads);
    const keysT = op.concat([cache.recent[i]!.keysT, byPrompt(rope.key(k), L.key, [hd, 1])], 4);
    const values = op.concat([cache.recent[i]!.values, byPrompt(v, L.value, [1, hd])], 3);
    recent.push({ keysT, values });
    const queries = byPrompt(rope.query(q), L.queries, [groups, hd]); // [P, Hkv, M, G, hd]
    const out = attend(queries, cache.prompt[i]!, cache.long[i]!, { keysT, values }); // [P, Hkv, M, G, hd]
    const rows = op.reshape(op.transpose(out, [0, 2, 1, 3, 4]), [-1, c.numHeads * hd], ['B', c.numHeads * hd]);
    h = layerOutput(c, kernels, w, layer, h, rows);
  }
  return { hidden: kernels.rmsNorm(h, w('model.norm.weight'), c.rmsNormEps), recent };
}

/** The output projection: the tied embedding or lm_head. */
export function lmHeadWeight(c: ModelConfig, p: ParamValues): Value {
  return p.get(c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight')!;
}

/** The parameter lookup, failing loudly on a missing name. */
function param(p: ParamValues): Weights {
  return (name) => {
    const v = p.get(name);
    if (!v) throw new Error(`missing parameter ${name}`);
    return v;
  };
}

/** x W^T (+ b): a Linear layer against its [out, in] Hugging Face weight, named `hint` in the graph. */
function linear(x: Value, weight: Value, bias: Value | undefined, hint: string): Value {
  return op.gemm(x, weight, bias, { transB: true }, hint);
}

/** A layer up to RoPE: RMSNorm(h), the q / k / v projections split into heads by `toHeads`, the q / k norms. */
function attentionInputs(
  c: ModelConfig,
  kernels: Kernels,
  w: Weights,
  layer: string,
  h: Value,
  toHeads: (x: Value, heads: number) => Value,
): { q: Value; k: Value; v: Value } {
  const x = kernels.rmsNorm(h, w(`${layer}.input_layernorm.weight`), c.rmsNormEps);
  const project = (name: string, heads: number) => {
    const bias = c.attentionBias ? w(`${layer}.self_attn.${name}.bias`) : undefined;
    return toHeads(linear(x, w(`${layer}.self_attn.${name}.weight`), bias, `${layer}.${name}`), heads);
  };
  let q = project('q_proj', c.numHeads);
  let k = project('k_proj', c.numKvHeads);
  const v = project('v_proj', c.numKvHeads);
  if (c.qkNorm) {
    q = kernels.rmsNorm(q, w(`${layer}.self_attn.q_norm.weight`), c.rmsNormEps);
    k = kernels.rmsNorm(k, w(`${layer}.self_attn.k_norm.weight`), c.rmsNormEps);
  }
  return { q, k, v };
}

/** The rest of a layer from the attention output [N, Hq*hd]: o_proj, residual, RMSNorm, SwiGLU MLP, residual. */
function layerOutput(c: ModelConfig, kernels: Kernels, w: Weights, layer: string, h: Value, attn: Value): Value {
  const h1 = op.add(h, linear(attn, w(`${layer}.self_attn.o_proj.weight`), undefined, `${layer}.o_proj`));
  const y = kernels.rmsNorm(h1, w(`${layer}.post_attention_layernorm.weight`), c.rmsNormEps);
  const gate = linear(y, w(`${layer}.mlp.gate_proj.weight`), undefined, `${layer}.gate_proj`);
  const up = linear(y, w(`${layer}.mlp.up_proj.weight`), undefined, `${layer}.up_proj`);
  const mlp = kernels.swiGlu(gate, up);
  return op.add(h1, linear(mlp, w(`${layer}.mlp.down_proj.weight`), undefined, `${layer}.down_proj`));
}

/** Keys and values [B, T, Hkv, hd] in the layout attention reads: keys transposed [B, Hkv, hd, T], values [B, Hkv, T, hd]. */
function headMajor(k: Value, v: Value): KeysValues {
  return { keysT: op.transpose(k, [0, 2, 3, 1]), values: op.transpose(v, [0, 2, 1, 3]) };
}

/**
 * Grouped-query attention without repeating K/V: the G = numHeads / numKvHeads query heads that share
 * a KV head are stacked along the query axis (head-major), so one batched MatMul per KV head serves
 * them all. q: [B, T, Hq, hd], k, v: [B, T, Hkv, hd] -> output [B*T, Hq*hd], and the keys and values
 * in the cache's layout.
 */
function groupedAttention(
  c: ModelConfig,
  q: Value,
  k: Value,
  v: Value,
  attend: CausalAttention,
): { output: Value; keysT: Value; values: Value } {
  const [kvHeads, groups, hd] = [c.numKvHeads, c.numHeads / c.numKvHeads, c.headDim];
  // q is already scaled by 1/sqrt(hd) (its RoPE tables).
  const byGroup = op.reshape(q, [0, 0, kvHeads, groups, hd], ['B', 'T', kvHeads, groups, hd]);
  const stacked = op.reshape(op.transpose(byGroup, [0, 2, 3, 1, 4]), [0, 0, -1, hd], ['B', kvHeads, 'G*T', hd]);
  const { keysT, values } = headMajor(k, v);
  const out = op.reshape(attend(stacked, keysT, values), [0, 0, groups, -1, hd], ['B', kvHeads, groups, 'T', hd]);
  const output = op.reshape(op.transpose(out, [0, 3, 1, 2, 4]), [-1, c.numHeads * hd], ['N', c.numHeads * hd]);
  return { output, keysT, values };
}

/**
 * Attention of continuation tokens q [B, T, Hq, hd], k, v [B, T, Hkv, hd] over their prefix row's
 * keys and values (`prefix`, as groupedAttention returns them for the prefix rows: [Q, Hkv, hd, P] and
 * [Q, Hkv, P, hd], picked per row by `ofRow`) and their own: the output [B*T, Hq*hd].
 */
function continuationAttention(
  c: ModelConfig,
  q: Value,
  k: Value,
  v: Value,
  prefix: { keysT: Value; values: Value },
  ofRow: (x: Value) => Value,
  attend: ContinuationAttention,
): Value {
  const [kvHeads, groups, hd] = [c.numKvHeads, c.numHeads / c.numKvHeads, c.headDim];
  const byGroup = op.reshape(q, [0, 0, kvHeads, groups, hd], ['B', 'T', kvHeads, groups, hd]);
  const stacked = op.reshape(op.transpose(byGroup, [0, 2, 3, 1, 4]), [0, 0, -1, hd], ['B', kvHeads, 'G*T', hd]);
  const own = headMajor(k, v);
  const rows = { keysT: ofRow(prefix.keysT), values: ofRow(prefix.values) };
  const out = op.reshape(attend(stacked, rows, own), [0, 0, groups, -1, hd], ['B', kvHeads, groups, 'T', hd]);
  return op.reshape(op.transpose(out, [0, 3, 1, 2, 4]), [-1, c.numHeads * hd], ['N', c.numHeads * hd]);
}

/**
 * A function giving the rows of x [Q, ...] picked by `index` [B] ([B, ...]), through a [Q, rest] view.
 * Graphs that are differentiated pick by a one-hot [B, Q] MatMul, whose gradient (selection^T times the
 * rows' gradients) sums each prefix row over the rows that read it in one small product; a Gather's
 * gradient, a ScatterElements over B x rest elements, took about 6 % of the tiny train step's kernel time. The
 * one-hot product is exact (each output is 1 * x plus zeros). Inference-only graphs keep the Gather.
 */
function rowPicker(index: Value, prefixShape: Value, dtype: DType): (x: Value) => Value {
  const g = index.graph;
  let selection: Value | undefined; // [B, Q]
  if (!g.isInferenceOnly()) {
    const rowIds = op.range(g.scalar(0, 'int64'), op.element(prefixShape, 0), g.scalar(1, 'int64'), 'Q');
    selection = op.cast(op.equal(op.unsqueeze(index, [1]), op.unsqueeze(rowIds, [0])), dtype);
  }
  return (x) => {
    const flat = op.reshape(x, [0, -1], [x.shape[0]!, '?']);
    const rows = selection ? op.matmul(selection, flat) : op.gather(flat, index); // [B, rest]
    const target = op.concat([op.shapeOf(index), op.slice(op.shapeOf(x), 0, 1, op.TO_END)], 0);
    return op.reshape(rows, target, [index.shape[0]!, ...x.shape.slice(1)]);
  };
}

// ---------------------------------------------------------------- the blocks' maths

/** RMSNorm over the last axis: x / sqrt(mean(x^2) + eps) * weight. */
export function rmsNorm(x: Value, weight: Value, eps: number): Value {
  return op.mul(op.mul(x, inverseRms(x, eps)), weight);
}

/** 1 / sqrt(mean(x^2) + eps) over the last axis, keeping it as 1. */
export function inverseRms(x: Value, eps: number): Value {
  // Mul + ReduceMean: onnxruntime's ReduceSumSquare takes 1.7x as long as the pair.
  return op.reciprocal(op.sqrt(op.add(op.reduceMean(op.mul(x, x), [-1], true), x.graph.scalar(eps, x.dtype))));
}

/** The SwiGLU MLP's activation: silu(gate) * up, silu(x) = x sigmoid(x). */
export function swiGlu(gate: Value, up: Value): Value {
  return op.mul(op.mul(gate, op.sigmoid(gate)), up);
}

/**
 * Attention scores of every query against every key, softmax(q kT + bias) v, over the last two axes.
 * The 1/sqrt(hd) scale is already in q (its RoPE tables); `bias` is 0 where a query may attend a key
 * and -1e9 where not.
 */
export function attention(q: Value, kT: Value, v: Value, bias: Value): Value {
  return op.matmul(op.softmax(op.add(op.matmul(q, kT), bias), -1), v);
}

/**
 * The additive mask of queries at positions [first, end) against keys [0, keys): 0 where the key is
 * at or before the query and is not padding (`keyPadding` [B, 1, 1, keys], 0 or -1e9), else -1e9. The
 * rows repeat for the `groups` query heads that share a KV head, head-major as groupedAttention stacks
 * them: [B, 1, groups * queries, keys].
 */
export function causalBias([first, end]: [Value, Value], keys: Value, keyPadding: Value, groups: number): Value {
  const g = keys.graph;
  const dtype = keyPadding.dtype;
  const zero = g.constant([0n], 'int64', [], 'zero'),
    one = g.constant([1n], 'int64', [], 'one');
  const keyIndex = op.unsqueeze(op.range(zero, keys, one, 'keys'), [0]);
  const queryIndex = op.unsqueeze(op.range(first, end, one, 'queries'), [1]);
  const causal = op.lessOrEqual(keyIndex, queryIndex); // [queries, keys]
  const repeated = op.expand(op.unsqueeze(causal, [0]), [groups, 1, 1], [groups, 'queries', 'keys']);
  const perHead = op.apply('Flatten', [repeated], { axis: 2 }, [{ dtype: 'bool', shape: ['G*queries', 'keys'] }])[0]!;
  // The minimum of the causal bias over rows and keys and the padding bias over the batch: one float
  // pass over [B, 1, rows, keys] (a boolean And and a Where over it cost more).
  const causalBias = op.where(perHead, g.scalar(0, dtype), g.scalar(-1e9, dtype));
  return op.apply('Min', [causalBias, keyPadding], {}, [{ dtype, shape: ['B', 1, 'G*queries', 'keys'] }])[0]!;
}

/** 0 for real tokens and -1e9 for padding, from a mask [B, S] of 1 / 0: [B, S]. */
export function paddingBias(mask: Value, dtype: DType): Value {
  const g = mask.graph;
  return op.where(op.equal(mask, g.scalar(1, 'int64')), g.scalar(0, dtype), g.scalar(-1e9, dtype));
}

/** The additive bias of the prompt level's keys from the prompts' mask [P, Tp], for each of a prompt's M rows: [P, 1, M, 1, Tp]. */
export function promptKeyBias(promptMask: Value, layout: StepLayout, dtype: DType): Value {
  return op.expand(op.reshape(paddingBias(promptMask, dtype), [0, 1, 1, 1, -1], ['P', 1, 1, 1, 'Tp']), layout.perRow, [
    'P',
    1,
    'M',
    1,
    'Tp',
  ]);
}

/** The additive bias of a decode step's per-row keys from their mask [BM, S] of 1 / 0: [P, 1, M, 1, S] of 0 or -1e9. */
export function keyBias(mask: Value, layout: StepLayout, dtype: DType): Value {
  return op.reshape(paddingBias(mask, dtype), layout.rowBias, ['P', 1, 'M', 1, mask.shape[1]!]);
}

/** RoPE as a function of the queries and one of the keys. */
export interface Rotary {
  query(x: Value): Value;
  key(x: Value): Value;
}

/**
 * RoPE for int64 positions [B, T] (counted over real tokens, so padding side does not matter):
 * x cos + rotate_half(x) sin for x [B, T, heads, hd], or [B, heads, 1, hd] when T = 1. The query's
 * tables carry the attention scale 1/sqrt(hd) (RoPE is linear), which saves scaling the queries and
 * their gradient.
 */
export function rotary(c: ModelConfig, positions: Value, dtype: DType): Rotary {
  const g = positions.graph;
  const angles = ropeAngles(c, positions, dtype);
  const fullAngles = op.unsqueeze(op.concat([angles, angles], -1), [2]); // [B, T, 1, hd]
  const { attentionFactor } = ropeFrequencies(c);
  const scaled = (x: Value) => (attentionFactor === 1 ? x : op.mul(x, g.scalar(attentionFactor, dtype)));
  const cos = scaled(op.cos(fullAngles));
  const sin = scaled(op.sin(fullAngles));
  const keyTables = { cos, sin, rotateHalf: rotateHalfMatrix(c, g, dtype) };
  const scale = g.scalar(1 / Math.sqrt(c.headDim), dtype);
  const queryTables = { ...keyTables, cos: op.mul(keyTables.cos, scale), sin: op.mul(keyTables.sin, scale) };
  return { query: (x) => applyRotary(x, queryTables), key: (x) => applyRotary(x, keyTables) };
}

/** cos and sin tables that broadcast against x, and rotate_half as a [hd, hd] matrix. */
export interface RotaryTables {
  cos: Value;
  sin: Value;
  rotateHalf: Value;
}

/** x cos + rotate_half(x) sin, rotate_half([a, b]) = [-b, a]. */
export function applyRotary(x: Value, { cos, sin, rotateHalf }: RotaryTables): Value {
  return op.add(op.mul(x, cos), op.mul(op.matmul(x, rotateHalf), sin));
}

/** rotate_half as a [hd, hd] constant: x @ R = [-x2, x1]. One MatMul instead of Split / Neg / Concat. */
export function rotateHalfMatrix(c: ModelConfig, g: Graph, dtype: DType): Value {
  const half = c.headDim / 2;
  const R = new Array<number>(c.headDim * c.headDim).fill(0);
  for (let i = 0; i < half; i++) {
    R[(i + half) * c.headDim + i] = -1; // out[i] = -x[i + half]
    R[i * c.headDim + i + half] = 1; // out[i + half] = x[i]
  }
  return g.constant(R, dtype, [c.headDim, c.headDim], 'rotate_half');
}

/**
 * RoPE's angles position * inv_freq for int64 positions [B, T]: [B, T, hd/2]. Dynamic NTK scaling
 * takes each row's length as its largest position + 1 (transformers takes the batch's largest, so
 * they agree for one sequence; here a row does not depend on the others). A generation step (T = 1)
 * thus rescales with its own position while the cached keys keep the rotation they were made with,
 * as transformers' cached generation does.
 */
export function ropeAngles(c: ModelConfig, positions: Value, dtype: DType): Value {
  const g = positions.graph;
  const half = c.headDim / 2;
  const pos = op.cast(positions, dtype);
  let invFreq = g.constant(Array.from(ropeFrequencies(c).invFreq), dtype, [half], 'inv_freq');
  const s = c.ropeScaling;
  if (s?.type === 'dynamic') {
    const maxPosition = op.apply('ReduceMax', [pos, g.ints([-1])], { keepdims: 1 }, [
      { dtype, shape: [pos.shape[0]!, 1] },
    ])[0]!;
    const length = op.add(maxPosition, g.scalar(1, dtype));
    const scaledLength = op.mul(length, g.scalar(s.factor / c.maxPositionEmbeddings, dtype));
    const ratio = op.max(op.sub(scaledLength, g.scalar(s.factor - 1, dtype)), g.scalar(1, dtype));
    const exponents = g.constant(Array.from(dynamicNtkExponents(c.headDim)), dtype, [half], 'ntk_exponents');
    invFreq = op.mul(invFreq, op.exp(op.mul(op.unsqueeze(op.log(ratio), [-1]), exponents))); // [B, 1, hd/2]
  }
  return op.mul(op.unsqueeze(pos, [-1]), invFreq);
}
