/**
 * The shared-prefix score and train graphs (graphs.ts, transformer.ts sharedPrefixDecoder) against the
 * existing graphs run on the same prompt ++ continuation sequences, and their packing (batch.ts
 * packSharedPrefix).
 */
import { parameterSpecs, type ModelConfig } from '../../src/model/config.js';
import type { KernelsName } from '../../src/model/kernels.js';
import { packSharedPrefix, padBatch, type PrefixMicroBatch, type TokenBatch } from '../../src/runtime/batch.js';
import { buildSharedPrefixTrainGraph } from '../../src/runtime/graphs.js';
import { Policy, type TrainInputs, type WeightArray } from '../../src/runtime/policy.js';
import { Rng } from '../../src/util/rng.js';
import { gainedWeights, relativeError, SMALL_QWEN2, SMALL_QWEN3, SMALL_YARN } from '../fixtures/small-models.js';

type DTypeName = 'float32' | 'float64';

/** The shared small-test weights (test/fixtures/small-models.ts) in `dtype`. */
function weights(c: ModelConfig, dtype: DTypeName): Map<string, WeightArray> {
  const w = gainedWeights(c, new Rng(8));
  return new Map([...w].map(([k, v]) => [k, dtype === 'float64' ? Float64Array.from(v) : v]));
}

/**
 * Three prompts of different lengths (one of a single token: an empty prefix row), each followed by
 * continuations of different lengths (one with no new token), listed out of group order.
 */
function sequences(c: ModelConfig): { ids: number[]; prompt: number }[] {
  const rng = new Rng(21);
  const tokens = (n: number) => Array.from({ length: n }, () => 1 + rng.int(c.vocabSize - 1));
  const prompts = [tokens(7), tokens(4), tokens(1)];
  const plan: [number, number][] = [
    [0, 5],
    [1, 3],
    [0, 9],
    [2, 6],
    [1, 0],
    [0, 2],
    [2, 4],
    [1, 7],
  ];
  return plan.map(([p, n]) => ({ ids: [...prompts[p]!, ...tokens(n)], prompt: prompts[p]!.length }));
}

/** The shared-prefix layout of the sequences: prefix = prompt but its last token. */
const shared = (seqs: { ids: number[]; prompt: number }[], budget: number) =>
  packSharedPrefix(
    seqs.map((s) => ({ ids: s.ids, prefix: s.prompt - 1 })),
    0,
    budget,
  );

/**
 * Per-token values of the continuation positions t >= prompt (the ones a loss weighs) in both layouts:
 * `plain` [B, T-1] over the full sequences in input order, `prefixed` [B', T'-1] over the continuations.
 */
interface Mapped {
  plain: Float64Array;
  prefixed: Float64Array;
}

/** Pairs each weighed position's index in the plain layout with its index in the micro-batch's. */
function positions(
  seqs: { ids: number[]; prompt: number }[],
  plain: TokenBatch,
  micro: PrefixMicroBatch,
): [number, number][] {
  const W = micro.batch.continuation.length - 1;
  const out: [number, number][] = [];
  micro.rows.forEach((i, r) => {
    const s = seqs[i]!;
    for (let t = s.prompt; t < s.ids.length; t++)
      out.push([i * (plain.length - 1) + t - 1, r * W + t - micro.offsets[r]! - 1]);
  });
  return out;
}

function mapped(pairs: [number, number][], plain: TokenBatch, micro: PrefixMicroBatch, f: () => number): Mapped {
  const out = {
    plain: new Float64Array(plain.batch * (plain.length - 1)),
    prefixed: new Float64Array(micro.batch.continuation.batch * (micro.batch.continuation.length - 1)),
  };
  for (const [a, b] of pairs) out.plain[a] = out.prefixed[b] = f();
  return out;
}

const configs: [string, ModelConfig][] = [
  ['Qwen3 (q/k norm, 2 query heads per KV head)', SMALL_QWEN3],
  ['Qwen2 (q/k/v bias, untied lm_head, 4 query heads per KV head)', SMALL_QWEN2],
  [
    'Qwen3 with yarn RoPE',
    {
      ...SMALL_QWEN3,
      ropeScaling: SMALL_YARN,
    },
  ],
];

const ROWS: [KernelsName, DTypeName, number][] = [
  ['reference', 'float64', 1e-10],
  ['fast', 'float64', 1e-10],
  ['fast', 'float32', 2e-5],
];

