/**
 * The kernels table: each row implements the transformer's blocks (the interface `Kernels`), and a
 * graph picks one row, as modeling_qwen3.py picks its attention function from ALL_ATTENTION_FUNCTIONS.
 *
 *   reference  the maths of transformer.ts as written, differentiated by the generic op rules: the
 *              readable definition the other rows are tested against (test/model/kernels.test.ts).
 *   fast       composites with hand-written backward passes (RMSNorm, SwiGLU, a two-block causal
 *              attention, and in float32 RoPE as RotaryEmbedding both ways and RMSNorm's forward as one
 *              SimplifiedLayerNormalization) and a three-level cache attention for decoding. The
 *              default of graphs that are differentiated or float64.
 *   fused      fast, with onnxruntime's fused RMSNormalization and RotaryEmbedding: fewer nodes where
 *              per-node overhead dominates (generation). Only for float32 graphs that are never
 *              differentiated (those ops have no gradient rule); their default.
 */
import type { Dim, DType, Graph, Value } from '../onnx/graph.js';
import * as op from '../onnx/ops.js';
import type { ModelConfig } from './config.js';
import { ropeFrequencies } from './rope.js';
import {
  applyRotary,
  attention,
  causalBias,
  inverseRms,
  keyBias,
  paddingBias,
  rmsNorm,
  ropeAngles,
  rotary,
  rotateHalfMatrix,
  swiGlu,
  type LayerCache,
  type Rotary,
  type StepCache,
} from './transformer.js';

/** The per-layer attention a row prepares; shapes at Kernels.causalAttention and Kernels.cachedAttention. */
export type CausalAttention = (q: Value, kT: Value, v: Value) => Value;
export type CachedAttention = (q: Value, prompt: LayerCache, long: LayerCache, recent: LayerCache) => Value;
/** Keys transposed [B, Hkv, hd, S] and values [B, Hkv, S, hd]. */
export interface KeysValues {
  keysT: Value;
  values: Value;
}
export type ContinuationAttention = (q: Value, prefix: KeysValues, own: KeysValues) => Value;

export interface Kernels {
  /** x / sqrt(mean(x^2) + eps) * weight over the last axis. */
  rmsNorm(x: Value, weight: Value, eps: number): Value;
  /** silu(gate) * up. */
  swiGlu(gate: Value, up: Value): Value;
  /**
   * Causal self-attention of whole sequences, prepared once per graph from the padding mask [B, T]
   * and its shape. The function it returns serves every layer: q [B, Hkv, G*T, hd] (the G query heads
   * of a KV head stacked head-major), kT [B, Hkv, hd, T], v [B, Hkv, T, hd] -> [B, Hkv, G*T, hd].
   */
  causalAttention(mask: Value, shape: Value, groups: number, dtype: DType): CausalAttention;
  /**
   * RoPE of whole sequences: positions [B, T] (int64), x [B, T, heads, hd]; the query's rotation
   * carries the attention scale 1/sqrt(hd) (transformer.ts rotary).
   */
  rotary(c: ModelConfig, positions: Value, dtype: DType): Rotary;
  /** RoPE of a decode step, one token per row: positions [B, 1], x [B, heads, 1, hd]. */
  stepRotary(c: ModelConfig, positions: Value, dtype: DType): Rotary;
  /**
   * A decode step's attention against the three-level cache (transformer.ts StepCache), prepared once
   * per step from the cache's biases and layout and the recent level's mask [BM, s+1]. The function it
   * returns serves every layer: q [P, Hkv, M, G, hd] and the layer's three levels -> [P, Hkv, M, G, hd].
   */
  cachedAttention(cache: StepCache, recentMask: Value): CachedAttention;
  /**
   * The attention of continuation rows in a shared-prefix batch (transformer.ts sharedPrefixDecoder):
   * each query attends to its prefix row's keys (all of them but padding) and causally to its own
   * row's. Prepared once per graph from the mask of each row's prefix [B, P], the continuation's mask
   * [B, T] and its shape; the function it returns serves every layer: q [B, Hkv, G*T, hd], the
   * prefix's keys and values gathered per row (S = P) and the row's own (S = T) -> [B, Hkv, G*T, hd].
   */
  continuationAttention(
    prefixMask: Value,
    mask: Value,
    shape: Value,
    groups: number,
    dtype: DType,
  ): ContinuationAttention;
}

