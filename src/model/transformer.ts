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

export type ParamValues = ReadonlyMap<string, Value>;

export interface DecoderInputs {
  /** Token ids [B, T], int64. */
  ids: Value;
  /** 1 for real tokens, 0 for padding [B, T], int64. Left or right padding both work. */
  mask: Value;
}

/** Per-layer attention cache: keys stored transposed [B, Hkv, hd, S] and values [B, Hkv, S, hd]. */
export interface LayerCache {
  keysT: Value;
  values: Value;
}

/**
 * Final hidden states [B*T, D] for every position. When `cache` is given it receives each layer's
 * keys and values (the prefill of generation).
 */
export function decoder(c: ModelConfig, p: ParamValues, { ids, mask }: DecoderInputs, cache?: LayerCache[]): Value {
  const embed = p.get('model.embed_tokens.weight')!;
  const g = embed.graph;
  const bt = op.shapeOf(ids); // [B, T]
  const positions = op.max(op.sub(op.cumSum(mask, 1), g.scalar(1, 'int64')), g.scalar(0, 'int64'));
  const bias = attentionBias(mask, bt, embed.dtype);
  const shapeTail = (heads: number) => op.concat([bt, g.ints([heads, c.headDim])], 0);
  return decoderLayers(c, p, ids, positions, shapeTail, ['B', 'T'], (layer, q, k, v) => {
    const out = groupedAttention(c, q, k, v, bias, bt);
    cache?.push({ keysT: out.keysT, values: out.values });
    return out.output;
  });
}

/**
 * One decoding step with a KV cache: `ids` [B, 1] at `positions` [B, 1]; `mask` [B, S+1] covers the
 * cached keys and the new token. Returns the final hidden states [B, D] and the extended caches.
 *
 * Written for the one-token case: with T = 1 the projections reshape straight to [B, heads, 1, hd]
 * (the layout of the cache and of RotaryEmbedding), keys to [B, Hkv, hd, 1] without a Transpose, and
 * the attention scale is folded into the query's cos / sin tables. Generation runs this body once per
 * token, and per-node overhead dominates small models, so every node saved counts.
 */
export function decoderStep(c: ModelConfig, p: ParamValues, ids: Value, positions: Value, mask: Value, past: LayerCache[]): { hidden: Value; cache: LayerCache[] } {
  const w = param(p);
  const embed = w('model.embed_tokens.weight');
  const g = ids.graph;
  const dtype = embed.dtype;
  const bias = op.unsqueeze(op.where(op.equal(mask, g.scalar(1, 'int64')), g.scalar(0, dtype), g.scalar(-1e9, dtype)), [1, 2]); // [B,1,1,S]
  const G = c.numHeads / c.numKvHeads;
  const hd = c.headDim;
  const rope = stepRotary(c, positions, dtype);
  const cache: LayerCache[] = [];
  let h = op.reshape(op.gather(embed, ids, 'embed'), [-1, c.hiddenSize], ['B', c.hiddenSize]);
  for (let i = 0; i < c.numLayers; i++) {
    const L = `model.layers.${i}`;
    const x = rmsNorm(h, w(`${L}.input_layernorm.weight`), c.rmsNormEps);
    const proj = (name: string, heads: number) =>
      op.reshape(op.gemm(x, w(`${L}.self_attn.${name}.weight`), c.attentionBias ? w(`${L}.self_attn.${name}.bias`) : undefined, { transB: true }, `${L}.${name}`), [-1, heads, 1, hd], ['B', heads, 1, hd]);
    let q = proj('q_proj', c.numHeads);
    let k = proj('k_proj', c.numKvHeads);
    const v = proj('v_proj', c.numKvHeads);
    if (c.qkNorm) {
      q = rmsNorm(q, w(`${L}.self_attn.q_norm.weight`), c.rmsNormEps);
      k = rmsNorm(k, w(`${L}.self_attn.k_norm.weight`), c.rmsNormEps);
    }
    q = rope.apply(q, rope.cosQ, rope.sinQ); // already scaled by 1/sqrt(hd)
    k = rope.apply(k, rope.cos, rope.sin);
    const keysT = op.concat([past[i]!.keysT, op.reshape(k, [-1, c.numKvHeads, hd, 1], ['B', c.numKvHeads, hd, 1])], 3);
    const values = op.concat([past[i]!.values, v], 2);
    cache.push({ keysT, values });
    const qg = op.reshape(q, [-1, c.numKvHeads, G, hd], ['B', c.numKvHeads, G, hd]);
    const probs = op.softmax(op.add(op.matmul(qg, keysT), bias), -1); // [B, Hkv, G, S]
    const attn = op.reshape(op.matmul(probs, values), [-1, c.numHeads * hd], ['B', c.numHeads * hd]);
    h = op.add(h, op.gemm(attn, w(`${L}.self_attn.o_proj.weight`), undefined, { transB: true }, `${L}.o_proj`));
    h = mlpBlock(c, w, L, h);
  }
  return { hidden: rmsNorm(h, w('model.norm.weight'), c.rmsNormEps), cache };
}

