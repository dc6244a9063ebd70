/**
 * RoPE scaling: config.json's rope_scaling (rope_type linear, dynamic, yarn or llama3) and the inverse
 * frequencies and cos / sin factor each type gives, after Hugging Face transformers'
 * modeling_rope_utils.py (its ROPE_INIT_FUNCTIONS). The graphs of transformer.ts read them from here.
 */
import { UserError } from '../errors.js';
import type { ModelConfig } from './config.js';

export type RopeScaling =
  | { type: 'linear'; factor: number }
  /** NTK-aware scaling of the base once a sequence is longer than max_position_embeddings. */
  | { type: 'dynamic'; factor: number }
  | {
      type: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositionEmbeddings: number;
    }
  | {
      type: 'yarn';
      factor: number;
      originalMaxPositionEmbeddings: number;
      betaFast: number;
      betaSlow: number;
      /** Explicit cos / sin factor; otherwise derived from factor (and mscale / mscaleAllDim). */
      attentionFactor?: number;
      mscale?: number;
      mscaleAllDim?: number;
      /** Round the correction range to whole dimensions (transformers' default). */
      truncate: boolean;
    };

export const ROPE_TYPES = ['default', 'linear', 'dynamic', 'yarn', 'llama3'] as const;

type RopeConfig = Pick<ModelConfig, 'headDim' | 'ropeTheta' | 'maxPositionEmbeddings' | 'ropeScaling'>;

export interface RopeFrequencies {
  /** inv_freq [headDim / 2]. */
  invFreq: Float64Array;
  /** Multiplies cos and sin (so attention scores by its square); 1 except for yarn. */
  attentionFactor: number;
}

/**
 * inv_freq and the cos / sin factor. Only `dynamic` depends on the sequence length `seqLen` (the
 * largest position + 1); at or below max_position_embeddings it is the default RoPE.
 */
export function ropeFrequencies(c: RopeConfig, seqLen = 0): RopeFrequencies {
  const d = c.headDim;
  const plain = Float64Array.from({ length: d / 2 }, (_, i) => 1 / c.ropeTheta ** ((2 * i) / d));
  const s = c.ropeScaling;
  if (!s) return { invFreq: plain, attentionFactor: 1 };
  switch (s.type) {
    case 'linear':
      return { invFreq: plain.map((f) => f / s.factor), attentionFactor: 1 };
    case 'dynamic': {
      const r = dynamicNtkRatio(s.factor, seqLen, c.maxPositionEmbeddings);
      const e = dynamicNtkExponents(d);
      return { invFreq: plain.map((f, i) => f * r ** e[i]!), attentionFactor: 1 };
    }
    case 'llama3':
      return { invFreq: plain.map((f) => llama3InvFreq(f, s)), attentionFactor: 1 };
    case 'yarn':
      return yarn(plain, d, c.ropeTheta, s);
  }
}

/**
 * Dynamic NTK raises the base to base * r^(d / (d - 2)), which multiplies inv_freq[i] by r^e[i] with
 * e[i] = -2i / (d - 2). The graphs compute r per sequence from this form.
 */
export function dynamicNtkExponents(headDim: number): Float64Array {
  return Float64Array.from({ length: headDim / 2 }, (_, i) => (-2 * i) / (headDim - 2));
}

/** r = factor * L / max_position_embeddings - (factor - 1), and 1 (the default RoPE) for L <= max_position_embeddings. */
export function dynamicNtkRatio(factor: number, seqLen: number, maxPositions: number): number {
  return Math.max(1, (factor * seqLen) / maxPositions - (factor - 1));
}

