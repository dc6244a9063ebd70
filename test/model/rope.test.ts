import { UserError } from '../../src/errors.js';
import { parseModelConfig, toHfConfig, type ModelConfig } from '../../src/model/config.js';
import { PRESET_CONFIGS } from '../../src/model/presets.js';
import { ropeFrequencies } from '../../src/model/rope.js';
import { referenceRope } from './reference-decoder.js';

/** A config.json of the given RoPE; dims only matter through head_dim. */
function hfConfig(o: Record<string, unknown>): Record<string, unknown> {
  return {
    model_type: 'qwen3',
    vocab_size: 64,
    hidden_size: 64,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    head_dim: 128,
    intermediate_size: 32,
    ...o,
  };
}

const CASES: [string, Record<string, unknown>][] = [
  ['linear', { rope_theta: 10000, rope_scaling: { rope_type: 'linear', factor: 4 } }],
  ['linear (legacy "type")', { rope_theta: 10000, rope_scaling: { type: 'linear', factor: 2.5 } }],
  ['dynamic', { rope_theta: 10000, max_position_embeddings: 2048, rope_scaling: { rope_type: 'dynamic', factor: 2 } }],
  [
    'llama3 (Llama 3.2)',
    {
      rope_theta: 500000,
      max_position_embeddings: 131072,
      rope_scaling: {
        rope_type: 'llama3',
        factor: 32,
        low_freq_factor: 1,
        high_freq_factor: 4,
        original_max_position_embeddings: 8192,
      },
    },
  ],
  [
    'llama3 (Llama 3.1, head_dim 64)',
    {
      head_dim: 64,
      rope_theta: 500000,
      rope_scaling: {
        rope_type: 'llama3',
        factor: 8,
        low_freq_factor: 1,
        high_freq_factor: 4,
        original_max_position_embeddings: 8192,
      },
    },
  ],
  [
    'yarn (Qwen3 long context)',
    {
      rope_theta: 1000000,
      max_position_embeddings: 40960,
      rope_scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 32768 },
    },
  ],
  [
    'yarn (Qwen2.5, legacy "type", no original)',
    { rope_theta: 1000000, max_position_embeddings: 32768, rope_scaling: { type: 'yarn', factor: 4 } },
  ],
  [
    'yarn (mscale, betas, truncate false)',
    {
      head_dim: 64,
      rope_theta: 10000,
      max_position_embeddings: 4096,
      rope_scaling: {
        rope_type: 'yarn',
        factor: 40,
        original_max_position_embeddings: 4096,
        beta_fast: 16,
        beta_slow: 2,
        mscale: 1,
        // biome-ignore lint/suspicious/noApproximativeNumericConstant: a config.json value, not 1/sqrt(2)
        mscale_all_dim: 0.707,
        truncate: false,
      },
    },
  ],
  [
    'yarn (explicit attention_factor)',
    {
      head_dim: 32,
      rope_theta: 10000,
      rope_scaling: { rope_type: 'yarn', factor: 8, original_max_position_embeddings: 2048, attention_factor: 1.25 },
    },
  ],
];