/** The parameter lookup, failing loudly on a missing name. */
function param(p: ParamValues): (name: string) => Value {
  return (name) => {
    const v = p.get(name);
    if (!v) throw new Error(`missing parameter ${name}`);
    return v;
  };
}

/** h + down(silu(gate(y)) * up(y)), y = RMSNorm(h): the second half of a layer. */
function mlpBlock(c: ModelConfig, w: (name: string) => Value, L: string, h: Value): Value {
  const y = rmsNorm(h, w(`${L}.post_attention_layernorm.weight`), c.rmsNormEps);
  const gate = op.gemm(y, w(`${L}.mlp.gate_proj.weight`), undefined, { transB: true }, `${L}.gate_proj`);
  const up = op.gemm(y, w(`${L}.mlp.up_proj.weight`), undefined, { transB: true }, `${L}.up_proj`);
  return op.add(h, op.gemm(swiGlu(gate, up), w(`${L}.mlp.down_proj.weight`), undefined, { transB: true }, `${L}.down_proj`));
}

/**
 * RoPE for one new token per row, on x [B, heads, 1, hd]. cos / sin are [B, 1, hd/2]: the
 * RotaryEmbedding(23) cache layout, used as is in inference-only graphs; elsewhere (float64) the same
 * rotation from primitives. cosQ / sinQ carry the attention scale 1/sqrt(hd).
 */
function stepRotary(c: ModelConfig, positions: Value, dtype: Value['dtype']) {
  const g = positions.graph;
  const half = c.headDim / 2;
  const invFreq = Array.from({ length: half }, (_, i) => 1 / Math.pow(c.ropeTheta, (2 * i) / c.headDim));
  const freqs = op.mul(op.unsqueeze(op.cast(positions, dtype), [-1]), g.constant(invFreq, dtype, [half], 'inv_freq')); // [B, 1, half]
  const cos = op.cos(freqs), sin = op.sin(freqs);
  const scale = g.scalar(1 / Math.sqrt(c.headDim), dtype);
  const R = g.isInferenceOnly() ? undefined : rotateHalfMatrix(c, g, dtype);
  const apply = (x: Value, cosHalf: Value, sinHalf: Value): Value => {
    if (!R) return op.apply('RotaryEmbedding', [x, cosHalf, sinHalf], {}, [{ dtype: x.dtype, shape: x.shape }])[0]!;
    const full = (t: Value) => op.unsqueeze(op.concat([t, t], -1), [1]); // [B, 1, 1, hd]
    const rotated = op.matmul(x, R);
    return op.add(op.mul(x, full(cosHalf)), op.mul(rotated, full(sinHalf)));
  };
  return { cos, sin, cosQ: op.mul(cos, scale), sinQ: op.mul(sin, scale), apply };
}

type Attend = (layer: number, q: Value, k: Value, v: Value) => Value;

