import { mkdtemp, readFile, readdir, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NonFiniteError, UserError } from '../../src/errors.js';
import { cli, ensureBuilt } from '../cli/built-cli.js';
import { padBatch } from '../../src/runtime/batch.js';
import { Policy } from '../../src/runtime/policy.js';
import { createSession, tensor } from '../../src/runtime/session.js';
import { initModel, loadModel, qwen3TokenizerDir, saveModel } from '../../src/model/checkpoint.js';
import { parameterSpecs, type ModelConfig } from '../../src/model/config.js';
import { randomWeights } from '../../src/model/init.js';
import { PRESET_CONFIGS } from '../../src/model/presets.js';
import { buildProjectTokenizer, writeProjectTokenizer } from '../../src/model/tokenizer-project.js';
import {
  bf16BitsToF32,
  f16BitsToF32,
  f32ToBf16Bits,
  f32ToF16Bits,
  readSafetensorsHeader,
  writeModelWeights,
  type Tensor,
} from '../../src/model/safetensors.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'checkpoint-test-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const tiny = PRESET_CONFIGS.tiny;

/** A model small enough to write in milliseconds, of the given family. */
function micro(o: Partial<ModelConfig> = {}): ModelConfig {
  return {
    ...tiny,
    vocabSize: 1024,
    hiddenSize: 16,
    numLayers: 2,
    numHeads: 2,
    numKvHeads: 1,
    headDim: 8,
    intermediateSize: 24,
    ...o,
  };
}

async function expectUserError(p: Promise<unknown>, ...patterns: (string | RegExp)[]): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  const msg = (err as Error).message;
  for (const pattern of patterns) expect(msg).toMatch(pattern);
  return msg;
}

function asTensors(c: ModelConfig, weights: Map<string, Float32Array>): Map<string, Tensor> {
  return new Map(parameterSpecs(c).map((s) => [s.name, { shape: s.shape, data: weights.get(s.name)! }]));
}

