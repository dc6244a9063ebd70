/**
 * Independent float64 reference of the Hugging Face transformers decoder forward pass
 * (Qwen3ForCausalLM / Qwen2ForCausalLM / LlamaForCausalLM, eager attention, one unpadded sequence,
 * no KV cache), with RoPE of rope_type default, linear, dynamic, yarn or llama3.
 *
 * Written from the HF modeling code (modeling_qwen3.py, modeling_qwen2.py, modeling_llama.py),
 * deliberately NOT from the project's graph builder, so it can serve as a test oracle.
 * Plain loops, float64 throughout; readability over speed (test sizes are tiny).
 *
 * Conventions followed (HF names):
 * - RMSNorm: y = weight * (x * rsqrt(mean(x^2) + eps))                       (Qwen3RMSNorm.forward)
 * - Linear: y = x W^T (+ b), W stored [out, in] row-major                     (nn.Linear)
 * - Decoder layer (pre-norm): h += attn(input_layernorm(h)); h += mlp(post_attention_layernorm(h))
 * - Qwen3 q_norm / k_norm: RMSNorm over head_dim, per head, BEFORE RoPE       (Qwen3Attention.forward)
 * - RoPE: inv_freq[i] = 1 / theta^(2i/d), i < d/2; emb = cat(freqs, freqs);
 *   x' = x*cos + rotate_half(x)*sin with rotate_half(x) = cat(-x2, x1)      (apply_rotary_pos_emb)
 * - RoPE scaling: inv_freq and attention_scaling (a factor on cos and sin) from config.rope_scaling
 *   as modeling_rope_utils.py's ROPE_INIT_FUNCTIONS compute them; dynamic NTK with
 *   seq_len = max(position_ids) + 1                                          (dynamic_rope_update)
 * - Attention: softmax(q k^T * head_dim^-0.5 + causal mask) v; query head h reads kv head
 *   floor(h / (numHeads / numKvHeads))                                       (repeat_kv, eager_attention_forward)
 * - MLP: down(silu(gate(x)) * up(x))                                         (Qwen3MLP.forward)
 * - Final model.norm, then lm_head (= embed_tokens when tie_word_embeddings)
 * - Biases: q/k/v biases when attentionBias (Qwen2 always has them). o_proj.bias (Qwen3/Llama with
 *   attention_bias=True) and mlp.*_proj.bias (Llama mlp_bias=True) are applied when present in the map.
 *
 * Differences from HF that are intentional: everything is float64 (HF computes inv_freq/cos/sin in
 * float32 and RMSNorm in float32 before casting back), so expect agreement to float32 round-off only.
 */

export interface RefConfig {
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  tieWordEmbeddings: boolean;
  /** q/k/v projection biases (Qwen2). */
  attentionBias: boolean;
  /** per-head RMSNorm of q and k over head_dim before RoPE (Qwen3). */
  qkNorm: boolean;
  /** config.json's max_position_embeddings (dynamic and yarn RoPE read it). */
  maxPositionEmbeddings?: number;
  /** config.json's rope_scaling, as written there (HF key names); absent or null: default RoPE. */
  rope_scaling?: Record<string, unknown> | null;
}

type Weights = ReadonlyMap<string, ArrayLike<number>>;

function need(weights: Weights, name: string, expectedLength: number): ArrayLike<number> {
  const w = weights.get(name);
  if (w === undefined) throw new Error(`reference-decoder: missing weight ${name}`);
  if (w.length !== expectedLength) {
    throw new Error(`reference-decoder: weight ${name} has ${w.length} elements, expected ${expectedLength}`);
  }
  return w;
}

function optional(weights: Weights, name: string, expectedLength: number): ArrayLike<number> | undefined {
  return weights.has(name) ? need(weights, name, expectedLength) : undefined;
}