/** Embedding, the layers (with `attend` supplying attention over [B, T, H, hd] q/k/v) and the final norm. */
function decoderLayers(c: ModelConfig, p: ParamValues, ids: Value, positions: Value, shapeTail: (heads: number) => Value, bt: [string, string | number], attend: Attend): Value {
  const w = param(p);
  const embed = w('model.embed_tokens.weight');
  const rope = rotaryTables(c, positions, embed.dtype);
  let h = op.reshape(op.gather(embed, ids, 'embed'), [-1, c.hiddenSize], ['N', c.hiddenSize]);
  for (let i = 0; i < c.numLayers; i++) {
    const L = `model.layers.${i}`;
    const x = rmsNorm(h, w(`${L}.input_layernorm.weight`), c.rmsNormEps);
    const proj = (name: string) => op.gemm(x, w(`${L}.self_attn.${name}.weight`), c.attentionBias ? w(`${L}.self_attn.${name}.bias`) : undefined, { transB: true }, `${L}.${name}`);
    let q = op.reshape(proj('q_proj'), shapeTail(c.numHeads), [...bt, c.numHeads, c.headDim]);
    let k = op.reshape(proj('k_proj'), shapeTail(c.numKvHeads), [...bt, c.numKvHeads, c.headDim]);
    const v = op.reshape(proj('v_proj'), shapeTail(c.numKvHeads), [...bt, c.numKvHeads, c.headDim]);
    if (c.qkNorm) {
      q = rmsNorm(q, w(`${L}.self_attn.q_norm.weight`), c.rmsNormEps);
      k = rmsNorm(k, w(`${L}.self_attn.k_norm.weight`), c.rmsNormEps);
    }
    const attn = attend(i, applyRotary(q, rope), applyRotary(k, rope), v);
    h = op.add(h, op.gemm(attn, w(`${L}.self_attn.o_proj.weight`), undefined, { transB: true }, `${L}.o_proj`));
    h = mlpBlock(c, w, L, h);
  }
  return rmsNorm(h, w('model.norm.weight'), c.rmsNormEps);
}

