/** Model hyper-parameters read from a Hugging Face config.json (Qwen3, Qwen2 and Llama families). */
import { UserError } from '../errors.js';
import { parseRopeScaling, ropeScalingToHf, type RopeScaling } from './rope.js';

export type Architecture = 'qwen3' | 'qwen2' | 'llama';

export interface ModelConfig {
  architecture: Architecture;
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
  /** q/k/v projections carry a bias (Qwen2). */
  attentionBias: boolean;
  /** Per-head RMSNorm on queries and keys (Qwen3). */
  qkNorm: boolean;
  maxPositionEmbeddings: number;
  /** config.json's rope_scaling; absent for the default RoPE. */
  ropeScaling?: RopeScaling;
}

const MODEL_TYPES: Record<string, Architecture> = { qwen3: 'qwen3', qwen2: 'qwen2', llama: 'llama' };

/** Interprets a parsed config.json; `where` names the file in error messages. */
export function parseModelConfig(raw: Record<string, unknown>, where = 'config.json'): ModelConfig {
  const modelType = String(raw.model_type ?? '');
  const architecture = MODEL_TYPES[modelType];
  if (!architecture)
    throw new UserError(
      `${where}: model_type: expected one of ${Object.keys(MODEL_TYPES).join(', ')}, got ${JSON.stringify(raw.model_type)}`,
    );
  const int = (key: string, fallback?: number): number => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
      throw new UserError(`${where}: ${key}: expected a positive integer, got ${JSON.stringify(raw[key])}`);
    return v;
  };
  const num = (key: string, fallback: number): number => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number' || !(v > 0))
      throw new UserError(`${where}: ${key}: expected a positive number, got ${JSON.stringify(raw[key])}`);
    return v;
  };
  // transformers 5 writes rope_theta and the scaling together as rope_parameters.
  const ropeParameters = raw.rope_parameters as Record<string, unknown> | null | undefined;
  const ropeField = raw.rope_scaling == null && ropeParameters != null ? 'rope_parameters' : 'rope_scaling';
  const hiddenSize = int('hidden_size');
  const numHeads = int('num_attention_heads');
  const numKvHeads = int('num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0)
    throw new UserError(
      `${where}: num_key_value_heads: must divide num_attention_heads (${numHeads}), got ${numKvHeads}`,
    );
  const maxPositionEmbeddings = int('max_position_embeddings', 32768);
  const ropeScaling = parseRopeScaling(raw[ropeField], where, ropeField, maxPositionEmbeddings);
  const ropeTheta =
    raw.rope_theta === undefined && typeof ropeParameters?.rope_theta === 'number'
      ? ropeParameters.rope_theta
      : num('rope_theta', 10000);
  return {
    architecture,
    vocabSize: int('vocab_size'),
    hiddenSize,
    numLayers: int('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim: int('head_dim', hiddenSize / numHeads),
    intermediateSize: int('intermediate_size'),
    rmsNormEps: num('rms_norm_eps', 1e-6),
    ropeTheta,
    tieWordEmbeddings: Boolean(raw.tie_word_embeddings ?? false),
    attentionBias: architecture === 'qwen2' ? true : Boolean(raw.attention_bias ?? false),
    qkNorm: architecture === 'qwen3',
    maxPositionEmbeddings,
    ...(ropeScaling && { ropeScaling }),
  };
}

/** The config.json that Hugging Face transformers writes for this model. */
export function toHfConfig(c: ModelConfig, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const modelClass = { qwen3: 'Qwen3ForCausalLM', qwen2: 'Qwen2ForCausalLM', llama: 'LlamaForCausalLM' }[
    c.architecture
  ];
  return {
    architectures: [modelClass],
    model_type: c.architecture,
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    num_key_value_heads: c.numKvHeads,
    head_dim: c.headDim,
    intermediate_size: c.intermediateSize,
    hidden_act: 'silu',
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    rope_scaling: ropeScalingToHf(c.ropeScaling),
    tie_word_embeddings: c.tieWordEmbeddings,
    attention_bias: c.attentionBias,
    attention_dropout: 0,
    max_position_embeddings: c.maxPositionEmbeddings,
    initializer_range: 0.02,
    torch_dtype: 'float32',
    use_cache: true,
    ...extra,
  };
}

export interface ParamSpec {
  name: string;
  shape: number[];
  /** RMSNorm gains and biases: initialised to 1 / 0 and excluded from weight decay. */
  kind: 'matrix' | 'norm' | 'bias' | 'embedding';
}

/** Every trainable tensor, with Hugging Face names, in a fixed order. */
export function parameterSpecs(c: ModelConfig): ParamSpec[] {
  const d = c.hiddenSize,
    hd = c.headDim,
    qDim = c.numHeads * hd,
    kvDim = c.numKvHeads * hd;
  const specs: ParamSpec[] = [{ name: 'model.embed_tokens.weight', shape: [c.vocabSize, d], kind: 'embedding' }];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}`;
    specs.push({ name: `${p}.input_layernorm.weight`, shape: [d], kind: 'norm' });
    specs.push({ name: `${p}.self_attn.q_proj.weight`, shape: [qDim, d], kind: 'matrix' });
    specs.push({ name: `${p}.self_attn.k_proj.weight`, shape: [kvDim, d], kind: 'matrix' });
    specs.push({ name: `${p}.self_attn.v_proj.weight`, shape: [kvDim, d], kind: 'matrix' });
    if (c.attentionBias) {
      specs.push({ name: `${p}.self_attn.q_proj.bias`, shape: [qDim], kind: 'bias' });
      specs.push({ name: `${p}.self_attn.k_proj.bias`, shape: [kvDim], kind: 'bias' });
      specs.push({ name: `${p}.self_attn.v_proj.bias`, shape: [kvDim], kind: 'bias' });
    }
    if (c.qkNorm) {
      specs.push({ name: `${p}.self_attn.q_norm.weight`, shape: [hd], kind: 'norm' });
      specs.push({ name: `${p}.self_attn.k_norm.weight`, shape: [hd], kind: 'norm' });
    }
    specs.push({ name: `${p}.self_attn.o_proj.weight`, shape: [d, qDim], kind: 'matrix' });
    specs.push({ name: `${p}.post_attention_layernorm.weight`, shape: [d], kind: 'norm' });
    specs.push({ name: `${p}.mlp.gate_proj.weight`, shape: [c.intermediateSize, d], kind: 'matrix' });
    specs.push({ name: `${p}.mlp.up_proj.weight`, shape: [c.intermediateSize, d], kind: 'matrix' });
    specs.push({ name: `${p}.mlp.down_proj.weight`, shape: [d, c.intermediateSize], kind: 'matrix' });
  }
  specs.push({ name: 'model.norm.weight', shape: [d], kind: 'norm' });
  if (!c.tieWordEmbeddings) specs.push({ name: 'lm_head.weight', shape: [c.vocabSize, d], kind: 'matrix' });
  return specs;
}

export function parameterCount(c: ModelConfig): number {
  return parameterSpecs(c).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
}
