import { mkdtemp, open, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import type ort from 'onnxruntime-node';
import { parameterSpecs, type ModelConfig } from '../../src/model/config.js';
import { randomWeights } from '../../src/model/init.js';
import { PRESET_CONFIGS } from '../../src/model/presets.js';
import { padBatch, type TokenBatch } from '../../src/runtime/batch.js';
import { EXTERNAL_DATA_ALIGNMENT, exportModel } from '../../src/runtime/export.js';
import { Policy } from '../../src/runtime/policy.js';
import { createSession, tensor } from '../../src/runtime/session.js';
import { Rng } from '../../src/util/rng.js';

const { onnx } = onnxProto;

/** Tiny-preset family at a fraction of its size, so weights are drawn in milliseconds under Jest. */
const qwen3: ModelConfig = {
  ...PRESET_CONFIGS.tiny,
  vocabSize: 300,
  hiddenSize: 32,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 8,
  intermediateSize: 48,
};
const qwen2Untied: ModelConfig = {
  ...qwen3,
  architecture: 'qwen2',
  qkNorm: false,
  attentionBias: true,
  tieWordEmbeddings: false,
};

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'export-test-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function batchFor(c: ModelConfig): TokenBatch {
  const rng = new Rng(4);
  return padBatch(
    [9, 5, 2].map((n) => Array.from({ length: n }, () => rng.int(c.vocabSize))),
    0,
  );
}

function dataFeeds(batch: TokenBatch): Record<string, ort.Tensor> {
  const dims = [batch.batch, batch.length];
  return { input_ids: tensor('int64', batch.ids, dims), attention_mask: tensor('int64', batch.mask, dims) };
}

function weightFeeds(c: ModelConfig, weights: Map<string, Float32Array>): Record<string, ort.Tensor> {
  return Object.fromEntries(parameterSpecs(c).map((s) => [s.name, tensor('float32', weights.get(s.name)!, s.shape)]));
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  expect(worst).toBeLessThanOrEqual(tol);
}