const reference: Kernels = {
  rmsNorm,
  swiGlu,
  causalAttention(mask, shape, groups, dtype) {
    const length = op.element(shape, 1);
    const keyPadding = op.unsqueeze(paddingBias(mask, dtype), [1, 2]);
    const bias = causalBias([mask.graph.constant([0n], 'int64', [], 'zero'), length], length, keyPadding, groups);
    return (q, kT, v) => attention(q, kT, v, bias);
  },
  rotary,
  stepRotary: rotary,
  cachedAttention(cache, recentMask) {
    const L = cache.layout;
    const bias = op.concat([cache.promptBias, cache.longBias, keyBias(recentMask, L, cache.longBias.dtype)], 4);
    // The prompt's keys and values repeated for each of its rows, joined with the rows' own.
    const perRow = (x: Value) => {
      const [P, H, a, b] = x.shape;
      return op.expand(op.unsqueeze(x, [2]), L.perRow, [P!, H!, 'M', a!, b!]);
    };
    return (q, prompt, long, recent) => {
      const keysT = op.concat([perRow(prompt.keysT), long.keysT, recent.keysT], 4);
      return attention(q, keysT, op.concat([perRow(prompt.values), long.values, recent.values], 3), bias);
    };
  },
  continuationAttention(prefixMask, mask, shape, groups, dtype) {
    const { prefix, own } = continuationBias(prefixMask, mask, shape, groups, dtype);
    // The prefix's bias repeated over the query rows, to join the own block's [B, 1, G*T, T].
    const rows = op.concat([op.slice(op.shapeOf(own), 0, 0, 3), mask.graph.ints([1])], 0);
    const bias = op.concat([op.expand(prefix, rows, ['B', 1, 'G*T', 'P']), own], 3);
    return (q, pre, self) => {
      const keysT = op.concat([pre.keysT, self.keysT], 3);
      return attention(q, keysT, op.concat([pre.values, self.values], 2), bias);
    };
  },
};

const fast: Kernels = {
  rmsNorm: rmsNormComposite,
  swiGlu: swiGluComposite,
  causalAttention: twoBlockCausalAttention,
  rotary: embeddingRotary,
  stepRotary: halfTableRotary,
  cachedAttention: threeLevelCacheAttention,
  continuationAttention: twoSourceAttention,
};

const fused: Kernels = { ...fast, rmsNorm: fusedRmsNorm, stepRotary: fusedStepRotary };

export const KERNELS = { reference, fast, fused } as const;
export type KernelsName = keyof typeof KERNELS;

/** The row a graph of `dtype` uses by default: fused where it may, else fast. */
export function defaultKernels(g: Graph, dtype: DType): KernelsName {
  return fusedAllowed(g, dtype) ? 'fused' : 'fast';
}

/** The row `name` for graph `g` (the default when undefined); fused only where it may be used. */
export function kernelsFor(g: Graph, dtype: DType, name: KernelsName = defaultKernels(g, dtype)): Kernels {
  if (name === 'fused' && !fusedAllowed(g, dtype)) {
    throw new Error(`kernels: fused needs a float32 graph that is never differentiated; graph ${g.name} is ${dtype}`);
  }
  return KERNELS[name];
}

/**
 * Whether onnxruntime's fused ops (RMSNormalization, SimplifiedLayerNormalization, RotaryEmbedding) serve
 * graphs of `dtype`: their CPU kernels cover float32 (RotaryEmbedding has no float64 kernel, and
 * SimplifiedLayerNormalization returns its inverse RMS in float32 whatever its input).
 */
function fusedOpsCover(dtype: DType): boolean {
  return dtype === 'float32';
}

/** The fused row also needs a graph that is never differentiated: RMSNormalization has no gradient rule. */
function fusedAllowed(g: Graph, dtype: DType): boolean {
  return fusedOpsCover(dtype) && g.isInferenceOnly();
}

// ---------------------------------------------------------------- fast: hand-written backward passes

