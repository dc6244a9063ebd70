/**
 * The decoder-only transformer (Qwen3; Qwen2 and Llama as variants) written once over the graph DSL.
 * It reads top to bottom like modeling_qwen3.py: token embedding, then per layer RMSNorm ->
 * grouped-query causal attention (q/k RMSNorm, RoPE) -> residual -> RMSNorm -> SwiGLU MLP -> residual,
 * then the final norm. Tokens are flattened to [N = B*T, D] around every projection so each linear
 * layer is one Gemm against the [out, in] Hugging Face weight.
 */
import type { Graph, Value } from '../onnx/graph.js';
import * as op from '../onnx/ops.js';
import type { ModelConfig } from './config.js';
import { dynamicNtkExponents, ropeFrequencies } from './rope.js';

export type ParamValues = ReadonlyMap<string, Value>;

export interface DecoderInputs {
  /** Token ids [B, T], int64. */
  ids: Value;
  /** 1 for real tokens, 0 for padding [B, T], int64. Left or right padding both work. */
  mask: Value;
}

/**
 * Per-layer attention cache: keys stored transposed [B, Hkv, 1, hd, S] and values [B, Hkv, 1, S, hd].
 * The unit axis broadcasts against the G query heads that share a KV head ([B, Hkv, G, 1, hd] queries),
 * so each product is one query row against the cache: onnxruntime runs matrix-vector kernels on the
 * cache instead of packing it for a G-row Gemm.
 */
export interface LayerCache {
  keysT: Value;
  values: Value;
}

/**
 * Final hidden states [B*T, D] for every position. When `cache` is given it receives each layer's
 * keys and values (the prefill of generation).
 */
export function decoder(c: ModelConfig, p: ParamValues, { ids, mask }: DecoderInputs, cache?: LayerCache[]): Value {
  const w = param(p);
  const embed = w('model.embed_tokens.weight');
  const g = embed.graph;
  const bt = op.shapeOf(ids); // [B, T]
  const positions = op.max(op.sub(op.cumSum(mask, 1), g.scalar(1, 'int64')), g.scalar(0, 'int64'));
  const bias = attentionBias(mask, bt, c.numHeads / c.numKvHeads, embed.dtype);
  const rope = rotaryTables(c, positions, embed.dtype);
  const toHeads = (x: Value, heads: number) => op.reshape(x, op.concat([bt, g.ints([heads, c.headDim])], 0), ['B', 'T', heads, c.headDim]);
  let h = op.reshape(op.gather(embed, ids, 'embed'), [-1, c.hiddenSize], ['N', c.hiddenSize]);
  for (let i = 0; i < c.numLayers; i++) {
    const L = `model.layers.${i}`;
    const { q, k, v } = attentionInputs(c, w, L, h, toHeads);
    const out = groupedAttention(c, applyRotary(q, rope.query), applyRotary(k, rope.key), v, bias);
    cache?.push({ keysT: op.unsqueeze(out.keysT, [2]), values: op.unsqueeze(out.values, [2]) });
    h = layerOutput(c, w, L, h, out.output);
  }
  return rmsNorm(h, w('model.norm.weight'), c.rmsNormEps);
}

/**
 * The KV cache of generation in two levels, so that a step copies only the short recent level: `long`
 * (keys and values up to the current chunk, read-only during it, with its additive bias [B, 1, 1, 1, S])
 * and `recent` (the chunk's own steps so far, extended by every step). A caller merges recent into long
 * once per chunk; one flat cache that every step extends copies the whole cache each step instead.
 */
export interface StepCache {
  long: LayerCache[];
  longBias: Value;
  recent: LayerCache[];
}

/**
 * One decoding step: `ids` [B, 1] at `positions` [B, 1]; `recentMask` [B, s+1] covers the recent level
 * and the new token (the long level's mask is in `longBias`). Returns the final hidden states [B, D]
 * and the recent level extended by this token.
 *
 * Written for the one-token case: with T = 1 the projections reshape straight to [B, heads, 1, hd]
 * (the layout of the cache and of RotaryEmbedding), keys to [B, Hkv, hd, 1] without a Transpose, and
 * the attention scale is folded into the query's cos / sin tables. Generation runs this body once per
 * token, and per-node overhead dominates small models, so every node saved counts. Attention scores
 * against both levels are concatenated for one softmax, then split for the two value products.
 */