/** The output projection: the tied embedding or lm_head. */
export function lmHeadWeight(c: ModelConfig, p: ParamValues): Value {
  return p.get(c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight')!;
}

/**
 * RMSNorm over the last axis: x / sqrt(mean(x^2) + eps) * weight. In an inference-only graph it is the
 * one RMSNormalization(23) node (seven fewer nodes per norm: generation is bound by per-node overhead).
 */
export function rmsNorm(x: Value, weight: Value, eps: number): Value {
  if (x.graph.isInferenceOnly()) {
    return op.apply('RMSNormalization', [x, weight], { axis: -1, epsilon: { float: eps } }, [{ dtype: x.dtype, shape: x.shape }])[0]!;
  }
  let inv!: Value, xhat!: Value;
  const leading = Array.from({ length: x.shape.length - 1 }, (_, i) => i);
  return op.composite(
    'RMSNorm',
    [x, weight],
    () => {
      const meanSquare = op.reduceMean(op.mul(x, x), [-1], true);
      inv = op.reciprocal(op.sqrt(op.add(meanSquare, x.graph.scalar(eps, x.dtype))));
      xhat = op.mul(x, inv);
      return [op.mul(xhat, weight)];
    },
    // dx = r (gw - xhat mean(gw xhat)) with gw = dy w, r = 1/rms;  dw = sum over rows of dy xhat.
    ([dy]) => {
      const gw = op.mul(dy!, weight);
      const proj = op.reduceMean(op.mul(gw, xhat), [-1], true);
      const dx = op.mul(op.sub(gw, op.mul(xhat, proj)), inv);
      return [dx, op.reduceSum(op.mul(dy!, xhat), leading, false)];
    },
  )[0]!;
}

interface RotaryTables {
  cos: Value; // [B, T, 1, headDim]
  sin: Value;
  /** rotate_half as a [headDim, headDim] matrix: x @ R = [-x2, x1]. One MatMul instead of Split/Neg/Concat. */
  rotateHalf: Value;
}

/** cos/sin of position * inv_freq for int64 positions [B, T] (counted over real tokens, so padding side does not matter). */
function rotaryTables(c: ModelConfig, positions: Value, dtype: Value['dtype']): RotaryTables {
  const g = positions.graph;
  const half = c.headDim / 2;
  const invFreq = Array.from({ length: half }, (_, i) => 1 / Math.pow(c.ropeTheta, (2 * i) / c.headDim));
  const freqs = op.mul(op.unsqueeze(op.cast(positions, dtype), [-1]), g.constant(invFreq, dtype, [half], 'inv_freq'));
  const emb = op.unsqueeze(op.concat([freqs, freqs], -1), [2]);
  return { cos: op.cos(emb), sin: op.sin(emb), rotateHalf: rotateHalfMatrix(c, emb.graph, dtype) };
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

/** Additive mask [B, 1, 1, T, T]: 0 where query i may attend key j (j <= i, key not padding), else -1e9. */
function attentionBias(mask: Value, bt: Value, dtype: Value['dtype']): Value {
  const g = mask.graph;
  const t = op.element(bt, 1);
  const idx = op.range(g.constant([0n], 'int64', [], 'zero'), t, g.constant([1n], 'int64', [], 'one'), 'T');
  const causal = op.lessOrEqual(op.unsqueeze(idx, [0]), op.unsqueeze(idx, [1])); // [T(query), T(key)]
  const keyValid = op.unsqueeze(op.equal(mask, g.scalar(1, 'int64')), [1, 2, 3]); // [B, 1, 1, 1, T]
  const allowed = op.and(causal, keyValid);
  return op.where(allowed, g.scalar(0, dtype), g.scalar(-1e9, dtype));
}

/**
 * Grouped-query attention without repeating K/V: the G = numHeads / numKvHeads query heads that share
 * a KV head are stacked along the query axis, so one batched MatMul per KV head serves them all.
 * q: [B, T, Hq, hd], k, v: [B, T, Hkv, hd] -> [B*T, Hq*hd].
 */
function groupedAttention(c: ModelConfig, q: Value, k: Value, v: Value, bias: Value, bt: Value): { output: Value; keysT: Value; values: Value } {
  const g = q.graph;
  const G = c.numHeads / c.numKvHeads;
  const hd = c.headDim;
  const batch = op.slice(bt, 0, 0, 1), time = op.slice(bt, 0, 1, 2);
  const scores5d = op.concat([batch, g.ints([c.numKvHeads, G]), time, time], 0); // [B, Hkv, G, T, T]
  const scale = g.scalar(1 / Math.sqrt(hd), q.dtype);
  const q5 = op.reshape(op.mul(q, scale), [0, 0, c.numKvHeads, G, hd], ['B', 'T', c.numKvHeads, G, hd]);
  const qg = op.reshape(op.transpose(q5, [0, 2, 3, 1, 4]), [0, 0, -1, hd], ['B', c.numKvHeads, 'GT', hd]);
  const kT = op.transpose(k, [0, 2, 3, 1]); // [B, Hkv, hd, T]
  const vt = op.transpose(v, [0, 2, 1, 3]); // [B, Hkv, T, hd]
  const scores = op.reshape(op.matmul(qg, kT), scores5d, ['B', c.numKvHeads, G, 'T', 'T']);
  const probs = op.reshape(op.softmax(op.add(scores, bias), -1), [0, 0, -1, 0], ['B', c.numKvHeads, 'GT', 'T']);
  const out = op.reshape(op.matmul(probs, vt), [0, 0, G, -1, hd], ['B', c.numKvHeads, G, 'T', hd]);
  return { output: op.reshape(op.transpose(out, [0, 3, 1, 2, 4]), [-1, c.numHeads * hd], ['N', c.numHeads * hd]), keysT: kT, values: vt };
}