/** RMSNorm whose backward takes the row means of its rule in one matrix-vector product. */
function rmsNormComposite(x: Value, weight: Value, eps: number): Value {
  const g = x.graph;
  const D = x.shape[x.shape.length - 1] as number;
  const leading = Array.from({ length: x.shape.length - 1 }, (_, i) => i);
  return op.composite(
    'RMSNorm',
    [x, weight],
    () => {
      if (fusedOpsCover(x.dtype)) {
        const { y, inv } = normalizedWithInverse(x, weight, eps);
        return { outputs: [y], saved: { inv, xhat: op.mul(x, inv) } };
      }
      const inv = inverseRms(x, eps);
      const xhat = op.mul(x, inv);
      return { outputs: [op.mul(xhat, weight)], saved: { inv, xhat } };
    },
    // dx = inv (dy w - xhat mean(dy w xhat)); dw = sum over rows of dy xhat. The row means are one
    // matrix-vector product of p = dy xhat with w / D, so p serves both.
    ([dy], { inv, xhat }) => {
      const p = op.mul(dy!, xhat);
      const rowMean = op.matmul(p, op.reshape(op.mul(weight, g.scalar(1 / D, x.dtype)), [D, 1], [D, 1]));
      const dx = op.mul(op.sub(op.mul(dy!, weight), op.mul(xhat, rowMean)), inv);
      return [dx, op.reduceSum(p, leading, false)];
    },
  )[0]!;
}

/**
 * x / sqrt(mean(x^2) + eps) * weight and the inverse RMS [.., 1] from one SimplifiedLayerNormalization
 * node (onnxruntime's, in the default domain), where the composite's own forward takes seven.
 */
function normalizedWithInverse(x: Value, weight: Value, eps: number): { y: Value; inv: Value } {
  const rows = x.shape.map((d, i) => (i === x.shape.length - 1 ? 1 : d));
  const outs = [
    { dtype: x.dtype, shape: x.shape },
    { dtype: x.dtype, shape: rows },
  ];
  const [y, inv] = op.apply('SimplifiedLayerNormalization', [x, weight], { axis: -1, epsilon: { float: eps } }, outs);
  return { y: y!, inv: inv! };
}

/** silu(gate) * up with d gate = dy up (s + a - a s), d up = dy a, for s = sigmoid(gate), a = gate s. */
function swiGluComposite(gate: Value, up: Value): Value {
  return op.composite(
    'SwiGLU',
    [gate, up],
    () => {
      const s = op.sigmoid(gate);
      const a = op.mul(gate, s);
      return { outputs: [op.mul(a, up)], saved: { s, a } };
    },
    ([dy], { s, a }) => {
      const t = op.mul(dy!, up);
      return [op.mul(t, op.add(s, op.sub(a, op.mul(a, s)))), op.mul(dy!, a)];
    },
  )[0]!;
}

/**
 * The masks of twoBlockAttention's blocks: queries [0, half) against keys [0, half), and queries
 * [half, T) against all keys, with half = floor(T / 2).
 */
interface TwoBlockBias {
  /** half and T - half, each int64 [1], and both as [2]. */
  half: Value;
  rest: Value;
  sizes: Value;
  /** [B, 1, G*half, half] and [B, 1, G*(T-half), T]. */
  first: Value;
  second: Value;
}

function twoBlockCausalAttention(mask: Value, shape: Value, groups: number, dtype: DType): CausalAttention {
  const g = mask.graph;
  const length = op.element(shape, 1);
  const halfLength = op.div(length, g.constant([2n], 'int64', [], 'two'));
  const half = op.unsqueeze(halfLength, [0]);
  const keyPadding = op.unsqueeze(paddingBias(mask, dtype), [1, 2]); // [B, 1, 1, T]
  const firstKeys = [keyPadding, g.ints([0]), half, g.ints([3])];
  const firstKeyPadding = op.apply('Slice', firstKeys, {}, [{ dtype, shape: ['B', 1, 1, 'half'] }])[0]!;
  const rest = op.sub(op.unsqueeze(length, [0]), half);
  const sizes = op.concat([half, rest], 0);
  const zero = g.constant([0n], 'int64', [], 'zero');
  const first = causalBias([zero, halfLength], halfLength, firstKeyPadding, groups);
  const second = causalBias([halfLength, length], length, keyPadding, groups);
  const bias: TwoBlockBias = { half, rest, sizes, first, second };
  return (q, kT, v) => twoBlockAttention(q, kT, v, bias, groups);
}

/** One block's softmax(q kT + bias) v, with what its backward reads. */
interface AttentionBlock {
  q: Value;
  kT: Value;
  v: Value;
  probs: Value;
  out: Value;
}

/**
 * Causal attention in two blocks: the first half of the queries attends only the first half of the
 * keys, which skips the masked upper-right quarter of the T x T scores (a quarter of the work).
 */