/** y[o] = sum_i x[i] * W[o, i] (+ b[o]); W is [outDim, inDim] row-major (nn.Linear layout). */
function linear(
  x: Float64Array,
  w: ArrayLike<number>,
  outDim: number,
  inDim: number,
  b?: ArrayLike<number>,
): Float64Array {
  const y = new Float64Array(outDim);
  for (let o = 0; o < outDim; o++) {
    let s = 0;
    const row = o * inDim;
    for (let i = 0; i < inDim; i++) s += x[i]! * w[row + i]!;
    y[o] = b === undefined ? s : s + b[o]!;
  }
  return y;
}

/** RMSNorm of x[offset .. offset+n) in place-free form: returns weight * x / sqrt(mean(x^2) + eps). */
function rmsNorm(x: Float64Array, offset: number, n: number, weight: ArrayLike<number>, eps: number): Float64Array {
  const sqrt = Math.sqrt;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += x[offset + i]! * x[offset + i]!;
  const inv = 1 / sqrt(ss / n + eps);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = weight[i]! * (x[offset + i]! * inv);
  return y;
}

function silu(v: number): number {
  return v / (1 + Math.exp(-v));
}

/** inv_freq[i] = 1 / theta^(2i / d) for i = 0 .. d/2 - 1 (compute_default_rope_parameters). */
function ropeInvFreq(headDim: number, theta: number): Float64Array {
  const half = headDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / theta ** ((2 * i) / headDim);
  return inv;
}

/**
 * (inv_freq, attention_scaling) of ROPE_INIT_FUNCTIONS[rope_type](config, seq_len), in float64.
 * rope_type is read from "rope_type" or the legacy "type"; seq_len only matters for "dynamic".
 */
