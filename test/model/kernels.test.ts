import { parameterSpecs, type ModelConfig } from '../../src/model/config.js';
import { randomWeights } from '../../src/model/init.js';
import { defaultKernels, kernelsFor, type KernelsName } from '../../src/model/kernels.js';
import { Graph } from '../../src/onnx/graph.js';
import { padBatch } from '../../src/runtime/batch.js';
import { generate } from '../../src/runtime/generate.js';
import { buildScoreGraph, buildTrainGraph } from '../../src/runtime/graphs.js';
import { Policy, type WeightArray } from '../../src/runtime/policy.js';
import type { GenerateOptions } from '../../src/runtime/rollout.js';
import { Rng } from '../../src/util/rng.js';
import { relativeError, SMALL_QWEN2, SMALL_QWEN3, SMALL_YARN } from '../fixtures/small-models.js';

const configs: [string, ModelConfig][] = [
  ['Qwen3 (q/k norm, 2 query heads per KV head)', SMALL_QWEN3],
  ['Qwen2 (q/k/v bias, 4 query heads per KV head)', SMALL_QWEN2],
  [
    'Qwen3 with yarn RoPE (scaled cos / sin)',
    {
      ...SMALL_QWEN3,
      ropeScaling: SMALL_YARN,
    },
  ],
];

/** Weights large enough, with non-unit norm gains and biases, that every block matters. */
function weights(c: ModelConfig, dtype: 'float32' | 'float64'): Map<string, WeightArray> {
  const rng = new Rng(8);
  const w = randomWeights(c, 5, 0.15);
  for (const s of parameterSpecs(c)) {
    const a = w.get(s.name)!;
    if (s.kind === 'norm') for (let i = 0; i < a.length; i++) a[i] = 1 + 0.3 * rng.normal();
    if (s.kind === 'bias') for (let i = 0; i < a.length; i++) a[i] = 0.1 * rng.normal();
  }
  return new Map([...w].map(([k, v]) => [k, dtype === 'float64' ? Float64Array.from(v) : v]));
}

const policy = (c: ModelConfig, dtype: 'float32' | 'float64', kernels: KernelsName) =>
  new Policy(c, weights(c, dtype), { dtype, kernels, threads: 1 });

/** Odd and even lengths, so the two-block attention splits unevenly and padding lands in both blocks. */
function batch(c: ModelConfig) {
  const rng = new Rng(3);
  return padBatch(
    [11, 6, 2].map((n) => Array.from({ length: n }, () => rng.int(c.vocabSize))),
    0,
  );
}

describe('the kernels table', () => {
  it('defaults to the fused row only for float32 graphs that are never differentiated', () => {
    const inference = new Graph('score');
    inference.inferenceOnly = true;
    expect(defaultKernels(inference, 'float32')).toBe('fused');
    expect(defaultKernels(inference, 'float64')).toBe('fast');
    expect(defaultKernels(new Graph('train'), 'float32')).toBe('fast');
    expect(() => kernelsFor(new Graph('train'), 'float32', 'fused')).toThrow(/never differentiated/);
    expect(() => kernelsFor(inference, 'float64', 'fused')).toThrow(/float32/);
    expect(kernelsFor(inference, 'float64', 'reference')).not.toBe(kernelsFor(inference, 'float64'));
  });

  it('builds other graphs for the reference row than for the default rows', () => {
    const bytes = (b: { bytes: Uint8Array }) => Buffer.from(b.bytes).toString('base64');
    expect(bytes(buildTrainGraph(SMALL_QWEN3, {}, 'float64', 'reference'))).not.toBe(
      bytes(buildTrainGraph(SMALL_QWEN3, {}, 'float64')),
    );
    expect(bytes(buildScoreGraph(SMALL_QWEN3, 'float32', 'reference'))).not.toBe(
      bytes(buildScoreGraph(SMALL_QWEN3, 'float32')),
    );
    expect(bytes(buildScoreGraph(SMALL_QWEN3, 'float32', 'fast'))).not.toBe(
      bytes(buildScoreGraph(SMALL_QWEN3, 'float32')),
    );
  });
});