export function decoderStep(c: ModelConfig, p: ParamValues, ids: Value, positions: Value, recentMask: Value, cache: StepCache): { hidden: Value; recent: LayerCache[] } {
  const w = param(p);
  const embed = w('model.embed_tokens.weight');
  const g = ids.graph;
  const dtype = embed.dtype;
  const recentBias = keyBias(recentMask, dtype);
  const bias = op.concat([cache.longBias, recentBias], 4);
  const lastDim = (x: Value) => op.apply('Shape', [x], { start: 4 }, [{ dtype: 'int64', shape: [1] }])[0]!;
  const sizes = op.concat([lastDim(cache.longBias), lastDim(recentBias)], 0);
  const G = c.numHeads / c.numKvHeads;
  const hd = c.headDim;
  const rope = stepRotary(c, positions, dtype);
  const toHeads = (x: Value, heads: number) => op.reshape(x, [-1, heads, 1, hd], ['B', heads, 1, hd]);
  const recent: LayerCache[] = [];
  let h = op.reshape(op.gather(embed, ids, 'embed'), [-1, c.hiddenSize], ['B', c.hiddenSize]);
  for (let i = 0; i < c.numLayers; i++) {
    const L = `model.layers.${i}`;
    const { q, k, v } = attentionInputs(c, w, L, h, toHeads);
    const long = cache.long[i]!;
    const keysT = op.concat([cache.recent[i]!.keysT, op.reshape(rope.key(k), [-1, c.numKvHeads, 1, hd, 1], ['B', c.numKvHeads, 1, hd, 1])], 4);
    const values = op.concat([cache.recent[i]!.values, op.reshape(v, [-1, c.numKvHeads, 1, 1, hd], ['B', c.numKvHeads, 1, 1, hd])], 3);
    recent.push({ keysT, values });
    const qg = op.reshape(rope.query(q), [-1, c.numKvHeads, G, 1, hd], ['B', c.numKvHeads, G, 1, hd]);
    const scores = op.concat([op.matmul(qg, long.keysT), op.matmul(qg, keysT)], 4); // [B, Hkv, G, 1, S + s+1]
    const [probsLong, probsRecent] = op.apply('Split', [op.softmax(op.add(scores, bias), -1), sizes], { axis: 4 }, [
      { dtype, shape: ['B', c.numKvHeads, G, 1, 'S'] },
      { dtype, shape: ['B', c.numKvHeads, G, 1, 's'] },
    ]);
    const attn = op.add(op.matmul(probsLong!, long.values), op.matmul(probsRecent!, values));
    h = layerOutput(c, w, L, h, op.reshape(attn, [-1, c.numHeads * hd], ['B', c.numHeads * hd]));
  }
  return { hidden: rmsNorm(h, w('model.norm.weight'), c.rmsNormEps), recent };
}

/** The additive bias of a decode step's keys from their mask [B, S] (1 real, 0 padding): [B, 1, 1, 1, S] of 0 or -1e9. */
export function keyBias(mask: Value, dtype: Value['dtype']): Value {
  return op.unsqueeze(paddingBias(mask, dtype), [1, 2, 3]);
}

/** 0 for real tokens and -1e9 for padding, from a mask [B, S] of 1 / 0: [B, S]. */
function paddingBias(mask: Value, dtype: Value['dtype']): Value {
  const g = mask.graph;
  return op.where(op.equal(mask, g.scalar(1, 'int64')), g.scalar(0, dtype), g.scalar(-1e9, dtype));
}

/** The parameter lookup, failing loudly on a missing name. */
function param(p: ParamValues): (name: string) => Value {
  return (name) => {
    const v = p.get(name);
    if (!v) throw new Error(`missing parameter ${name}`);
    return v;
  };
}

/** The first half of layer L up to RoPE: RMSNorm(h), the q / k / v projections split into heads by `toHeads`, the q / k norms. */
function attentionInputs(c: ModelConfig, w: (name: string) => Value, L: string, h: Value, toHeads: (x: Value, heads: number) => Value): { q: Value; k: Value; v: Value } {
  const x = rmsNorm(h, w(`${L}.input_layernorm.weight`), c.rmsNormEps);
  const proj = (name: string, heads: number) =>
    toHeads(op.gemm(x, w(`${L}.self_attn.${name}.weight`), c.attentionBias ? w(`${L}.self_attn.${name}.bias`) : undefined, { transB: true }, `${L}.${name}`), heads);
  let q = proj('q_proj', c.numHeads);
  let k = proj('k_proj', c.numKvHeads);
  const v = proj('v_proj', c.numKvHeads);
  if (c.qkNorm) {
    q = rmsNorm(q, w(`${L}.self_attn.q_norm.weight`), c.rmsNormEps);
    k = rmsNorm(k, w(`${L}.self_attn.k_norm.weight`), c.rmsNormEps);
  }
  return { q, k, v };
}