describe('initModel and loadModel', () => {
  it('tiny: writes HF layout that loads back to the preset config, the seeded weights and a fitting tokenizer', async () => {
    const dir = join(root, 'tiny');
    await initModel('tiny', dir, 7);
    expect((await readdir(dir)).sort()).toEqual([
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect((await readdir(root)).sort()).toEqual(['tiny']); // no temporary directories left behind

    const m = await loadModel(dir);
    expect(m.config).toEqual(tiny);
    expect(m.dir).toBe(dir);
    const expected = randomWeights(tiny, 7);
    expect([...m.weights.keys()]).toEqual(parameterSpecs(tiny).map((s) => s.name));
    for (const [name, w] of expected) expect(m.weights.get(name)).toEqual(w);

    expect(m.tokenizer.vocabSize).toBeLessThanOrEqual(tiny.vocabSize);
    expect(m.tokenizer.decode(m.tokenizer.encode('Paris is 12 km away.'))).toBe('Paris is 12 km away.');
    const generation = JSON.parse(await readFile(join(dir, 'generation_config.json'), 'utf8'));
    expect(generation.eos_token_id).toEqual(m.tokenizer.eosTokenIds);
    expect(generation.eos_token_id).toContain(m.tokenizer.tokenToId('<|im_end|>'));
    const hf = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(hf).toMatchObject({
      model_type: 'qwen3',
      vocab_size: 1024,
      hidden_size: 128,
      num_hidden_layers: 4,
      torch_dtype: 'float32',
      tie_word_embeddings: true,
    });
  });

  it('llama3.2-tiny: written by init-model and again sharded, loads back with its llama3 RoPE scaling', async () => {
    const c = PRESET_CONFIGS['llama3.2-tiny'];
    const dir = join(root, 'llama');
    await initModel('llama3.2-tiny', dir, 3);
    const m = await loadModel(dir);
    expect(m.config).toEqual(c);
    const sharded = join(root, 'llama-sharded');
    await saveModel(sharded, { config: m.config, weights: m.weights, tokenizerDir: dir, maxShardBytes: 1_000_000 });
    expect(await readdir(sharded)).toContain('model.safetensors.index.json');
    const back = await loadModel(sharded);
    expect(back.config).toEqual(c);
    for (const [name, x] of m.weights) expect(back.weights.get(name)).toEqual(x);
    const hf = JSON.parse(await readFile(join(sharded, 'config.json'), 'utf8'));
    expect(hf).toMatchObject({
      model_type: 'llama',
      rope_theta: 500000,
      tie_word_embeddings: true,
      attention_bias: false,
    });
    expect(hf.rope_scaling).toEqual({
      rope_type: 'llama3',
      factor: 32,
      low_freq_factor: 1,
      high_freq_factor: 4,
      original_max_position_embeddings: 8192,
    });
  });

  it('small: the project tokenizer of vocab_size 8192 stops short of it (like a padded embedding) and fits', () => {
    // initModel('small') itself is in the long suite: its 29M random draws take a minute under Jest.
    const built = buildProjectTokenizer({ vocabSize: PRESET_CONFIGS.small.vocabSize });
    expect(built.vocabSize).toBeGreaterThan(4000);
    expect(built.vocabSize).toBeLessThanOrEqual(8192);
  });

  it('the real Qwen3 tokenizer files are found in node_modules and fit a Qwen3-sized vocabulary', async () => {
    // qwen3-0.6b itself is too large for the default suite; this is its tokenizer with a micro model of its vocabulary.
    const c = micro({ vocabSize: 151936, hiddenSize: 8, numLayers: 1, headDim: 4, intermediateSize: 8 });
    const dir = join(root, 'q');
    const zeros = new Map(parameterSpecs(c).map((p) => [p.name, new Float32Array(p.shape.reduce((a, b) => a * b, 1))]));
    await saveModel(dir, { config: c, weights: zeros, tokenizerDir: qwen3TokenizerDir() });
    const m = await loadModel(dir);
    expect(m.tokenizer.vocabSize).toBe(151669);
    expect(m.tokenizer.tokenToId('<|im_end|>')).toBe(151645);
  });

  it('float64 loading gives the same values as float64 arrays', async () => {
    const dir = join(root, 'm');
    const c = micro();
    const w = randomWeights(c, 3);
    await saveModel(dir, { config: c, weights: w, tokenizerDir: await projectTokenizerDir() });
    const m = await loadModel(dir, { dtype: 'float64' });
    const name = 'model.layers.1.mlp.up_proj.weight';
    expect(m.weights.get(name)).toBeInstanceOf(Float64Array);
    expect(Array.from(m.weights.get(name)!)).toEqual(Array.from(w.get(name)!));
  });
});

let tokDir: string | undefined;
/** A directory with the tiny project tokenizer, built once per file. */
async function projectTokenizerDir(): Promise<string> {
  if (!tokDir) {
    tokDir = await mkdtemp(join(tmpdir(), 'checkpoint-tok-'));
    await writeProjectTokenizer(tokDir, { vocabSize: 1024 });
  }
  return tokDir;
}
afterAll(async () => {
  if (tokDir) await rm(tokDir, { recursive: true, force: true });
});

describe('saveModel', () => {
  it.each([
    ['BF16', 'bfloat16', f32ToBf16Bits, bf16BitsToF32, 2 ** -8],
    ['F16', 'float16', f32ToF16Bits, f16BitsToF32, 2 ** -11],
  ] as const)(
    '%s: weights come back rounded to nearest %s, within its relative precision',
    async (dtype, torchDtype, encode, decode, eps) => {
      const c = micro();
      const w = randomWeights(c, 5);
      const dir = join(root, dtype);
      await saveModel(dir, { config: c, weights: w, tokenizerDir: await projectTokenizerDir(), dtype });
      const m = await loadModel(dir);
      let worst = 0;
      for (const [name, original] of w) {
        const back = m.weights.get(name)!;
        for (let i = 0; i < original.length; i++) {
          const x = original[i]!;
          expect(back[i]).toBe(decode(encode(x)));
          if (Math.abs(x) > 1e-4) worst = Math.max(worst, Math.abs(back[i]! - x) / Math.abs(x));
        }
      }
      expect(worst).toBeGreaterThan(0);
      expect(worst).toBeLessThanOrEqual(eps);
      expect(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')).torch_dtype).toBe(torchDtype);
    },
  );

  it('writes sharded checkpoints that load back', async () => {
    const c = micro();
    const w = randomWeights(c, 2);
    const dir = join(root, 'sharded');
    await saveModel(dir, { config: c, weights: w, tokenizerDir: await projectTokenizerDir(), maxShardBytes: 20_000 });
    const files = await readdir(dir);
    expect(files).toContain('model.safetensors.index.json');
    expect(files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f)).length).toBeGreaterThan(1);
    const m = await loadModel(dir);
    for (const [name, x] of w) expect(m.weights.get(name)).toEqual(x);
  });

  it('replaces an existing directory whole, also when it is the one the model was loaded from', async () => {
    const dir = join(root, 'm');
    const c = micro();
    await saveModel(dir, {
      config: c,
      weights: randomWeights(c, 1),
      tokenizerDir: await projectTokenizerDir(),
      maxShardBytes: 20_000,
    });
    await writeFile(join(dir, 'stale.txt'), 'old');
    const loaded = await loadModel(dir);
    const updated = randomWeights(c, 9);
    await saveModel(dir, {
      config: loaded.config,
      weights: updated,
      tokenizerDir: dir,
      hfConfig: { ...loaded.hfConfig, custom_field: 42 },
    });
    const files = (await readdir(dir)).sort();
    expect(files).toEqual([
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect((await readdir(root)).sort()).toEqual(['m']);
    const again = await loadModel(dir);
    for (const [name, x] of updated) expect(again.weights.get(name)).toEqual(x);
    expect(again.hfConfig.custom_field).toBe(42);
  });

  it('a failed save leaves the existing directory as it was and no temporary directory', async () => {
    const dir = join(root, 'm');
    const c = micro();
    const w = randomWeights(c, 1);
    await saveModel(dir, { config: c, weights: w, tokenizerDir: await projectTokenizerDir() });
    const before = await readFile(join(dir, 'model.safetensors'));
    const broken = new Map(w);
    broken.delete('model.norm.weight');
    await expect(
      saveModel(dir, { config: c, weights: broken, tokenizerDir: await projectTokenizerDir() }),
    ).rejects.toThrow(/model\.norm\.weight/);
    expect((await readFile(join(dir, 'model.safetensors'))).equals(before)).toBe(true);
    expect((await readdir(root)).sort()).toEqual(['m']);
  });

  it('refuses weights with NaN or Infinity before writing anything, naming the tensor and the first bad value', async () => {
    const c = micro();
    const w = randomWeights(c, 1);
    const name = 'model.layers.1.mlp.up_proj.weight';
    w.get(name)![3] = NaN;
    w.get(name)![7] = Infinity;
    const dir = join(root, 'm');
    const err = await saveModel(dir, { config: c, weights: w, tokenizerDir: await projectTokenizerDir() }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NonFiniteError);
    expect(err).toMatchObject({ tensor: name, index: 3 });
    expect((err as Error).message).toBe(
      `${dir}: not saved: tensor "${name}" holds NaN at flat index 3; the weights diverged (try a lower learning rate); nothing was written`,
    );
    expect(await readdir(root)).toEqual([]);
  });

  it('refuses a tokenizer with ids beyond vocab_size', async () => {
    const c = micro({ vocabSize: 512 });
    await expectUserError(
      saveModel(join(root, 'm'), {
        config: c,
        weights: randomWeights(c, 0),
        tokenizerDir: await projectTokenizerDir(),
      }),
      /ids up to 1023/,
      /vocab_size 512/,
    );
    expect(await readdir(root)).toEqual([]);
  });

  it('writes tokenizer files given as contents', async () => {
    const src = await projectTokenizerDir();
    const c = micro();
    const dir = join(root, 'm');
    await saveModel(dir, {
      config: c,
      weights: randomWeights(c, 0),
      tokenizerFiles: {
        'tokenizer.json': await readFile(join(src, 'tokenizer.json'), 'utf8'),
        'tokenizer_config.json': await readFile(join(src, 'tokenizer_config.json')),
      },
      generationConfig: { eos_token_id: 7 },
    });
    expect(JSON.parse(await readFile(join(dir, 'generation_config.json'), 'utf8'))).toEqual({ eos_token_id: 7 });
    expect((await loadModel(dir)).tokenizer.vocabSize).toBe(1024);
  });
});

describe('loadModel errors name the file and the tensor', () => {
  async function writeDir(
    c: ModelConfig,
    tensors: Map<string, Tensor>,
    opts: { maxShardBytes?: number; hf?: Record<string, unknown> } = {},
  ): Promise<string> {
    const dir = join(root, 'bad');
    const src = await projectTokenizerDir();
    await saveModel(dir, {
      config: c,
      weights: randomWeights(c, 0),
      tokenizerDir: src,
      maxShardBytes: opts.maxShardBytes,
    });
    await writeModelWeights(dir, tensors, { maxShardBytes: opts.maxShardBytes });
    if (opts.hf) await writeFile(join(dir, 'config.json'), JSON.stringify(opts.hf));
    return dir;
  }

  it('a missing tensor', async () => {
    const c = micro();
    const t = asTensors(c, randomWeights(c, 0));
    t.delete('model.layers.1.self_attn.k_norm.weight');
    const dir = await writeDir(c, t);
    await expectUserError(
      loadModel(dir),
      join(dir, 'model.safetensors'),
      /missing tensor "model\.layers\.1\.self_attn\.k_norm\.weight" \[8\]/,
    );
  });

  it('a missing tensor in a sharded checkpoint', async () => {
    const c = micro();
    const t = asTensors(c, randomWeights(c, 0));
    t.delete('model.norm.weight');
    const dir = await writeDir(c, t, { maxShardBytes: 20_000 });
    await expectUserError(loadModel(dir), 'model.safetensors.index.json', /"model\.norm\.weight"/);
  });

  it('a shape that does not match the config', async () => {
    const c = micro();
    const t = asTensors(c, randomWeights(c, 0));
    t.set('model.layers.0.mlp.down_proj.weight', { shape: [24, 16], data: new Float32Array(384) });
    const dir = await writeDir(c, t, { maxShardBytes: 20_000 });
    const msg = await expectUserError(
      loadModel(dir),
      /model-0000\d-of-0000\d\.safetensors/,
      /"model\.layers\.0\.mlp\.down_proj\.weight" has shape \[24, 16\], expected \[16, 24\]/,
    );
    expect(msg).toContain(dir);
  });

  it('an unexpected tensor (a config that does not match the checkpoint)', async () => {
    const c = micro();
    const t = asTensors(c, randomWeights(c, 0));
    t.set('model.layers.0.self_attn.q_proj.bias', { shape: [16], data: new Float32Array(16) });
    const dir = await writeDir(c, t);
    await expectUserError(loadModel(dir), /unexpected tensor "model\.layers\.0\.self_attn\.q_proj\.bias"/);
  });

  it('accepts a tied checkpoint that still holds lm_head.weight, and requires it when untied', async () => {
    const c = micro();
    const w = randomWeights(c, 0);
    const t = asTensors(c, w);
    t.set('lm_head.weight', { shape: [1024, 16], data: w.get('model.embed_tokens.weight')! });
    const dir = await writeDir(c, t);
    const m = await loadModel(dir);
    expect(m.weights.has('lm_head.weight')).toBe(false);
    expect(m.weights.size).toBe(parameterSpecs(c).length);

    const untied = micro({ tieWordEmbeddings: false });
    const dir2 = await writeDir(untied, asTensors(c, w));
    await expectUserError(loadModel(dir2), /missing tensor "lm_head\.weight" \[1024, 16\]/, /untied/);
  });

  it('a weight that is not finite', async () => {
    const c = micro();
    const t = asTensors(c, randomWeights(c, 0));
    t.get('model.norm.weight')!.data[5] = -Infinity;
    const dir = await writeDir(c, t);
    const err = await loadModel(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NonFiniteError);
    expect((err as Error).message).toMatch(
      `${join(dir, 'model.safetensors')}: tensor "model.norm.weight" holds -Infinity at flat index 5`,
    );
  });

  it('a truncated safetensors file', async () => {
    const c = micro();
    const dir = await writeDir(c, asTensors(c, randomWeights(c, 0)));
    const path = join(dir, 'model.safetensors');
    await truncate(path, 5000);
    await expectUserError(loadModel(dir), path);
  });

  it('missing or broken files', async () => {
    const c = micro();
    const dir = await writeDir(c, asTensors(c, randomWeights(c, 0)));
    await expectUserError(loadModel(join(root, 'nope')), /not a model directory/);

    await unlink(join(dir, 'tokenizer.json'));
    await expectUserError(loadModel(dir), join(dir, 'tokenizer.json'), /file not found/);

    await unlink(join(dir, 'model.safetensors'));
    await expectUserError(loadModel(dir), /found neither model\.safetensors nor model\.safetensors\.index\.json/);

    await writeFile(join(dir, 'config.json'), '{"model_type": "qwen3", ');
    await expectUserError(loadModel(dir), join(dir, 'config.json'), /not valid JSON/);

    await unlink(join(dir, 'config.json'));
    await expectUserError(loadModel(dir), join(dir, 'config.json'), /file not found/);
  });

  it('a tokenizer with more ids than vocab_size', async () => {
    const c = micro();
    const w = randomWeights(c, 0);
    const dir = await writeDir(c, asTensors(c, w));
    const hf = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    // Shrink the model's vocabulary (and embedding) below the tokenizer's 1024 ids.
    const small = micro({ vocabSize: 1000 });
    const t = asTensors(small, randomWeights(small, 0));
    await writeModelWeights(dir, t);
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...hf, vocab_size: 1000 }));
    await expectUserError(loadModel(dir), /ids up to 1023/, /vocab_size 1000/);
  });
});