describe.each(configs)('each row of the kernels table computes what the reference row does: %s', (_name, c) => {
  it('score: fast in float64, fast and fused in float32', async () => {
    const b = batch(c);
    for (const [dtype, row, tol] of [
      ['float64', 'fast', 1e-12],
      ['float32', 'fast', 2e-6],
      ['float32', 'fused', 2e-6],
    ] as const) {
      const want = await policy(c, dtype, 'reference').score(b);
      const got = await policy(c, dtype, row).score(b);
      expect(relativeError(got, want)).toBeLessThan(tol);
    }
  });

  it("train (clip and KL on): the fast row's loss, log-probs and every gradient, float64", async () => {
    const b = batch(c);
    const rng = new Rng(11);
    const n = b.batch * (b.length - 1);
    const coef = Float64Array.from({ length: n }, () => rng.normal());
    const reference = policy(c, 'float64', 'reference');
    const logp = await reference.score(b);
    const inputs = {
      coef,
      clip: { oldLogprobs: logp.map((v) => v + 0.3 * rng.normal()), low: 0.8, high: 1.2 },
      kl: {
        refLogprobs: logp.map((v) => v + 0.3 * rng.normal()),
        coef: Float64Array.from({ length: n }, () => rng.uniform()),
      },
    };
    const want = await reference.trainStep(b, inputs);
    const got = await policy(c, 'float64', 'fast').trainStep(b, inputs);
    expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-12 * Math.max(1, Math.abs(want.loss)));
    expect(relativeError(got.logprobs, want.logprobs)).toBeLessThan(1e-12);
    const errors = [...want.grads].map(([name, g]) => [name, relativeError(got.grads.get(name)!, g)] as const);
    for (const [name, err] of errors) if (!(err < 1e-10)) throw new Error(`grad.${name}: relative error ${err}`);
    expect(errors).toHaveLength(parameterSpecs(c).length);
  });

  it("train: the fast row's float32 nodes (RotaryEmbedding both ways, the norms' fused forward) against float64", async () => {
    const b = batch(c);
    const rng = new Rng(12);
    const coef = Float64Array.from({ length: b.batch * (b.length - 1) }, () => rng.normal());
    const want = await policy(c, 'float64', 'reference').trainStep(b, { coef });
    const got = await policy(c, 'float32', 'fast').trainStep(b, { coef: Float32Array.from(coef) });
    expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want.loss)));
    expect(relativeError(got.logprobs, want.logprobs)).toBeLessThan(1e-5);
    const errors = [...want.grads].map(([name, g]) => [name, relativeError(got.grads.get(name)!, g)] as const);
    for (const [name, err] of errors) if (!(err < 1e-4)) throw new Error(`grad.${name}: relative error ${err}`);
    expect(errors).toHaveLength(parameterSpecs(c).length);
  });

  it("greedy generation: fast in float64 and fused in float32 pick the reference's tokens", async () => {
    const rng = new Rng(4);
    const prompts = [7, 2, 5].map((n) => Array.from({ length: n }, () => 1 + rng.int(c.vocabSize - 1)));
    const o: GenerateOptions = {
      samplesPerPrompt: 1,
      maxNewTokens: 9,
      temperature: 0,
      topP: 1,
      topK: 0,
      stop: { eosIds: [], forceCloseIds: [] },
      seed: 1,
    };
    for (const [dtype, row, tol] of [
      ['float64', 'fast', 1e-9],
      ['float32', 'fused', 1e-4],
    ] as const) {
      const want = await generate(policy(c, dtype, 'reference'), prompts, o);
      const got = await generate(policy(c, dtype, row), prompts, o);
      expect(got.map((r) => r.tokens)).toEqual(want.map((r) => r.tokens));
      got.forEach((r, i) => expect(relativeError(r.logprobs, want[i]!.logprobs)).toBeLessThan(tol));
    }
  });
});