/** The rest of layer L from the attention output [N, Hq*hd]: o_proj and residual, then RMSNorm, SwiGLU MLP and residual. */
function layerOutput(c: ModelConfig, w: (name: string) => Value, L: string, h: Value, attn: Value): Value {
  const h1 = op.add(h, op.gemm(attn, w(`${L}.self_attn.o_proj.weight`), undefined, { transB: true }, `${L}.o_proj`));
  const y = rmsNorm(h1, w(`${L}.post_attention_layernorm.weight`), c.rmsNormEps);
  const gate = op.gemm(y, w(`${L}.mlp.gate_proj.weight`), undefined, { transB: true }, `${L}.gate_proj`);
  const up = op.gemm(y, w(`${L}.mlp.up_proj.weight`), undefined, { transB: true }, `${L}.up_proj`);
  return op.add(h1, op.gemm(swiGlu(gate, up), w(`${L}.mlp.down_proj.weight`), undefined, { transB: true }, `${L}.down_proj`));
}

/**
 * Whether `x` may use a fused standard op (RMSNormalization, RotaryEmbedding) instead of the primitives
 * a backward rule reuses: its graph is never differentiated, and it is float32, which onnxruntime's CPU
 * kernels of those ops cover (float64 graphs keep the primitives).
 */
function fusable(x: Value): boolean {
  return x.dtype === 'float32' && x.graph.isInferenceOnly();
}

/**
 * RoPE for one new token per row, on x [B, heads, 1, hd], from cos / sin tables [B, 1, hd/2] (the
 * RotaryEmbedding(23) cache layout). The query's tables carry the attention scale 1/sqrt(hd).
 */
function stepRotary(c: ModelConfig, positions: Value, dtype: Value['dtype']): { query: (x: Value) => Value; key: (x: Value) => Value } {
  const g = positions.graph;
  const freqs = ropeAngles(c, positions, dtype); // [B, 1, hd/2]
  const { attentionFactor } = ropeFrequencies(c);
  let cos = op.cos(freqs), sin = op.sin(freqs);
  const scale = g.scalar(1 / Math.sqrt(c.headDim), dtype);
  if (attentionFactor !== 1) [cos, sin] = [op.mul(cos, g.scalar(attentionFactor, dtype)), op.mul(sin, g.scalar(attentionFactor, dtype))];
  let rotate: (cosHalf: Value, sinHalf: Value) => (x: Value) => Value;
  if (fusable(freqs)) {
    rotate = (cosHalf, sinHalf) => (x) => op.apply('RotaryEmbedding', [x, cosHalf, sinHalf], {}, [{ dtype: x.dtype, shape: x.shape }])[0]!;
  } else {
    const R = rotateHalfMatrix(c, g, dtype);
    const full = (t: Value) => op.unsqueeze(op.concat([t, t], -1), [1]); // [B, 1, 1, hd]
    rotate = (cosHalf, sinHalf) => {
      const cosFull = full(cosHalf), sinFull = full(sinHalf);
      return (x) => op.add(op.mul(x, cosFull), op.mul(op.matmul(x, R), sinFull));
    };
  }
  return { query: rotate(op.mul(cos, scale), op.mul(sin, scale)), key: rotate(cos, sin) };
}