const relErr = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('RoPE scaling: inv_freq and attention factor against the float64 reference of transformers formulas', () => {
  it.each(CASES)('%s', (_name, o) => {
    const raw = hfConfig(o);
    const c = parseModelConfig(raw);
    const ref = { ...c, rope_scaling: raw.rope_scaling as Record<string, unknown> };
    for (const seqLen of [1, 100, 5000, 100000]) {
      const got = ropeFrequencies(c, seqLen);
      const want = referenceRope(ref, seqLen);
      expect(got.invFreq.length).toBe(c.headDim / 2);
      got.invFreq.forEach((f, i) => expect(relErr(f, want.invFreq[i]!)).toBeLessThan(1e-12));
      expect(relErr(got.attentionFactor, want.attentionScaling)).toBeLessThan(1e-14);
    }
    // Each case changes the frequencies somewhere (dynamic: only past max_position_embeddings).
    const plain = referenceRope({ ...ref, rope_scaling: null }, 0).invFreq;
    const scaled = ropeFrequencies(c, 100000).invFreq;
    expect(Math.max(...scaled.map((f, i) => relErr(f, plain[i]!)))).toBeGreaterThan(0.1);
  });

  it('values that follow from the definitions alone', () => {
    const plain = (c: ModelConfig, i: number) => 1 / c.ropeTheta ** ((2 * i) / c.headDim);
    const linear = parseModelConfig(hfConfig(CASES[0]![1]));
    expect(ropeFrequencies(linear).invFreq[5]).toBeCloseTo(plain(linear, 5) / 4, 15);

    // Dynamic is the default RoPE up to max_position_embeddings; at 3 x 2048 with factor 2 the base is
    // 10000 * 5^(128/126), so the last frequency is 1 / (10000 * 5^(128/126))^(126/128).
    const dynamic = parseModelConfig(hfConfig(CASES[2]![1]));
    expect(ropeFrequencies(dynamic, 2048).invFreq).toEqual(
      ropeFrequencies({ ...dynamic, ropeScaling: undefined }).invFreq,
    );
    expect(
      relErr(ropeFrequencies(dynamic, 3 * 2048).invFreq[63]!, 1 / (10000 * 5 ** (128 / 126)) ** (126 / 128)),
    ).toBeLessThan(1e-12);

    // Llama 3: wavelengths under 2048 kept, over 8192 divided by 32, one blended between.
    const llama = PRESET_CONFIGS['llama3.2-tiny'];
    const f = ropeFrequencies(llama).invFreq;
    const kinds = Array.from(f, (x, i) => {
      const p = plain(llama, i);
      return x === p ? 'kept' : Math.abs(x - p / 32) < 1e-18 ? 'divided' : 'blended';
    });
    expect(kinds).toEqual([...Array(8).fill('kept'), 'blended', ...Array(7).fill('divided')]);

    // YaRN: cos / sin scaled by 0.1 ln(factor) + 1; the highest frequency kept, the lowest divided by factor.
    const yarn = parseModelConfig(hfConfig(CASES[5]![1]));
    const y = ropeFrequencies(yarn);
    expect(y.attentionFactor).toBeCloseTo(1 + 0.1 * Math.log(4), 15);
    expect(y.invFreq[0]).toBe(1);
    expect(relErr(y.invFreq[63]!, plain(yarn, 63) / 4)).toBeLessThan(1e-12);
  });
});