function twoBlockAttention(q: Value, kT: Value, v: Value, bias: TwoBlockBias, groups: number): Value {
  const dtype = q.dtype;
  const [B, H, hd] = [q.shape[0]!, q.shape[1]!, q.shape[3]!];
  const g = q.graph;
  const byHead = (x: Value) => op.reshape(x, [0, 0, groups, -1, hd], [B, H, groups, 'queries', hd]);
  const stacked = (x: Value) => op.reshape(x, [0, 0, -1, hd], [B, H, 'G*queries', hd]);
  // The query rows [B, H, G*T, hd] as the two blocks' rows [B, H, G*rows, hd], and back.
  const split = (x: Value) => {
    const outs = [0, 1].map(() => ({ dtype, shape: [B, H, groups, 'queries', hd] }));
    return op.apply('Split', [byHead(x), bias.sizes], { axis: 3 }, outs).map(stacked) as [Value, Value];
  };
  const join = (a: Value, b: Value) => stacked(op.concat([byHead(a), byHead(b)], 3));
  const firstKeys = (x: Value, axis: number) => {
    const shape = x.shape.map((d, i) => (i === axis ? 'half' : d));
    return op.apply('Slice', [x, g.ints([0]), bias.half, g.ints([axis])], {}, [{ dtype, shape }])[0]!;
  };
  // The gradient of a first-block key tensor, zero-padded to all T keys along `axis` (of 4).
  const padKeys = (x: Value, axis: number) => {
    const pads = op.concat([g.ints(Array(4 + axis).fill(0)), bias.rest, g.ints(Array(3 - axis).fill(0))], 0);
    return op.apply('Pad', [x, pads], {}, [{ dtype, shape: x.shape.map((d, i) => (i === axis ? 'T' : d)) }])[0]!;
  };
  return op.composite(
    'Attention',
    [q, kT, v],
    () => {
      const [q1, q2] = split(q);
      const inputs = [
        { q: q1, kT: firstKeys(kT, 3), v: firstKeys(v, 2), bias: bias.first },
        { q: q2, kT, v, bias: bias.second },
      ];
      const blocks = inputs.map((b): AttentionBlock => {
        const probs = op.softmax(op.add(op.matmul(b.q, b.kT), b.bias), -1);
        return { q: b.q, kT: b.kT, v: b.v, probs, out: op.matmul(probs, b.v) };
      });
      return { outputs: [join(blocks[0]!.out, blocks[1]!.out)], saved: blocks };
    },
    ([dOut], blocks) => {
      const dOuts = split(dOut!);
      const [a, b] = blocks.map((block, i) => blockGradients(block, dOuts[i]!));
      return [join(a!.dq, b!.dq), op.add(b!.dkT, padKeys(a!.dkT, 3)), op.add(b!.dv, padKeys(a!.dv, 2))];
    },
  )[0]!;
}

/**
 * The gradients of one block's q, kT and v from that of its output. Softmax's rule needs the row sums
 * sum_j dP_ij P_ij; they are dO_i . O_i (the identity FlashAttention uses): one pass over
 * [.., rows, hd] instead of a product and a reduction over the [.., rows, T] probabilities.
 */
function blockGradients(
  b: AttentionBlock,
  dOut: Value,
  rowDot = op.reduceSum(op.mul(dOut, b.out), [-1], true),
): { dq: Value; dkT: Value; dv: Value } {
  const dScores = op.mul(b.probs, op.sub(op.matmul(dOut, op.transposeLast2(b.v)), rowDot));
  const dq = op.matmul(dScores, op.transposeLast2(b.kT));
  const dkT = op.matmul(op.transposeLast2(b.q), dScores);
  return { dq, dkT, dv: op.matmul(op.transposeLast2(b.probs), dOut) };
}

// ---------------------------------------------------------------- shared prefix

/**
 * The additive biases of continuation attention: against the row's prefix keys [B, 1, 1, P] (0, or
 * -1e9 on padding) and against its own keys [B, 1, G*T, T] (causal and padding).
 */
function continuationBias(
  prefixMask: Value,
  mask: Value,
  shape: Value,
  groups: number,
  dtype: DType,
): { prefix: Value; own: Value } {
  const length = op.element(shape, 1);
  const zero = mask.graph.constant([0n], 'int64', [], 'zero');
  const keyPadding = op.unsqueeze(paddingBias(mask, dtype), [1, 2]); // [B, 1, 1, T]
  return {
    prefix: op.unsqueeze(paddingBias(prefixMask, dtype), [1, 2]),
    own: causalBias([zero, length], length, keyPadding, groups),
  };
}