/** The output projection: the tied embedding or lm_head. */
export function lmHeadWeight(c: ModelConfig, p: ParamValues): Value {
  return p.get(c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight')!;
}

/**
 * RMSNorm over the last axis: x / sqrt(mean(x^2) + eps) * weight. Where `fusable`, it is the one
 * RMSNormalization(23) node (seven fewer nodes per norm: generation is bound by per-node overhead).
 */
export function rmsNorm(x: Value, weight: Value, eps: number): Value {
  if (fusable(x)) {
    return op.apply('RMSNormalization', [x, weight], { axis: -1, epsilon: { float: eps } }, [{ dtype: x.dtype, shape: x.shape }])[0]!;
  }
  let inv!: Value, xhat!: Value;
  const g = x.graph;
  const D = x.shape[x.shape.length - 1] as number;
  const leading = Array.from({ length: x.shape.length - 1 }, (_, i) => i);
  return op.composite(
    'RMSNorm',
    [x, weight],
    () => {
      // Mul + ReduceMean: onnxruntime's ReduceSumSquare takes 1.7x as long as the pair.
      inv = op.reciprocal(op.sqrt(op.add(op.reduceMean(op.mul(x, x), [-1], true), g.scalar(eps, x.dtype))));
      xhat = op.mul(x, inv);
      return [op.mul(xhat, weight)];
    },
    // dx = r (dy w - xhat mean(dy w xhat)) with r = 1/rms; dw = sum over rows of dy xhat. The row means
    // are one matrix-vector product of p = dy xhat with w / D, so p serves both.
    ([dy]) => {
      const p = op.mul(dy!, xhat);
      const rowMean = op.matmul(p, op.reshape(op.mul(weight, g.scalar(1 / D, x.dtype)), [D, 1], [D, 1]));
      const dx = op.mul(op.sub(op.mul(dy!, weight), op.mul(xhat, rowMean)), inv);
      return [dx, op.reduceSum(p, leading, false)];
    },
  )[0]!;
}

interface RotaryTables {
  cos: Value; // [B, T, 1, headDim]
  sin: Value;
  /** rotate_half as a [headDim, headDim] matrix: x @ R = [-x2, x1]. One MatMul instead of Split/Neg/Concat. */
  rotateHalf: Value;
}

/**
 * cos/sin of position * inv_freq for int64 positions [B, T] (counted over real tokens, so padding side
 * does not matter). The query's tables carry the attention scale 1/sqrt(hd) (RoPE is linear), which
 * saves scaling the queries and their gradient.
 */
function rotaryTables(c: ModelConfig, positions: Value, dtype: Value['dtype']): { query: RotaryTables; key: RotaryTables } {
  const g = positions.graph;
  const freqs = ropeAngles(c, positions, dtype);
  const emb = op.unsqueeze(op.concat([freqs, freqs], -1), [2]);
  const { attentionFactor } = ropeFrequencies(c);
  const scaled = (x: Value) => (attentionFactor === 1 ? x : op.mul(x, g.scalar(attentionFactor, dtype)));
  const key = { cos: scaled(op.cos(emb)), sin: scaled(op.sin(emb)), rotateHalf: rotateHalfMatrix(c, g, dtype) };
  const scale = g.scalar(1 / Math.sqrt(c.headDim), dtype);
  return { key, query: { ...key, cos: op.mul(key.cos, scale), sin: op.mul(key.sin, scale) } };
}

/**
 * RoPE's angles position * inv_freq for int64 positions [B, T]: [B, T, hd/2]. Dynamic NTK scaling
 * takes each row's length as its largest position + 1 (transformers takes the batch's largest, so
 * they agree for one sequence; here a row does not depend on the others). A generation step (T = 1)
 * thus rescales with its own position while the cached keys keep the rotation they were made with,
 * as transformers' cached generation does.
 */
function ropeAngles(c: ModelConfig, positions: Value, dtype: Value['dtype']): Value {
  const g = positions.graph;
  const half = c.headDim / 2;
  const pos = op.cast(positions, dtype);
  let invFreq = g.constant(Array.from(ropeFrequencies(c).invFreq), dtype, [half], 'inv_freq');
  const s = c.ropeScaling;
  if (s?.type === 'dynamic') {
    const length = op.add(op.apply('ReduceMax', [pos, g.ints([-1])], { keepdims: 1 }, [{ dtype, shape: [pos.shape[0]!, 1] }])[0]!, g.scalar(1, dtype));
    const ratio = op.max(op.sub(op.mul(length, g.scalar(s.factor / c.maxPositionEmbeddings, dtype)), g.scalar(s.factor - 1, dtype)), g.scalar(1, dtype));
    const exponents = g.constant(Array.from(dynamicNtkExponents(c.headDim)), dtype, [half], 'ntk_exponents');
    invFreq = op.mul(invFreq, op.exp(op.mul(op.unsqueeze(op.log(ratio), [-1]), exponents))); // [B, 1, hd/2]
  }
  return op.mul(op.unsqueeze(pos, [-1]), invFreq);
}

/** rotate_half as a [headDim, headDim] constant: x @ R = [-x2, x1]. */
function rotateHalfMatrix(c: ModelConfig, g: Graph, dtype: Value['dtype']): Value {
  const half = c.headDim / 2;
  const R = new Array<number>(c.headDim * c.headDim).fill(0);
  for (let i = 0; i < half; i++) {
    R[(i + half) * c.headDim + i] = -1; // out[i] = -x[i + half]
    R[i * c.headDim + i + half] = 1; // out[i + half] = x[i]
  }
  return g.constant(R, dtype, [c.headDim, c.headDim], 'rotate_half');
}

/** x * cos + rotate_half(x) * sin, rotate_half([a, b]) = [-b, a]; x is [B, T, H, headDim]. */
function applyRotary(x: Value, { cos, sin, rotateHalf }: RotaryTables): Value {
  return op.add(op.mul(x, cos), op.mul(op.matmul(x, rotateHalf), sin));
}

/** silu(gate) * up with a fused backward: d gate = dy * up * (s + a - a s), d up = dy * a, s = sigmoid(gate), a = gate s. */
export function swiGlu(gate: Value, up: Value): Value {
  let s!: Value, a!: Value;
  return op.composite(
    'SwiGLU',
    [gate, up],
    () => {
      s = op.sigmoid(gate);
      a = op.mul(gate, s);
      return [op.mul(a, up)];
    },
    ([dy]) => {
      const t = op.mul(dy!, up);
      return [op.mul(t, op.add(s, op.sub(a, op.mul(a, s)))), op.mul(dy!, a)];
    },
  )[0]!;
}

/**
 * The additive attention mask (0 where query i may attend key j: j <= i and key j is not padding, else
 * -1e9) for the two causal blocks of attentionCore: queries [0, h) against keys [0, h), and queries
 * [h, T) against all keys, with h = floor(T / 2). The rows repeat for the G query heads that share a
 * KV head (the query axis of attentionCore is G x rows, head-major).
 */
interface BlockBias {
  /** h and T - h, each int64 [1], and both as [2]. */
  half: Value;
  rest: Value;
  sizes: Value;
  /** [B, 1, G*h, h] and [B, 1, G*(T-h), T]. */
  first: Value;
  second: Value;
}

function attentionBias(mask: Value, bt: Value, G: number, dtype: Value['dtype']): BlockBias {
  const g = mask.graph;
  const zero = g.constant([0n], 'int64', [], 'zero'), one = g.constant([1n], 'int64', [], 'one');
  const t = op.element(bt, 1);
  const h = op.div(t, g.constant([2n], 'int64', [], 'two'));
  const half = op.unsqueeze(h, [0]);
  const padBias = op.unsqueeze(paddingBias(mask, dtype), [1, 2]); // [B, 1, 1, T]
  // Each block's bias is the minimum of a causal bias over rows and keys and the padding bias over the
  // batch: one float pass over [B, 1, rows, keys] (a boolean And and a Where over it cost more).
  const block = (qStart: Value, qEnd: Value, keys: Value, keysPadBias: Value, rows: string) => {
    const causal = op.lessOrEqual(op.unsqueeze(op.range(zero, keys, one, 'c'), [0]), op.unsqueeze(op.range(qStart, qEnd, one, 'r'), [1])); // [r, c]
    const perHead = op.apply('Flatten', [op.expand(op.unsqueeze(causal, [0]), [G, 1, 1], [G, 'r', 'c'])], { axis: 2 }, [{ dtype: 'bool', shape: [rows, 'c'] }])[0]!;
    return op.apply('Min', [op.where(perHead, g.scalar(0, dtype), g.scalar(-1e9, dtype)), keysPadBias], {}, [{ dtype, shape: ['B', 1, rows, 'c'] }])[0]!;
  };
  const firstPadBias = op.apply('Slice', [padBias, g.ints([0]), half, g.ints([3])], {}, [{ dtype, shape: ['B', 1, 1, 'h'] }])[0]!;
  const rest = op.sub(op.unsqueeze(t, [0]), half);
  return { half, rest, sizes: op.concat([half, rest], 0), first: block(zero, h, h, firstPadBias, 'Gh'), second: block(h, t, t, padBias, 'Gr') };
}

/**
 * Grouped-query attention without repeating K/V: the G = numHeads / numKvHeads query heads that share
 * a KV head are stacked along the query axis, so one batched MatMul per KV head serves them all.
 * q: [B, T, Hq, hd], k, v: [B, T, Hkv, hd] -> [B*T, Hq*hd].
 */
function groupedAttention(c: ModelConfig, q: Value, k: Value, v: Value, bias: BlockBias): { output: Value; keysT: Value; values: Value } {
  const G = c.numHeads / c.numKvHeads;
  const hd = c.headDim;
  const q5 = op.reshape(q, [0, 0, c.numKvHeads, G, hd], ['B', 'T', c.numKvHeads, G, hd]); // already scaled by 1/sqrt(hd) (its RoPE tables)
  const qg = op.reshape(op.transpose(q5, [0, 2, 3, 1, 4]), [0, 0, -1, hd], ['B', c.numKvHeads, 'GT', hd]);
  const kT = op.transpose(k, [0, 2, 3, 1]); // [B, Hkv, hd, T]
  const vt = op.transpose(v, [0, 2, 1, 3]); // [B, Hkv, T, hd]
  const out = op.reshape(attentionCore(qg, kT, vt, bias, G), [0, 0, G, -1, hd], ['B', c.numKvHeads, G, 'T', hd]);
  return { output: op.reshape(op.transpose(out, [0, 3, 1, 2, 4]), [-1, c.numHeads * hd], ['N', c.numHeads * hd]), keysT: kT, values: vt };
}

/**
 * Causal attention softmax(q kT + bias) v for q [B, Hkv, G*T, hd] (head-major), kT [B, Hkv, hd, T],
 * v [B, Hkv, T, hd], in two blocks: the first half of the queries attends only the first half of the
 * keys, which skips the masked upper-right quarter of the T x T scores (a quarter of the work).
 * Its backward takes the row sums that softmax's rule needs, sum_j dP_ij P_ij, as dO_i . O_i (the
 * identity FlashAttention uses): one pass over [.., rows, hd] instead of a product and a reduction
 * over the [.., rows, T] probabilities.
 */
function attentionCore(q: Value, kT: Value, v: Value, bias: BlockBias, G: number): Value {
  const dtype = q.dtype;
  const [B, H, hd] = [q.shape[0]!, q.shape[1]!, q.shape[3]!];
  const g = q.graph;
  const byHead = (x: Value) => op.reshape(x, [0, 0, G, -1, hd], [B, H, G, 'r', hd]);
  const flat = (x: Value) => op.reshape(x, [0, 0, -1, hd], [B, H, 'Gr', hd]);
  const halves = (x: Value) => op.apply('Split', [byHead(x), bias.sizes], { axis: 3 }, [0, 1].map(() => ({ dtype, shape: [B, H, G, 'r', hd] }))).map(flat);
  const joined = (a: Value, b: Value) => flat(op.concat([byHead(a), byHead(b)], 3));
  const firstKeys = (x: Value, axis: number) => op.apply('Slice', [x, g.ints([0]), bias.half, g.ints([axis])], {}, [{ dtype, shape: x.shape.map((d, i) => (i === axis ? 'h' : d)) }])[0]!;
  // Gradient of a first-block key tensor, zero-padded to all T keys along `axis` (of 4).
  const padKeys = (x: Value, axis: number) => {
    const pads = op.concat([g.ints(Array(4 + axis).fill(0)), bias.rest, g.ints(Array(3 - axis).fill(0))], 0);
    return op.apply('Pad', [x, pads], {}, [{ dtype, shape: x.shape.map((d, i) => (i === axis ? 'T' : d)) }])[0]!;
  };
  interface Block { q: Value; kT: Value; v: Value; probs: Value; out: Value }
  let blocks: Block[] = [];
  return op.composite(
    'Attention',
    [q, kT, v],
    () => {
      const [q1, q2] = halves(q);
      const inputs = [
        { q: q1!, kT: firstKeys(kT, 3), v: firstKeys(v, 2), bias: bias.first },
        { q: q2!, kT, v, bias: bias.second },
      ];
      blocks = inputs.map((b) => {
        const probs = op.softmax(op.add(op.matmul(b.q, b.kT), b.bias), -1);
        return { ...b, probs, out: op.matmul(probs, b.v) };
      });
      return [joined(blocks[0]!.out, blocks[1]!.out)];
    },
    ([dOut]) => {
      const dOuts = halves(dOut!);
      const grads = blocks.map((b, i) => {
        const dO = dOuts[i]!;
        const rowDot = op.reduceSum(op.mul(dO, b.out), [-1], true);
        const dScores = op.mul(b.probs, op.sub(op.matmul(dO, op.transposeLast2(b.v)), rowDot));
        return { dq: op.matmul(dScores, op.transposeLast2(b.kT)), dkT: op.matmul(op.transposeLast2(b.q), dScores), dv: op.matmul(op.transposeLast2(b.probs), dO) };
      });
      const [a, b] = grads as [(typeof grads)[0], (typeof grads)[0]];
      return [joined(a.dq, b.dq), op.add(b.dkT, padKeys(a.dkT, 3)), op.add(b.dv, padKeys(a.dv, 2))];
    },
  )[0]!;
}