export function referenceRope(c: RefConfig, seqLen: number): { invFreq: Float64Array; attentionScaling: number } {
  const rs = c.rope_scaling ?? {};
  const ropeType = (rs.rope_type ?? rs.type ?? 'default') as string;
  const dim = c.headDim;
  const base = c.ropeTheta;
  const field = (k: string): number => {
    const v = rs[k];
    if (typeof v !== 'number') throw new Error(`reference-decoder: rope_scaling.${k} missing`);
    return v;
  };
  const maxPos = (): number => {
    if (c.maxPositionEmbeddings === undefined) throw new Error('reference-decoder: maxPositionEmbeddings needed');
    return c.maxPositionEmbeddings;
  };
  const invFreq = ropeInvFreq(dim, base);

  if (ropeType === 'default') return { invFreq, attentionScaling: 1 };

  if (ropeType === 'linear') {
    // _compute_linear_scaling_rope_parameters: inv_freq /= factor
    return { invFreq: invFreq.map((f) => f / field('factor')), attentionScaling: 1 };
  }

  if (ropeType === 'dynamic') {
    // _compute_dynamic_ntk_parameters: seq_len = max(seq_len, max_position_embeddings);
    // base = base * ((factor * seq_len / max_pos) - (factor - 1)) ** (dim / (dim - 2))
    const factor = field('factor');
    const L = Math.max(seqLen, maxPos());
    const newBase = base * ((factor * L) / maxPos() - (factor - 1)) ** (dim / (dim - 2));
    return { invFreq: ropeInvFreq(dim, newBase), attentionScaling: 1 };
  }

  if (ropeType === 'llama3') {
    // _compute_llama3_parameters
    const factor = field('factor');
    const lowFreqFactor = field('low_freq_factor');
    const highFreqFactor = field('high_freq_factor');
    const oldContextLen = field('original_max_position_embeddings');
    const lowFreqWavelen = oldContextLen / lowFreqFactor;
    const highFreqWavelen = oldContextLen / highFreqFactor;
    const out = new Float64Array(invFreq.length);
    for (let i = 0; i < invFreq.length; i++) {
      const wavelen = (2 * Math.PI) / invFreq[i]!;
      const invFreqLlama = wavelen > lowFreqWavelen ? invFreq[i]! / factor : invFreq[i]!;
      const smoothFactor = (oldContextLen / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
      const smoothed = ((1 - smoothFactor) * invFreqLlama) / factor + smoothFactor * invFreqLlama;
      const isMediumFreq = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
      out[i] = isMediumFreq ? smoothed : invFreqLlama;
    }
    return { invFreq: out, attentionScaling: 1 };
  }

  if (ropeType === 'yarn') {
    // _compute_yarn_parameters
    const original = (rs.original_max_position_embeddings as number | undefined) ?? maxPos();
    const factor = (rs.factor as number | undefined) ?? maxPos() / original;
    const getMscale = (scale: number, mscale = 1) => (scale <= 1 ? 1 : 0.1 * mscale * Math.log(scale) + 1);
    const mscale = rs.mscale as number | undefined;
    const mscaleAllDim = rs.mscale_all_dim as number | undefined;
    let attentionFactor = rs.attention_factor as number | undefined;
    if (attentionFactor === undefined) {
      attentionFactor =
        mscale && mscaleAllDim ? getMscale(factor, mscale) / getMscale(factor, mscaleAllDim) : getMscale(factor);
    }
    const betaFast = (rs.beta_fast as number | undefined) || 32;
    const betaSlow = (rs.beta_slow as number | undefined) || 1;
    const truncate = (rs.truncate as boolean | undefined) ?? true;
    const findCorrectionDim = (numRotations: number) =>
      (dim * Math.log(original / (numRotations * 2 * Math.PI))) / (2 * Math.log(base));
    let low = findCorrectionDim(betaFast);
    let high = findCorrectionDim(betaSlow);
    if (truncate) {
      low = Math.floor(low);
      high = Math.ceil(high);
    }
    low = Math.max(low, 0);
    high = Math.min(high, dim - 1);
    if (low === high) high += 0.001;
    const out = new Float64Array(dim / 2);
    for (let i = 0; i < dim / 2; i++) {
      const posFreq = base ** ((2 * i) / dim);
      const extrapolation = 1 / posFreq;
      const interpolation = 1 / (factor * posFreq);
      const ramp = Math.min(Math.max((i - low) / (high - low), 0), 1);
      const extrapolationFactor = 1 - ramp;
      out[i] = interpolation * (1 - extrapolationFactor) + extrapolation * extrapolationFactor;
    }
    return { invFreq: out, attentionScaling: attentionFactor };
  }

  throw new Error(`reference-decoder: rope_type ${ropeType} not implemented`);
}

/**
 * Applies RoPE in place to the head slice v[offset .. offset+d) at position pos, using HF's
 * rotate_half layout: dimension j (< d/2) pairs with j + d/2, both using angle pos * inv_freq[j]
 * (cos/sin come from cat(freqs, freqs)).
 *   out[j]       = x[j] * cos - x[j+d/2] * sin
 *   out[j + d/2] = x[j+d/2] * cos + x[j] * sin
 */
function applyRope(
  v: Float64Array,
  offset: number,
  d: number,
  pos: number,
  invFreq: Float64Array,
  scaling: number,
): void {
  const cos = Math.cos;
  const sin = Math.sin;
  const half = d / 2;
  for (let j = 0; j < half; j++) {
    const angle = pos * invFreq[j]!;
    const c = cos(angle) * scaling;
    const s = sin(angle) * scaling;
    const x1 = v[offset + j]!;
    const x2 = v[offset + j + half]!;
    v[offset + j] = x1 * c - x2 * s;
    v[offset + j + half] = x2 * c + x1 * s;
  }
}

function checkConfig(c: RefConfig): void {
  const ints: (keyof RefConfig)[] = [
    'vocabSize',
    'hiddenSize',
    'numLayers',
    'numHeads',
    'numKvHeads',
    'headDim',
    'intermediateSize',
  ];
  for (const k of ints) {
    const v = c[k] as number;
    if (!Number.isInteger(v) || v <= 0) throw new Error(`reference-decoder: ${k} must be a positive integer, got ${v}`);
  }
  if (c.numHeads % c.numKvHeads !== 0) {
    throw new Error(`reference-decoder: numHeads ${c.numHeads} not divisible by numKvHeads ${c.numKvHeads}`);
  }
  if (c.headDim % 2 !== 0) throw new Error(`reference-decoder: headDim ${c.headDim} must be even for RoPE`);
}

/**
 * Logits for one unpadded sequence: one Float64Array of length vocabSize per input position.
 * positions defaults to 0..T-1 (HF: position_ids = cache_position = arange(T)); the causal mask is
 * by sequence index (key j visible to query i iff j <= i), independent of the positions values.
 */
export function referenceLogits(c: RefConfig, weights: Weights, ids: number[], positions?: number[]): Float64Array[] {
  checkConfig(c);
  const T = ids.length;
  const pos = positions ?? ids.map((_, i) => i);
  if (pos.length !== T) throw new Error(`reference-decoder: ${pos.length} positions for ${T} ids`);
  const H = c.hiddenSize;
  const D = c.headDim;
  const nH = c.numHeads;
  const nKv = c.numKvHeads;
  const I = c.intermediateSize;
  const V = c.vocabSize;
  const qDim = nH * D;
  const kvDim = nKv * D;
  const groups = nH / nKv; // num_key_value_groups
  const scaling = 1 / Math.sqrt(D); // head_dim ** -0.5
  const { invFreq, attentionScaling } = referenceRope(c, Math.max(...pos) + 1);
  const exp = Math.exp;
  const max = Math.max;

  // Embedding lookup (nn.Embedding: row ids[t] of [vocab, hidden]).
  const embed = need(weights, 'model.embed_tokens.weight', V * H);
  let hidden: Float64Array[] = ids.map((id) => {
    if (!Number.isInteger(id) || id < 0 || id >= V) throw new Error(`reference-decoder: token id ${id} out of range`);
    const row = new Float64Array(H);
    for (let i = 0; i < H; i++) row[i] = embed[id * H + i]!;
    return row;
  });

  for (let l = 0; l < c.numLayers; l++) {
    const p = `model.layers.${l}.`;
    const inNorm = need(weights, `${p}input_layernorm.weight`, H);
    const postNorm = need(weights, `${p}post_attention_layernorm.weight`, H);
    const wq = need(weights, `${p}self_attn.q_proj.weight`, qDim * H);
    const wk = need(weights, `${p}self_attn.k_proj.weight`, kvDim * H);
    const wv = need(weights, `${p}self_attn.v_proj.weight`, kvDim * H);
    const wo = need(weights, `${p}self_attn.o_proj.weight`, H * qDim);
    const bq = c.attentionBias ? need(weights, `${p}self_attn.q_proj.bias`, qDim) : undefined;
    const bk = c.attentionBias ? need(weights, `${p}self_attn.k_proj.bias`, kvDim) : undefined;
    const bv = c.attentionBias ? need(weights, `${p}self_attn.v_proj.bias`, kvDim) : undefined;
    const bo = optional(weights, `${p}self_attn.o_proj.bias`, H);
    const qNormW = c.qkNorm ? need(weights, `${p}self_attn.q_norm.weight`, D) : undefined;
    const kNormW = c.qkNorm ? need(weights, `${p}self_attn.k_norm.weight`, D) : undefined;
    const wGate = need(weights, `${p}mlp.gate_proj.weight`, I * H);
    const wUp = need(weights, `${p}mlp.up_proj.weight`, I * H);
    const wDown = need(weights, `${p}mlp.down_proj.weight`, H * I);
    const bGate = optional(weights, `${p}mlp.gate_proj.bias`, I);
    const bUp = optional(weights, `${p}mlp.up_proj.bias`, I);
    const bDown = optional(weights, `${p}mlp.down_proj.bias`, H);

    // ---- Self-attention block ----
    const qs: Float64Array[] = [];
    const ks: Float64Array[] = [];
    const vs: Float64Array[] = [];
    for (let t = 0; t < T; t++) {
      const x = rmsNorm(hidden[t]!, 0, H, inNorm, c.rmsNormEps);
      const q = linear(x, wq, qDim, H, bq);
      const k = linear(x, wk, kvDim, H, bk);
      const v = linear(x, wv, kvDim, H, bv);
      if (qNormW !== undefined && kNormW !== undefined) {
        for (let h = 0; h < nH; h++) q.set(rmsNorm(q, h * D, D, qNormW, c.rmsNormEps), h * D);
        for (let h = 0; h < nKv; h++) k.set(rmsNorm(k, h * D, D, kNormW, c.rmsNormEps), h * D);
      }
      for (let h = 0; h < nH; h++) applyRope(q, h * D, D, pos[t]!, invFreq, attentionScaling);
      for (let h = 0; h < nKv; h++) applyRope(k, h * D, D, pos[t]!, invFreq, attentionScaling);
      qs.push(q);
      ks.push(k);
      vs.push(v);
    }

    const afterAttn: Float64Array[] = [];
    for (let t = 0; t < T; t++) {
      const attnOut = new Float64Array(qDim); // heads concatenated: [h0 d0..dD-1, h1 ...]
      for (let h = 0; h < nH; h++) {
        const kvh = Math.floor(h / groups); // repeat_kv (repeat_interleave over heads)
        // Causal: keys 0..t only.
        const scores = new Float64Array(t + 1);
        let m = -Infinity;
        for (let j = 0; j <= t; j++) {
          let s = 0;
          for (let d = 0; d < D; d++) s += qs[t]![h * D + d]! * ks[j]![kvh * D + d]!;
          scores[j] = s * scaling;
          m = max(m, scores[j]!);
        }
        let z = 0;
        for (let j = 0; j <= t; j++) {
          scores[j] = exp(scores[j]! - m);
          z += scores[j]!;
        }
        for (let j = 0; j <= t; j++) {
          const pj = scores[j]! / z;
          for (let d = 0; d < D; d++) attnOut[h * D + d]! += pj * vs[j]![kvh * D + d]!;
        }
      }
      const o = linear(attnOut, wo, H, qDim, bo);
      const r = new Float64Array(H);
      for (let i = 0; i < H; i++) r[i] = hidden[t]![i]! + o[i]!;
      afterAttn.push(r);
    }

    // ---- MLP block ----
    hidden = afterAttn.map((h1) => {
      const x = rmsNorm(h1, 0, H, postNorm, c.rmsNormEps);
      const g = linear(x, wGate, I, H, bGate);
      const u = linear(x, wUp, I, H, bUp);
      const a = new Float64Array(I);
      for (let i = 0; i < I; i++) a[i] = silu(g[i]!) * u[i]!;
      const down = linear(a, wDown, H, I, bDown);
      const r = new Float64Array(H);
      for (let i = 0; i < H; i++) r[i] = h1[i]! + down[i]!;
      return r;
    });
  }

  const finalNorm = need(weights, 'model.norm.weight', H);
  const lmHead = c.tieWordEmbeddings ? embed : need(weights, 'lm_head.weight', V * H);
  return hidden.map((h) => linear(rmsNorm(h, 0, H, finalNorm, c.rmsNormEps), lmHead, V, H));
}

/** Stable log-softmax of one row: x - (max + log(sum(exp(x - max)))). */
function logSoftmax(row: Float64Array): Float64Array {
  const exp = Math.exp;
  let m = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i]! > m) m = row[i]!;
  let z = 0;
  for (let i = 0; i < row.length; i++) z += exp(row[i]! - m);
  const lse = m + Math.log(z);
  const out = new Float64Array(row.length);
  for (let i = 0; i < row.length; i++) out[i] = row[i]! - lse;
  return out;
}

/** log p(ids[t+1] | ids[0..t]) for t = 0 .. T-2 (length T-1; empty for T <= 1). */
export function referenceLogProbs(c: RefConfig, weights: Weights, ids: number[]): number[] {
  if (ids.length < 2) return [];
  const logits = referenceLogits(c, weights, ids);
  const out: number[] = [];
  for (let t = 0; t + 1 < ids.length; t++) out.push(logSoftmax(logits[t]!)[ids[t + 1]!]!);
  return out;
}
