/**
 * Model presets for `init-model`: shapes of the project's tiny and small models, of Qwen3-0.6B, and a
 * tiny model with Llama 3.2's config shape (no q/k norm, tied embeddings, rope_theta 500000 and its
 * llama3 RoPE scaling).
 */
import type { ModelConfig } from './config.js';

export const PRESETS = ['tiny', 'small', 'qwen3-0.6b', 'llama3.2-tiny'] as const;
export type Preset = (typeof PRESETS)[number];

const qwen3 = (
  o: Partial<ModelConfig> &
    Pick<
      ModelConfig,
      'vocabSize' | 'hiddenSize' | 'numLayers' | 'numHeads' | 'numKvHeads' | 'headDim' | 'intermediateSize'
    >,
): ModelConfig => ({
  architecture: 'qwen3',
  rmsNormEps: 1e-6,
  ropeTheta: 1e6,
  tieWordEmbeddings: true,
  attentionBias: false,
  qkNorm: true,
  maxPositionEmbeddings: 40960,
  ...o,
});

export const PRESET_CONFIGS: Record<Preset, ModelConfig> = {
  tiny: qwen3({
    vocabSize: 1024,
    hiddenSize: 128,
    numLayers: 4,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 32,
    intermediateSize: 384,
    ropeTheta: 10000,
    maxPositionEmbeddings: 8192,
  }),
  small: qwen3({
    vocabSize: 8192,
    hiddenSize: 512,
    numLayers: 8,
    numHeads: 8,
    numKvHeads: 4,
    headDim: 64,
    intermediateSize: 1536,
    ropeTheta: 10000,
    maxPositionEmbeddings: 8192,
  }),
  'qwen3-0.6b': qwen3({
    vocabSize: 151936,
    hiddenSize: 1024,
    numLayers: 28,
    numHeads: 16,
    numKvHeads: 8,
    headDim: 128,
    intermediateSize: 3072,
  }),
  'llama3.2-tiny': {
    architecture: 'llama',
    vocabSize: 1024,
    hiddenSize: 128,
    numLayers: 4,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 32,
    intermediateSize: 384,
    rmsNormEps: 1e-5,
    ropeTheta: 500000,
    tieWordEmbeddings: true,
    attentionBias: false,
    qkNorm: false,
    maxPositionEmbeddings: 131072,
    ropeScaling: {
      type: 'llama3',
      factor: 32,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositionEmbeddings: 8192,
    },
  },
};