describe('config.json rope_scaling', () => {
  it('reads the four types with their fields and writes them back', () => {
    for (const [, o] of CASES) {
      const c = parseModelConfig(hfConfig(o));
      expect(c.ropeScaling).toBeDefined();
      expect(parseModelConfig(toHfConfig(c))).toEqual(c);
    }
    expect(parseModelConfig(hfConfig(CASES[3]![1])).ropeScaling).toEqual({
      type: 'llama3',
      factor: 32,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositionEmbeddings: 8192,
    });
    expect(parseModelConfig(hfConfig(CASES[6]![1])).ropeScaling).toMatchObject({
      type: 'yarn',
      factor: 4,
      originalMaxPositionEmbeddings: 32768,
      betaFast: 32,
      betaSlow: 1,
      truncate: true,
    });
    expect(toHfConfig(PRESET_CONFIGS['llama3.2-tiny']).rope_scaling).toEqual({
      rope_type: 'llama3',
      factor: 32,
      low_freq_factor: 1,
      high_freq_factor: 4,
      original_max_position_embeddings: 8192,
    });
  });

  it("Llama-3.2-1B's config.json has the llama3.2-tiny preset's shape", () => {
    const c = parseModelConfig({
      architectures: ['LlamaForCausalLM'],
      attention_bias: false,
      attention_dropout: 0.0,
      bos_token_id: 128000,
      eos_token_id: 128001,
      head_dim: 64,
      hidden_act: 'silu',
      hidden_size: 2048,
      initializer_range: 0.02,
      intermediate_size: 8192,
      max_position_embeddings: 131072,
      mlp_bias: false,
      model_type: 'llama',
      num_attention_heads: 32,
      num_hidden_layers: 16,
      num_key_value_heads: 8,
      pretraining_tp: 1,
      rms_norm_eps: 1e-5,
      rope_scaling: {
        factor: 32.0,
        high_freq_factor: 4.0,
        low_freq_factor: 1.0,
        original_max_position_embeddings: 8192,
        rope_type: 'llama3',
      },
      rope_theta: 500000.0,
      tie_word_embeddings: true,
      torch_dtype: 'bfloat16',
      transformers_version: '4.45.0.dev0',
      use_cache: true,
      vocab_size: 128256,
    });
    const shape = ({
      architecture,
      rmsNormEps,
      ropeTheta,
      tieWordEmbeddings,
      attentionBias,
      qkNorm,
      maxPositionEmbeddings,
      ropeScaling,
    }: ModelConfig) => ({
      architecture,
      rmsNormEps,
      ropeTheta,
      tieWordEmbeddings,
      attentionBias,
      qkNorm,
      maxPositionEmbeddings,
      ropeScaling,
    });
    expect(shape(c)).toEqual(shape(PRESET_CONFIGS['llama3.2-tiny']));
  });

  it('the default RoPE, however written, has no scaling', () => {
    for (const rope of [undefined, null, { rope_type: 'default' }, { type: 'default' }]) {
      expect(parseModelConfig(hfConfig({ rope_scaling: rope })).ropeScaling).toBeUndefined();
    }
    expect(toHfConfig(PRESET_CONFIGS.tiny).rope_scaling).toBeNull();
  });

  it("reads transformers 5's rope_parameters, theta included", () => {
    const c = parseModelConfig(hfConfig({ rope_parameters: { rope_type: 'linear', factor: 2, rope_theta: 123456 } }));
    expect(c.ropeTheta).toBe(123456);
    expect(c.ropeScaling).toEqual({ type: 'linear', factor: 2 });
    expect(() =>
      parseModelConfig(hfConfig({ rope_parameters: { rope_type: 'linear', rope_theta: 1e6 } }), 'x/config.json'),
    ).toThrow('x/config.json: rope_parameters.factor: expected a positive number, got undefined');
  });

  it('refuses unknown types and missing or bad fields, naming the field', () => {
    const refuse = (rope: unknown, message: string) => {
      const run = () => parseModelConfig(hfConfig({ rope_scaling: rope }), 'm/config.json');
      expect(run).toThrow(UserError);
      expect(run).toThrow(message);
    };
    refuse(
      { rope_type: 'longrope', short_factor: [1] },
      'm/config.json: rope_scaling.rope_type: expected one of default, linear, dynamic, yarn, llama3, got "longrope"',
    );
    refuse({ type: 'su' }, 'rope_scaling.type: expected one of default, linear, dynamic, yarn, llama3, got "su"');
    refuse({ rope_type: 'linear' }, 'rope_scaling.factor: expected a positive number, got undefined');
    refuse({ rope_type: 'dynamic', factor: -2 }, 'rope_scaling.factor: expected a positive number, got -2');
    refuse(
      { rope_type: 'llama3', factor: 8, high_freq_factor: 4, original_max_position_embeddings: 8192 },
      'rope_scaling.low_freq_factor: expected a positive number, got undefined',
    );
    refuse(
      {
        rope_type: 'llama3',
        factor: 8,
        low_freq_factor: 4,
        high_freq_factor: 4,
        original_max_position_embeddings: 8192,
      },
      'rope_scaling.high_freq_factor: expected a number above low_freq_factor (4), got 4',
    );
    refuse(
      {
        rope_type: 'llama3',
        factor: 8,
        low_freq_factor: 1,
        high_freq_factor: 4,
        original_max_position_embeddings: 81.5,
      },
      'rope_scaling.original_max_position_embeddings: expected a positive integer, got 81.5',
    );
    refuse({ rope_type: 'yarn', factor: 4, truncate: 'no' }, 'rope_scaling.truncate: expected true or false, got "no"');
    refuse('linear', 'rope_scaling: expected an object or null, got "linear"');
  });
});