// Under Jest, randomWeights draws about 0.5M normals a second (10-100x slower than plain Node), so these
// presets are written by the built CLI in a child process and only loaded here.
(process.env.TSALLIS_LONG_TESTS ? describe : describe.skip)('small and qwen3-0.6b presets (TSALLIS_LONG_TESTS)', () => {
  beforeAll(ensureBuilt, 120_000);

  it('small (bf16 on disk): vocab_size 8192 with the project tokenizer, whose ids all fit', async () => {
    const dir = join(root, 'small');
    expect((await cli('init-model', '--preset', 'small', '--out', dir, '--dtype', 'bf16')).code).toBe(0);
    const m = await loadModel(dir);
    expect(m.config).toEqual(PRESET_CONFIGS.small);
    expect(m.tokenizer.vocabSize).toBeGreaterThan(4000);
    expect(m.tokenizer.vocabSize).toBeLessThanOrEqual(8192);
    const header = await readSafetensorsHeader(join(dir, 'model.safetensors'));
    expect(new Set(header.tensors.map((t) => t.dtype))).toEqual(new Set(['BF16']));
    expect(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')).torch_dtype).toBe('bfloat16');
  }, 600_000);

  it('init-model writes Qwen3-0.6B shapes with the Qwen3 tokenizer, in bf16', async () => {
    const dir = join(root, 'qwen');
    const r = await cli('init-model', '--preset', 'qwen3-0.6b', '--out', dir, '--dtype', 'bf16');
    expect(r.stderr).toMatch(/596\.0M parameters/);
    expect(r.code).toBe(0);
    const m = await loadModel(dir);
    expect(m.config).toEqual(PRESET_CONFIGS['qwen3-0.6b']);
    expect(m.tokenizer.vocabSize).toBe(151669);
    expect(JSON.parse(await readFile(join(dir, 'generation_config.json'), 'utf8')).eos_token_id).toEqual([
      151645, 151643,
    ]);

    // Past 2 GB of weights, --embed-weights goes to external data; it runs and matches Policy.score.
    const exported = join(root, 'qwen-export');
    expect((await cli('export', '--model', dir, '--out', exported, '--embed-weights', '--graphs', 'score')).code).toBe(
      0,
    );
    expect((await readdir(exported)).sort()).toContain('score.onnx.data');
    const ids = m.tokenizer.encode('<|im_start|>user\nWhat is 6 x 7?<|im_end|>');
    const batch = padBatch([ids], m.tokenizer.padTokenId);
    const expected = await new Policy(m.config, m.weights, { threads: 2 }).score(batch);
    const session = await createSession(join(exported, 'score.onnx'), { threads: 2 });
    const dims = [1, ids.length];
    const out = await session.run({
      input_ids: tensor('int64', batch.ids, dims),
      attention_mask: tensor('int64', batch.mask, dims),
    });
    await session.release();
    const got = out.logprobs!.data as Float32Array;
    for (let t = 0; t < ids.length - 1; t++) expect(Math.abs(got[t]! - expected[t]!)).toBeLessThan(1e-4);
  }, 600_000);
});