describe.each(configs)('shared-prefix graphs compute what the existing graphs do: %s', (_name, c) => {
  const seqs = sequences(c);
  const plain = padBatch(
    seqs.map((s) => s.ids),
    0,
  );
  const [micro, ...more] = shared(seqs, 1e6);

  it('packs the eight sequences into one micro-batch of three prefix rows', () => {
    expect(more).toHaveLength(0);
    expect(micro!.batch.prefix.batch).toBe(3);
    expect(micro!.batch.prefix.length).toBe(6);
    expect(micro!.batch.continuation.batch).toBe(8);
    expect(micro!.batch.continuation.length).toBe(10);
  });

  it.each([...ROWS, ['fused', 'float32', 2e-5] as const])(
    'score, %s kernels, %s: the log-probs of every continuation position',
    async (kernels, dtype, tol) => {
      const policy = new Policy(c, weights(c, dtype), { dtype, kernels, threads: 1 });
      const want = await policy.score(plain);
      const got = await policy.scoreSharedPrefix(micro!.batch);
      const pairs = positions(seqs, plain, micro!);
      expect(pairs.length).toBe(seqs.reduce((n, s) => n + s.ids.length - s.prompt, 0));
      expect(
        relativeError(
          pairs.map(([, b]) => got[b]!),
          pairs.map(([a]) => want[a]!),
        ),
      ).toBeLessThan(tol);
    },
  );

  it.each(ROWS.slice(0, 2))(
    'score, %s kernels, %s: left-padded prefixes and continuations too',
    async (kernels, dtype) => {
      const policy = new Policy(c, weights(c, dtype), { dtype, kernels, threads: 1 });
      const right = micro!.batch;
      const rows = (b: TokenBatch) =>
        Array.from({ length: b.batch }, (_, r) =>
          Array.from(b.ids.subarray(r * b.length, (r + 1) * b.length), Number).filter(
            (_, t) => b.mask[r * b.length + t] === 1n,
          ),
        );
      const left = {
        prefix: padBatch(rows(right.prefix), 0, 'left', right.prefix.length),
        continuation: padBatch(rows(right.continuation), 0, 'left', right.continuation.length),
        prefixIndex: right.prefixIndex,
      };
      const want = await policy.scoreSharedPrefix(right);
      const got = await policy.scoreSharedPrefix(left);
      const T = right.continuation.length;
      const lengths = rows(right.continuation).map((r) => r.length);
      let checked = 0;
      lengths.forEach((n, r) => {
        for (let t = 0; t + 1 < n; t++, checked++)
          expect(Math.abs(got[r * (T - 1) + T - n + t]! - want[r * (T - 1) + t]!)).toBeLessThan(1e-10);
      });
      expect(checked).toBe(lengths.reduce((a, n) => a + n - 1, 0));
    },
  );

  describe.each(ROWS)('train, %s kernels, %s', (kernels, dtype, tol) => {
    const policy = new Policy(c, weights(c, dtype), { dtype, kernels, threads: 1 });
    const pairs = positions(seqs, plain, micro!);
    const rng = new Rng(13);
    const coef = mapped(pairs, plain, micro!, () => rng.normal());
    const array = (x: Float64Array) => (dtype === 'float64' ? x : Float32Array.from(x));
    const inputs = async (clip: boolean, kl: boolean): Promise<[TrainInputs, TrainInputs]> => {
      const logp = await policy.score(plain);
      const noisy = (scale: number) => {
        const m = mapped(pairs, plain, micro!, () => 0);
        for (const [a, b] of pairs) m.plain[a] = m.prefixed[b] = logp[a]! + scale * rng.normal();
        return m;
      };
      const old = clip ? noisy(0.3) : undefined;
      const ref = kl ? noisy(0.3) : undefined;
      const klCoef = kl ? mapped(pairs, plain, micro!, () => rng.uniform()) : undefined;
      const side = (k: keyof Mapped): TrainInputs => ({
        coef: array(coef[k]),
        clip: old ? { oldLogprobs: array(old[k]), low: 0.8, high: 1.2 } : undefined,
        kl: ref ? { refLogprobs: array(ref[k]), coef: array(klCoef![k]) } : undefined,
      });
      return [side('plain'), side('prefixed')];
    };

    it.each([
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ])('clip %s, KL %s: loss, log-probs and every gradient', async (clip, kl) => {
      const [plainInputs, prefixedInputs] = await inputs(clip, kl);
      const want = await policy.trainStep(plain, plainInputs);
      const got = await policy.trainStepSharedPrefix(micro!.batch, prefixedInputs);
      expect(Math.abs(got.loss - want.loss)).toBeLessThan(tol * Math.max(1, Math.abs(want.loss)));
      expect(
        relativeError(
          pairs.map(([, b]) => got.logprobs[b]!),
          pairs.map(([a]) => want.logprobs[a]!),
        ),
      ).toBeLessThan(tol);
      if (kl) {
        // The per-token k3 the loss weighs, at the same positions.
        expect(
          relativeError(
            pairs.map(([, b]) => got.klTokens![b]!),
            pairs.map(([a]) => want.klTokens![a]!),
          ),
        ).toBeLessThan(tol);
      } else {
        expect(got.klTokens).toBeUndefined();
      }
      const errors = [...want.grads].map(([name, g]) => [name, relativeError(got.grads.get(name)!, g)] as const);
      for (const [name, err] of errors) if (!(err < tol)) throw new Error(`grad.${name}: relative error ${err}`);
      expect(errors).toHaveLength(parameterSpecs(c).length);
    });
  });
});