/**
 * Continuation attention over two key sources without joining them: the scores against the prefix
 * and against the row's own keys are concatenated for one softmax, then split for the two value
 * products; the backward is blockGradients' over both blocks (dO . O is the row sum of both).
 */
function twoSourceAttention(
  prefixMask: Value,
  mask: Value,
  shape: Value,
  groups: number,
  dtype: DType,
): ContinuationAttention {
  const bias = continuationBias(prefixMask, mask, shape, groups, dtype);
  const lastDim = (x: Value) => op.apply('Shape', [x], { start: 1, end: 2 }, [{ dtype: 'int64', shape: [1] }])[0]!;
  const sizes = op.concat([lastDim(prefixMask), lastDim(mask)], 0);
  return (q, prefix, own) => {
    const rows = q.shape.slice(0, 3);
    return op.composite(
      'PrefixAttention',
      [q, prefix.keysT, prefix.values, own.keysT, own.values],
      () => {
        const scores = op.concat(
          [op.add(op.matmul(q, prefix.keysT), bias.prefix), op.add(op.matmul(q, own.keysT), bias.own)],
          3,
        ); // [B, Hkv, G*T, P + T]
        const probs = op.softmax(scores, -1);
        const outs = [
          { dtype, shape: [...rows, 'P'] },
          { dtype, shape: [...rows, 'T'] },
        ];
        const [probsPrefix, probsOwn] = op.apply('Split', [probs, sizes], { axis: 3 }, outs);
        const out = op.add(op.matmul(probsPrefix!, prefix.values), op.matmul(probsOwn!, own.values));
        const blocks: AttentionBlock[] = [
          { q, kT: prefix.keysT, v: prefix.values, probs: probsPrefix!, out },
          { q, kT: own.keysT, v: own.values, probs: probsOwn!, out },
        ];
        return { outputs: [out], saved: blocks };
      },
      ([dOut], blocks) => {
        // One row sum dO . O for both blocks: O is their joint output.
        const rowDot = op.reduceSum(op.mul(dOut!, blocks[0]!.out), [-1], true);
        const [a, b] = blocks.map((block) => blockGradients(block, dOut!, rowDot));
        return [op.add(a!.dq, b!.dq), a!.dkT, a!.dv, b!.dkT, b!.dv];
      },
    )[0]!;
  };
}

// ---------------------------------------------------------------- fast: decoding

/**
 * Attention against the three cache levels without joining them: the M rows of a prompt attend to its
 * keys in one matrix-matrix product per (prompt, KV head), [P, Hkv, M*G, hd] x [P, Hkv, hd, Tp]; the
 * scores against each level are concatenated for one softmax, then split for the three value products.
 * Joining the levels would copy the cache every step.
 */
function threeLevelCacheAttention(cache: StepCache, recentMask: Value): CachedAttention {
  const L = cache.layout;
  const dtype = cache.longBias.dtype;
  const recentBias = keyBias(recentMask, L, dtype);
  const bias = op.concat([cache.promptBias, cache.longBias, recentBias], 4);
  const lastDim = (x: Value) => op.apply('Shape', [x], { start: 4 }, [{ dtype: 'int64', shape: [1] }])[0]!;
  const sizes = op.concat([L.promptLength, lastDim(cache.longBias), lastDim(recentBias)], 0);
  return (q, prompt, long, recent) => {
    const [P, H, M, G, hd] = q.shape as [Dim, Dim, Dim, number, number];
    const byPrompt = op.reshape(q, [0, 0, -1, hd], [P, H, 'M*G', hd]);
    const promptScores = op.reshape(op.matmul(byPrompt, prompt.keysT), L.promptScores, [P, H, M, G, 'Tp']);
    const scores = op.concat([promptScores, op.matmul(q, long.keysT), op.matmul(q, recent.keysT)], 4);
    const probs = op.softmax(op.add(scores, bias), -1); // [P, Hkv, M, G, Tp + S + s+1]
    const rows = q.shape.slice(0, 4);
    const outs = ['Tp', 'S', 's'].map((n) => ({ dtype, shape: [...rows, n] }));
    const [probsPrompt, probsLong, probsRecent] = op.apply('Split', [probs, sizes], { axis: 4 }, outs);
    const promptRows = op.reshape(probsPrompt!, L.promptProbs, [P, H, 'M*G', 'Tp']);
    const fromPrompt = op.reshape(op.matmul(promptRows, prompt.values), [0, 0, -1, G, hd], q.shape);
    const parts = [fromPrompt, op.matmul(probsLong!, long.values), op.matmul(probsRecent!, recent.values)];
    return op.apply('Sum', parts, {}, [{ dtype, shape: q.shape }])[0]!;
  };
}