async function runScore(path: string, feeds: Record<string, ort.Tensor>): Promise<Float32Array> {
  const session = await createSession(path, { threads: 1 });
  try {
    return (await session.run(feeds)).logprobs!.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe.each([
  ['qwen3 (tied)', qwen3],
  ['qwen2 (untied, q/k/v bias)', qwen2Untied],
])('export of a %s model', (_label, c) => {
  const weights = randomWeights(c, 1, 0.1);
  const batch = batchFor(c);
  let expected: Float32Array;
  beforeAll(async () => {
    expected = (await new Policy(c, weights, { threads: 1 }).score(batch)) as Float32Array;
  });

  it('score.onnx with weights as named inputs gives Policy.score log-probs', async () => {
    const out = join(root, `${c.architecture}-inputs`);
    const [g] = await exportModel(out, c, weights, { graphs: ['score'] });
    expect(g!.inputs.map((v) => v.name)).toEqual([
      'input_ids',
      'attention_mask',
      ...parameterSpecs(c).map((s) => s.name),
    ]);
    expect(g!.outputs).toEqual([{ name: 'logprobs', dtype: 'float32', shape: ['B', 'T-1'], weight: false }]);
    expect((await readdir(out)).sort()).toEqual(['README.md', 'score.onnx']);
    const got = await runScore(join(out, 'score.onnx'), { ...dataFeeds(batch), ...weightFeeds(c, weights) });
    expectClose(got, expected, 1e-6);
  });

  it('score.onnx with embedded weights gives the same log-probs from the ids alone', async () => {
    const out = join(root, `${c.architecture}-embedded`);
    const [g] = await exportModel(out, c, weights, { graphs: ['score'], embedWeights: true });
    expect(g!.inputs.map((v) => v.name)).toEqual(['input_ids', 'attention_mask']);
    expect(g!.externalData).toBeUndefined();
    const weightBytes = parameterSpecs(c).reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
    expect((await stat(join(out, 'score.onnx'))).size).toBeGreaterThan(weightBytes);
    expectClose(await runScore(join(out, 'score.onnx'), dataFeeds(batch)), expected, 1e-5);
  });
});

describe('external data (forced with a zero threshold)', () => {
  const c = qwen3;
  const weights = randomWeights(c, 2, 0.1);
  const batch = batchFor(c);
  const out = () => join(root, 'external');

  beforeAll(async () => {
    await exportModel(out(), c, weights, { embedWeights: true, externalDataThreshold: 0 });
  });

  it('writes <graph>.onnx.data with every weight at a 4096-byte aligned offset, as TensorProto external_data', async () => {
    expect((await readdir(out())).sort()).toEqual([
      'README.md',
      'score.onnx',
      'score.onnx.data',
      'train.onnx',
      'train.onnx.data',
    ]);
    const model = onnx.ModelProto.decode(await readFile(join(out(), 'score.onnx')));
    const byName = new Map(model.graph!.initializer!.map((t) => [t.name!, t]));
    const data = await open(join(out(), 'score.onnx.data'), 'r');
    const dataSize = (await data.stat()).size;
    let end = 0;
    try {
      for (const spec of parameterSpecs(c)) {
        const t = byName.get(spec.name)!;
        expect(t.dataLocation).toBe(onnx.TensorProto.DataLocation.EXTERNAL);
        expect(t.rawData?.length ?? 0).toBe(0);
        expect(t.dims!.map(Number)).toEqual(spec.shape);
        const entries = Object.fromEntries(t.externalData!.map((e) => [e.key!, e.value!]));
        expect(entries.location).toBe('score.onnx.data');
        const offset = Number(entries.offset),
          length = Number(entries.length);
        expect(offset % EXTERNAL_DATA_ALIGNMENT).toBe(0);
        expect(offset).toBeGreaterThanOrEqual(end);
        expect(length).toBe(4 * weights.get(spec.name)!.length);
        end = offset + length;
        const bytes = new Uint8Array(length);
        await data.read(bytes, 0, length, offset);
        expect(new Float32Array(bytes.buffer)).toEqual(weights.get(spec.name));
      }
      expect(dataSize).toBe(end);
    } finally {
      await data.close();
    }
  });

  it('runs in onnxruntime from the file, giving Policy.score log-probs', async () => {
    const expected = await new Policy(c, weights, { threads: 1 }).score(batch);
    expectClose(await runScore(join(out(), 'score.onnx'), dataFeeds(batch)), expected, 1e-5);
  });
});

describe('train.onnx', () => {
  const c = qwen3;
  const weights = randomWeights(c, 3, 0.1);
  const batch = batchFor(c);
  const coef = new Float32Array(batch.batch * (batch.length - 1)).map((_, i) => ((i % 5) - 2) / 10);

  it('with weights as inputs gives Policy.trainStep loss, log-probs and gradients; embedded gives the same loss', async () => {
    const reference = await new Policy(c, weights, { threads: 1 }).trainStep(batch, { coef });
    const coefFeed = { coef: tensor('float32', coef, [batch.batch, batch.length - 1]) };

    const inputs = join(root, 'train-inputs');
    const [g] = await exportModel(inputs, c, weights, { graphs: ['train'] });
    expect(g!.outputs.map((v) => v.name)).toEqual([
      'loss',
      'logprobs',
      ...parameterSpecs(c).map((s) => `grad.${s.name}`),
    ]);
    let session = await createSession(join(inputs, 'train.onnx'), { threads: 1 });
    const out = await session.run({ ...dataFeeds(batch), ...weightFeeds(c, weights), ...coefFeed });
    await session.release();
    expect(Number(out.loss!.data[0])).toBeCloseTo(reference.loss, 5);
    expectClose(out.logprobs!.data as Float32Array, reference.logprobs, 1e-6);
    for (const name of ['model.embed_tokens.weight', 'model.layers.1.mlp.down_proj.weight', 'model.norm.weight']) {
      expectClose(out[`grad.${name}`]!.data as Float32Array, reference.grads.get(name)!, 1e-6);
    }

    const embedded = join(root, 'train-embedded');
    await exportModel(embedded, c, weights, { graphs: ['train'], embedWeights: true });
    session = await createSession(join(embedded, 'train.onnx'), { threads: 1 });
    const out2 = await session.run({ ...dataFeeds(batch), ...coefFeed });
    await session.release();
    expect(Number(out2.loss!.data[0])).toBeCloseTo(reference.loss, 4);
  });

  it('the clip and KL variants take their extra inputs, listed in README.md', async () => {
    const dir = join(root, 'train-clip-kl');
    const [g] = await exportModel(dir, c, weights, { graphs: ['train'], train: { clip: true, kl: true } });
    const dataInputs = g!.inputs.filter((v) => !v.weight).map((v) => `${v.name}:${v.shape.join('x')}`);
    expect(dataInputs).toEqual([
      'input_ids:BxT',
      'attention_mask:BxT',
      'coef:BxT-1',
      'old_logprobs:BxT-1',
      'clip_low:',
      'clip_high:',
      'ref_logprobs:BxT-1',
      'kl_coef:BxT-1',
    ]);
    expect(g!.outputs.filter((v) => !v.name.startsWith('grad.')).map((v) => `${v.name}:${v.shape.join('x')}`)).toEqual([
      'loss:',
      'logprobs:BxT-1',
      'kl_tokens:BxT-1',
    ]);
    const readme = await readFile(join(dir, 'README.md'), 'utf8');
    for (const line of [
      '| `input_ids` | int64 | [B, T] |',
      '| `old_logprobs` | float32 | [B, T-1] |',
      '| `clip_low` | float32 | [] |',
      '| `loss` | float32 | [] |',
      '| `kl_tokens` | float32 | [B, T-1] |',
      '| `model.layers.1.mlp.up_proj.weight` | [48, 32] |',
    ]) {
      expect(readme).toContain(line);
    }
  });
});