describe('shared-prefix micro-batches', () => {
  it('split a group across micro-batches, each bringing its prefix; their gradients add up to the whole', async () => {
    const c = SMALL_QWEN3;
    const seqs = sequences(c);
    const plain = padBatch(
      seqs.map((s) => s.ids),
      0,
    );
    const policy = new Policy(c, weights(c, 'float64'), { dtype: 'float64', threads: 1 });
    const micros = shared(seqs, 30);
    expect(micros.length).toBeGreaterThan(2);
    for (const m of micros) expect(m.tokens).toBeLessThanOrEqual(30);
    // The prompt of 7 tokens has three continuations (10, 6 and 3 tokens): 6 + 3 x 10 > 30 splits them.
    const holding = micros.filter((m) => m.rows.some((i) => seqs[i]!.prompt === 7));
    expect(holding.length).toBeGreaterThan(1);
    for (const m of holding) expect(m.batch.prefix.length).toBe(6);
    expect(micros.flatMap((m) => m.rows).sort()).toEqual(seqs.map((_, i) => i));

    const rng = new Rng(2);
    const values = seqs.map((s) => Array.from({ length: s.ids.length }, () => rng.normal()));
    const plainCoef = new Float64Array(plain.batch * (plain.length - 1));
    seqs.forEach((s, i) => {
      for (let t = s.prompt; t < s.ids.length; t++) plainCoef[i * (plain.length - 1) + t - 1] = values[i]![t]!;
    });
    const want = await policy.trainStep(plain, { coef: plainCoef });
    let loss = 0;
    const sum = new Map<string, Float64Array>();
    for (const m of micros) {
      const W = m.batch.continuation.length - 1;
      const coef = new Float64Array(m.batch.continuation.batch * W);
      m.rows.forEach((i, r) => {
        const s = seqs[i]!;
        for (let t = s.prompt; t < s.ids.length; t++) coef[r * W + t - m.offsets[r]! - 1] = values[i]![t]!;
      });
      const out = await policy.trainStepSharedPrefix(m.batch, { coef });
      loss += out.loss;
      for (const [name, g] of out.grads) {
        const acc = sum.get(name) ?? new Float64Array(g.length);
        for (let j = 0; j < g.length; j++) acc[j]! += g[j]!;
        sum.set(name, acc);
      }
    }
    expect(Math.abs(loss - want.loss)).toBeLessThan(1e-10 * Math.max(1, Math.abs(want.loss)));
    for (const [name, g] of want.grads) expect([name, relativeError(sum.get(name)!, g) < 1e-10]).toEqual([name, true]);
  });

  it('packs groups in order of first appearance, longest continuation first, and counts Q x P + B x T', () => {
    const seqs = [
      { ids: [1, 2, 3, 10], prefix: 2 },
      { ids: [4, 5, 20, 21, 22], prefix: 1 },
      { ids: [1, 2, 3, 11, 12], prefix: 2 },
      { ids: [4, 5, 23], prefix: 1 },
    ];
    const [m, ...rest] = packSharedPrefix(seqs, 0, 100);
    expect(rest).toHaveLength(0);
    expect(m!.rows).toEqual([2, 0, 1, 3]);
    expect(m!.offsets).toEqual([2, 2, 1, 1]);
    expect(Array.from(m!.batch.prefixIndex)).toEqual([0n, 0n, 1n, 1n]);
    expect(Array.from(m!.batch.prefix.ids, Number)).toEqual([1, 2, 4, 0]);
    expect(Array.from(m!.batch.prefix.mask, Number)).toEqual([1, 1, 1, 0]);
    expect(m!.batch.continuation.length).toBe(4);
    expect(Array.from(m!.batch.continuation.ids, Number).slice(0, 8)).toEqual([3, 11, 12, 0, 3, 10, 0, 0]);
    expect(m!.tokens).toBe(2 * 2 + 4 * 4);
    // A budget of 13: the first group alone (1 x 2 + 2 x 3 = 8 fits, adding the second group's 4-token
    // continuation, 2 x 2 + 3 x 4 = 16, does not), then the second group.
    expect(packSharedPrefix(seqs, 0, 13).map((b) => b.rows)).toEqual([
      [2, 0],
      [1, 3],
    ]);
    // A sequence over the budget still gets a micro-batch of its own.
    expect(packSharedPrefix(seqs, 0, 1).map((b) => b.rows)).toEqual([[2], [0], [1], [3]]);
  });

  it('packs by continuation length when a few long continuations would pad the rest', () => {
    // Two prompts (2 tokens each), each with one 20-token continuation and three of 2 tokens; budget 100.
    // By group: [A's four] (1 x 2 + 4 x 20 = 82), then [B's four] (82): 164 tokens in 2 runs. By length:
    // [the two long] (2 x 2 + 2 x 20 = 44), [the six short] (2 x 2 + 6 x 2 = 16): 60 tokens in 2 runs.
    const seq = (p: number, n: number) => ({ ids: [p, p, ...Array.from({ length: n }, (_, t) => 10 + t)], prefix: 2 });
    const seqs = [seq(1, 20), seq(1, 2), seq(1, 2), seq(1, 2), seq(2, 20), seq(2, 2), seq(2, 2), seq(2, 2)];
    const micros = packSharedPrefix(seqs, 0, 100);
    expect(micros.map((m) => m.rows)).toEqual([
      [0, 4],
      [1, 2, 3, 5, 6, 7],
    ]);
    expect(micros.map((m) => m.tokens)).toEqual([44, 16]);
    expect(Array.from(micros[1]!.batch.prefixIndex)).toEqual([0n, 0n, 0n, 1n, 1n, 1n]);
    // With room for everything, one run (2 x 2 + 8 x 20 = 164) beats two: by group, as before.
    expect(packSharedPrefix(seqs, 0, 1000).map((m) => m.rows)).toEqual([[0, 1, 2, 3, 4, 5, 6, 7]]);
  });

  it('packs every sequence exactly once, each micro-batch within the budget unless alone', () => {
    const rng = new Rng(5);
    for (let trial = 0; trial < 50; trial++) {
      const seqs = Array.from({ length: 1 + Math.floor(rng.uniform() * 40) }, () => {
        const p = Math.floor(rng.uniform() * 4);
        const n = 1 + Math.floor(rng.uniform() ** 3 * 60);
        return {
          ids: [...Array.from({ length: 3 + p }, () => p), ...Array.from({ length: n }, () => 9)],
          prefix: 3 + p,
        };
      });
      const budget = 20 + Math.floor(rng.uniform() * 400);
      const micros = packSharedPrefix(seqs, 0, budget);
      expect(micros.flatMap((m) => m.rows).sort((a, b) => a - b)).toEqual(seqs.map((_, i) => i));
      for (const m of micros) if (m.rows.length > 1) expect(m.tokens).toBeLessThanOrEqual(budget);
    }
  });

  it('refuses dynamic NTK RoPE, which scales a prompt by its whole sequence', () => {
    const c: ModelConfig = { ...SMALL_QWEN3, maxPositionEmbeddings: 8, ropeScaling: { type: 'dynamic', factor: 2 } };
    expect(() => buildSharedPrefixTrainGraph(c)).toThrow(/dynamic NTK/);
    expect(new Policy(c, weights(c, 'float32')).sharesPrefixes).toBe(false);
    expect(new Policy(SMALL_QWEN3, weights(SMALL_QWEN3, 'float32')).sharesPrefixes).toBe(true);
  });
});