/**
 * cos / sin of a decode step's angles [B, 1, hd/2], RotaryEmbedding(23)'s cache layout; the query's
 * carry the attention scale 1/sqrt(hd).
 */
function halfAngleTables(c: ModelConfig, positions: Value, dtype: DType): { query: HalfTables; key: HalfTables } {
  const g = positions.graph;
  const angles = ropeAngles(c, positions, dtype);
  const { attentionFactor } = ropeFrequencies(c);
  let cos = op.cos(angles),
    sin = op.sin(angles);
  const scale = g.scalar(1 / Math.sqrt(c.headDim), dtype);
  if (attentionFactor !== 1) {
    [cos, sin] = [op.mul(cos, g.scalar(attentionFactor, dtype)), op.mul(sin, g.scalar(attentionFactor, dtype))];
  }
  return { query: { cos: op.mul(cos, scale), sin: op.mul(sin, scale) }, key: { cos, sin } };
}

interface HalfTables {
  cos: Value;
  sin: Value;
}

/** The step's RoPE from half tables widened to [B, 1, 1, hd]: float64 graphs, which RotaryEmbedding does not cover. */
function halfTableRotary(c: ModelConfig, positions: Value, dtype: DType): Rotary {
  const tables = halfAngleTables(c, positions, dtype);
  const rotateHalf = rotateHalfMatrix(c, positions.graph, dtype);
  const widen = (t: Value) => op.unsqueeze(op.concat([t, t], -1), [1]);
  const rotation = ({ cos, sin }: HalfTables) => {
    const full = { cos: widen(cos), sin: widen(sin), rotateHalf };
    return (x: Value) => applyRotary(x, full);
  };
  return { query: rotation(tables.query), key: rotation(tables.key) };
}

/**
 * RoPE of whole sequences as one RotaryEmbedding(23) node over [B, T, heads * hd], whose backward is
 * the inverse rotation, the same node with sin negated. Graphs the op does not cover take transformer.ts
 * rotary.
 */
function embeddingRotary(c: ModelConfig, positions: Value, dtype: DType): Rotary {
  if (!fusedOpsCover(dtype)) return rotary(c, positions, dtype);
  const tables = halfAngleTables(c, positions, dtype); // [B, T, hd/2]
  const rotation = ({ cos, sin }: HalfTables) => {
    let negSin: Value | undefined; // made once, by the first backward that needs it
    const inverse = () => {
      negSin ??= op.neg(sin);
      return negSin;
    };
    const rotate = (x: Value, s: Value) => {
      const [B, T, H, hd] = x.shape as [Dim, Dim, number, number];
      const flat = op.reshape(x, [0, 0, H * hd], [B, T, H * hd]);
      const out = op.apply('RotaryEmbedding', [flat, cos, s], { num_heads: H }, [{ dtype, shape: flat.shape }])[0]!;
      return op.reshape(out, [0, 0, H, hd], x.shape);
    };
    return (x: Value) =>
      op.composite(
        'Rotary',
        [x],
        () => ({ outputs: [rotate(x, sin)], saved: undefined }),
        ([dy]) => [rotate(dy!, inverse())],
      )[0]!;
  };
  return { query: rotation(tables.query), key: rotation(tables.key) };
}

// ---------------------------------------------------------------- fused: onnxruntime's inference ops

/** RMSNorm as the one RMSNormalization(23) node (seven fewer nodes per norm). */
function fusedRmsNorm(x: Value, weight: Value, eps: number): Value {
  const attrs = { axis: -1, epsilon: { float: eps } };
  return op.apply('RMSNormalization', [x, weight], attrs, [{ dtype: x.dtype, shape: x.shape }])[0]!;
}

/** The step's RoPE as RotaryEmbedding(23) nodes over the half tables. */
function fusedStepRotary(c: ModelConfig, positions: Value, dtype: DType): Rotary {
  const tables = halfAngleTables(c, positions, dtype);
  const rotation =
    ({ cos, sin }: HalfTables) =>
    (x: Value) =>
      op.apply('RotaryEmbedding', [x, cos, sin], {}, [{ dtype: x.dtype, shape: x.shape }])[0]!;
  return { query: rotation(tables.query), key: rotation(tables.key) };
}