/** Llama 3.1: long wavelengths divided by factor, short ones kept, a linear blend in between. */
function llama3InvFreq(f: number, s: Extract<RopeScaling, { type: 'llama3' }>): number {
  const wavelen = (2 * Math.PI) / f;
  const old = s.originalMaxPositionEmbeddings;
  if (wavelen < old / s.highFreqFactor) return f;
  if (wavelen > old / s.lowFreqFactor) return f / s.factor;
  const smooth = (old / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
  return (1 - smooth) * (f / s.factor) + smooth * f;
}

/**
 * YaRN: dimensions that turn fewer than beta_slow times over the original context are interpolated
 * (divided by factor), those that turn more than beta_fast times are kept, with a linear ramp between.
 */
function yarn(
  plain: Float64Array,
  d: number,
  theta: number,
  s: Extract<RopeScaling, { type: 'yarn' }>,
): RopeFrequencies {
  const mscale = (scale: number, m = 1) => (scale <= 1 ? 1 : 0.1 * m * Math.log(scale) + 1);
  const attentionFactor =
    s.attentionFactor ??
    (s.mscale && s.mscaleAllDim ? mscale(s.factor, s.mscale) / mscale(s.factor, s.mscaleAllDim) : mscale(s.factor));
  // The dimension index at which a frequency makes `turns` full turns over the original context.
  const dimAt = (turns: number) =>
    (d * Math.log(s.originalMaxPositionEmbeddings / (turns * 2 * Math.PI))) / (2 * Math.log(theta));
  let low = dimAt(s.betaFast),
    high = dimAt(s.betaSlow);
  if (s.truncate) [low, high] = [Math.floor(low), Math.ceil(high)];
  low = Math.max(low, 0);
  high = Math.min(high, d - 1);
  if (low === high) high += 0.001;
  const invFreq = plain.map((f, i) => {
    const ramp = Math.min(1, Math.max(0, (i - low) / (high - low))); // 0: keep, 1: interpolate
    return (f / s.factor) * ramp + f * (1 - ramp);
  });
  return { invFreq, attentionFactor };
}

/**
 * Reads rope_scaling (or transformers 5's rope_parameters) from a parsed config.json; undefined for the
 * default RoPE. `field` names the key in messages, `maxPositions` is the config's max_position_embeddings.
 */
export function parseRopeScaling(
  rope: unknown,
  where: string,
  field: string,
  maxPositions: number,
): RopeScaling | undefined {
  if (rope === null || rope === undefined) return undefined;
  if (typeof rope !== 'object' || Array.isArray(rope))
    throw new UserError(`${where}: ${field}: expected an object or null, got ${JSON.stringify(rope)}`);
  const r = rope as Record<string, unknown>;
  const typeKey = r.rope_type !== undefined ? 'rope_type' : 'type'; // `type` in older configs
  const type = r[typeKey] ?? 'default';
  const fail = (key: string, expected: string): never => {
    throw new UserError(`${where}: ${field}.${key}: expected ${expected}, got ${JSON.stringify(r[key])}`);
  };
  const num = (key: string, fallback?: number): number => {
    const v = r[key] ?? fallback;
    return typeof v === 'number' && v > 0 ? v : fail(key, 'a positive number');
  };
  const optionalNum = (key: string): number | undefined =>
    r[key] === undefined || r[key] === null ? undefined : num(key);
  const int = (key: string, fallback?: number): number => {
    const v = r[key] ?? fallback;
    return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : fail(key, 'a positive integer');
  };
  switch (type) {
    case 'default':
      return undefined;
    case 'linear':
    case 'dynamic':
      return { type: type as 'linear' | 'dynamic', factor: num('factor') };
    case 'llama3': {
      const s = {
        type: 'llama3' as const,
        factor: num('factor'),
        lowFreqFactor: num('low_freq_factor'),
        highFreqFactor: num('high_freq_factor'),
        originalMaxPositionEmbeddings: int('original_max_position_embeddings'),
      };
      if (s.highFreqFactor <= s.lowFreqFactor)
        fail('high_freq_factor', `a number above low_freq_factor (${s.lowFreqFactor})`);
      return s;
    }
    case 'yarn': {
      const original = int('original_max_position_embeddings', maxPositions);
      // Older transformers replaced factor by max_position_embeddings / original_max_position_embeddings
      // whenever the latter was given; current ones use factor as written, like this.
      const truncate = r.truncate ?? true;
      if (typeof truncate !== 'boolean') fail('truncate', 'true or false');
      return {
        type: 'yarn',
        factor: num('factor', maxPositions / original),
        originalMaxPositionEmbeddings: original,
        betaFast: num('beta_fast', 32),
        betaSlow: num('beta_slow', 1),
        attentionFactor: optionalNum('attention_factor'),
        mscale: optionalNum('mscale'),
        mscaleAllDim: optionalNum('mscale_all_dim'),
        truncate: truncate as boolean,
      };
    }
    default:
      return fail(typeKey, `one of ${ROPE_TYPES.join(', ')}`);
  }
}

/** rope_scaling as config.json writes it (null for the default RoPE). */
export function ropeScalingToHf(s: RopeScaling | undefined): Record<string, unknown> | null {
  if (!s) return null;
  switch (s.type) {
    case 'linear':
    case 'dynamic':
      return { rope_type: s.type, factor: s.factor };
    case 'llama3':
      return {
        rope_type: s.type,
        factor: s.factor,
        low_freq_factor: s.lowFreqFactor,
        high_freq_factor: s.highFreqFactor,
        original_max_position_embeddings: s.originalMaxPositionEmbeddings,
      };
    case 'yarn':
      return {
        rope_type: s.type,
        factor: s.factor,
        original_max_position_embeddings: s.originalMaxPositionEmbeddings,
        beta_fast: s.betaFast,
        beta_slow: s.betaSlow,
        ...(s.attentionFactor !== undefined && { attention_factor: s.attentionFactor }),
        ...(s.mscale !== undefined && { mscale: s.mscale }),
        ...(s.mscaleAllDim !== undefined && { mscale_all_dim: s.mscaleAllDim }),
        ...(!s.truncate && { truncate: false }),
      };
  }
}
