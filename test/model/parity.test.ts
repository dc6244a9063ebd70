import { parseModelConfig, toHfConfig, type ModelConfig } from '../../src/model/config.js';
import { PRESET_CONFIGS } from '../../src/model/presets.js';
import { Policy } from '../../src/runtime/policy.js';
import { padBatch } from '../../src/runtime/batch.js';
import { Rng } from '../../src/util/rng.js';
import { referenceLogProbs, type RefConfig } from './reference-decoder.js';
import { gainedWeights, SMALL_DIMS, SMALL_QWEN2, SMALL_QWEN3 } from '../fixtures/small-models.js';

const variants: [string, ModelConfig][] = [
  ['Qwen3 (q/k norm, tied embeddings)', SMALL_QWEN3],
  ['Qwen2 (q/k/v bias, untied lm_head)', SMALL_QWEN2],
  [
    'Llama (no bias, no q/k norm, untied)',
    { ...SMALL_DIMS, architecture: 'llama', tieWordEmbeddings: false, attentionBias: false, qkNorm: false, headDim: 8 },
  ],
];

/**
 * RoPE scaling: the project's config comes from config.json's rope_scaling through parseModelConfig,
 * the reference reads the same rope_scaling object. Short original contexts make every regime of
 * llama3 and yarn matter within 11 positions; dynamic's max_position_embeddings 8 rescales the
 * 11-token row and leaves the 6-token one at the default RoPE.
 */
const scaled: [string, ModelConfig, Record<string, unknown>][] = [
  [
    'Llama 3.2 preset (llama3, factor 32)',
    PRESET_CONFIGS['llama3.2-tiny'],
    {
      rope_type: 'llama3',
      factor: 32,
      low_freq_factor: 1,
      high_freq_factor: 4,
      original_max_position_embeddings: 8192,
    },
  ],
  ...(
    [
      [
        'Llama, llama3 with an original context of 64',
        { ...variants[2]![1], headDim: 16 },
        {
          rope_type: 'llama3',
          factor: 8,
          low_freq_factor: 1,
          high_freq_factor: 4,
          original_max_position_embeddings: 64,
        },
      ],
      [
        'Qwen3, yarn factor 4 over an original context of 32',
        SMALL_QWEN3,
        { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 32 },
      ],
      [
        'Qwen3, yarn with mscale and an explicit beta_fast',
        SMALL_QWEN3,
        {
          rope_type: 'yarn',
          factor: 16,
          original_max_position_embeddings: 64,
          beta_fast: 8,
          mscale: 1,
          mscale_all_dim: 0.5,
        },
      ],
      ['Qwen3, linear factor 3', SMALL_QWEN3, { rope_type: 'linear', factor: 3 }],
      [
        'Qwen3, dynamic factor 2 past max_position_embeddings 8',
        { ...SMALL_QWEN3, maxPositionEmbeddings: 8 },
        { rope_type: 'dynamic', factor: 2 },
      ],
    ] as [string, ModelConfig, Record<string, unknown>][]
  ).map(([name, c, rope]): [string, ModelConfig, Record<string, unknown>] => [
    name,
    parseModelConfig({ ...toHfConfig(c), rope_scaling: rope }),
    rope,
  ]),
];

async function compare(c: ModelConfig, ref: RefConfig, scaledRope = false) {
  const rng = new Rng(8);
  const w = gainedWeights(c, rng);
  const w64 = new Map([...w].map(([k, v]) => [k, Float64Array.from(v)]));
  const policy = new Policy(c, w64, { dtype: 'float64', threads: 1 });
  const seqs = [
    Array.from({ length: 11 }, () => rng.int(c.vocabSize)),
    Array.from({ length: 6 }, () => rng.int(c.vocabSize)),
  ];
  const batch = padBatch(seqs, 0);
  const got = await policy.score(batch);
  const T = batch.length;
  seqs.forEach((s, b) => {
    const want = referenceLogProbs(ref, w64, s);
    want.forEach((v, t) => expect(Math.abs(got[b * (T - 1) + t]! - v)).toBeLessThan(1e-10));
  });
  if (scaledRope) {
    // The scaling matters: the default RoPE gives other log-probs (for dynamic, only the long row's).
    const plain = referenceLogProbs({ ...ref, rope_scaling: null }, w64, seqs[0]!);
    const want = referenceLogProbs(ref, w64, seqs[0]!);
    expect(Math.max(...want.map((v, t) => Math.abs(v - plain[t]!)))).toBeGreaterThan(1e-6);
  }
}

describe('score graph against an independent float64 reference of the Hugging Face forward pass', () => {
  it.each(variants)('%s', (_name, c) => compare(c, c));
  it.each(scaled)('RoPE scaling: %s', (_name, c, rope) => compare(c, { ...c, rope_scaling: rope }, true));
});
