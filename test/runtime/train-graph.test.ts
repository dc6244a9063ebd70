import { parameterSpecs, type ModelConfig } from '../../src/model/config.js';
import { PRESET_CONFIGS } from '../../src/model/presets.js';
import { randomWeights } from '../../src/model/init.js';
import { Policy, type TrainInputs } from '../../src/runtime/policy.js';
import { padBatch, type TokenBatch } from '../../src/runtime/batch.js';
import { createOptimizer } from '../../src/runtime/optimizer.js';
import { Rng } from '../../src/util/rng.js';
import { SMALL_YARN } from '../fixtures/small-models.js';

const tiny = PRESET_CONFIGS.tiny;

/** Tiny-preset weights in float64, with larger-than-usual weights and non-unit norm gains so every path is exercised. */
function generic64(c: ModelConfig, seed: number): Map<string, Float64Array> {
  const rng = new Rng(seed + 100);
  const w = randomWeights(c, seed, 0.08);
  const out = new Map<string, Float64Array>();
  for (const s of parameterSpecs(c)) {
    const a = Float64Array.from(w.get(s.name)!);
    if (s.kind === 'norm') for (let i = 0; i < a.length; i++) a[i] = 1 + 0.2 * rng.normal();
    out.set(s.name, a);
  }
  return out;
}

function randomSeqs(rng: Rng, lengths: number[], vocab: number): number[][] {
  return lengths.map((n) => Array.from({ length: n }, () => rng.int(vocab)));
}

/** Per-token values for real target positions, 0 on padding. */
function perToken(batch: TokenBatch, f: () => number): Float64Array {
  const T = batch.length,
    out = new Float64Array(batch.batch * (T - 1));
  for (let b = 0; b < batch.batch; b++)
    for (let t = 0; t < T - 1; t++) if (batch.mask[b * T + t + 1] === 1n) out[b * (T - 1) + t] = f();
  return out;
}

describe('train graph gradients against central finite differences (tiny preset, float64)', () => {
  const rng = new Rng(5);
  const weights = generic64(tiny, 3);
  const policy = new Policy(tiny, weights, { dtype: 'float64', threads: 1 });
  const batch = padBatch(randomSeqs(rng, [9, 6, 3], tiny.vocabSize), 0);
  const coef = perToken(batch, () => rng.normal());

  async function check(inputs: TrainInputs) {
    const { grads } = await policy.trainStep(batch, inputs);
    const h = 1e-5;
    let worst = 0,
      checked = 0;
    const sample = new Rng(11);
    for (const spec of parameterSpecs(tiny)) {
      const w = weights.get(spec.name)!;
      const g = grads.get(spec.name)!;
      // Embedding rows of tokens in the batch carry the signal; pick those for the embedding.
      const coords =
        spec.kind === 'embedding'
          ? [Number(batch.ids[0]) * tiny.hiddenSize + 5, Number(batch.ids[10]) * tiny.hiddenSize + 77]
          : [sample.int(w.length), sample.int(w.length)];
      for (const i of coords) {
        const x = w[i]!;
        w[i] = x + h;
        const lp = (await policy.trainStep(batch, inputs)).loss;
        w[i] = x - h;
        const lm = (await policy.trainStep(batch, inputs)).loss;
        w[i] = x;
        const numeric = (lp - lm) / (2 * h);
        // Truncation ~h^2 and round-off ~1e-16 * |loss| / h ~ 1e-10: 1e-7 absolute + 1e-5 relative is a wide margin.
        const err = Math.abs(numeric - g[i]!) / (1e-7 / 1e-5 + Math.abs(numeric));
        worst = Math.max(worst, err);
        checked++;
        if (err > 1e-5) throw new Error(`${spec.name}[${i}]: analytic ${g[i]} vs numeric ${numeric}`);
      }
    }
    return { worst, checked };
  }

  it('policy-gradient loss with padding', async () => {
    const r = await check({ coef });
    expect(r.checked).toBe(2 * parameterSpecs(tiny).length);
  });

  it('with PPO clipping active on some tokens and inactive on others', async () => {
    const logp = await policy.score(batch);
    const old = Float64Array.from(logp, (v) => v + 0.4 * rng.normal());
    const ratios = Array.from(logp, (v, i) => Math.exp(v - old[i]!)).filter((_, i) => coef[i] !== 0);
    expect(ratios.some((r) => r < 0.8 || r > 1.2)).toBe(true);
    expect(ratios.some((r) => r > 0.8 && r < 1.2)).toBe(true);
    await check({ coef, clip: { oldLogprobs: old, low: 0.8, high: 1.2 } });
  });

  it('with the k3 KL term', async () => {
    const logp = await policy.score(batch);
    const ref = Float64Array.from(logp, (v) => v + 0.3 * rng.normal());
    await check({ coef, kl: { refLogprobs: ref, coef: perToken(batch, () => 0.05) } });
  });

  it('clipping with old = current log-probs gives the unclipped gradient', async () => {
    const logp = await policy.score(batch);
    const a = await policy.trainStep(batch, { coef });
    const b = await policy.trainStep(batch, { coef, clip: { oldLogprobs: logp, low: 0.8, high: 1.2 } });
    // At ratio 1 the clipped surrogate's value is -sum(coef), its gradient that of -sum(coef * logp).
    expect(Math.abs(b.loss + coef.reduce((x, y) => x + y, 0))).toBeLessThan(1e-9);
    for (const [name, g] of a.grads) {
      const g2 = b.grads.get(name)!;
      for (let i = 0; i < g.length; i += 97) expect(Math.abs(g[i]! - g2[i]!)).toBeLessThan(1e-9);
    }
  });
});

/** k3 = exp(ref - logp) - (ref - logp) - 1 per token (Schulman's unbiased, non-negative KL(pi || ref) estimator). */
const k3 = (ref: number, logp: number) => Math.exp(ref - logp) - (ref - logp) - 1;

/** Largest |a - b| over every gradient entry, and the largest |b|, to compare two gradient maps. */
function gradGap(a: Map<string, ArrayLike<number>>, b: Map<string, ArrayLike<number>>): { gap: number; scale: number } {
  let gap = 0,
    scale = 0;
  for (const [name, x] of b) {
    const y = a.get(name)!;
    for (let i = 0; i < x.length; i++) {
      gap = Math.max(gap, Math.abs(y[i]! - x[i]!));
      scale = Math.max(scale, Math.abs(x[i]!));
    }
  }
  return { gap, scale };
}

describe('train graph loss terms against direct computations (tiny preset, float64)', () => {
  const rng = new Rng(17);
  const weights = generic64(tiny, 8);
  const policy = new Policy(tiny, weights, { dtype: 'float64', threads: 1 });
  const batch = padBatch(randomSeqs(rng, [8, 5, 3], tiny.vocabSize), 0);
  const coef = perToken(batch, () => rng.normal());
  const zeros = new Float64Array(coef.length);

  it('the k3 KL term: loss is -sum(coef logp) + sum(kl_coef k3), its gradient that of kl_coef (1 - exp(ref - logp)) logp', async () => {
    const logp = await policy.score(batch);
    // A reference off by ~0.3 nats (sd) either way, and per-token weights that differ, so a wrong
    // form (k1 = ref - logp, k2 = (ref - logp)^2 / 2, a flipped sign, a dropped or unweighted term) shows.
    const ref = Float64Array.from(logp, (v) => v + 0.3 * rng.normal());
    const klCoef = perToken(batch, () => 0.02 + 0.1 * rng.uniform());
    let direct = 0;
    for (let i = 0; i < logp.length; i++) direct += klCoef[i]! * k3(ref[i]!, logp[i]!);
    expect(direct).toBeGreaterThan(1e-3);

    const withKl = await policy.trainStep(batch, { coef, kl: { refLogprobs: ref, coef: klCoef } });
    const without = await policy.trainStep(batch, { coef });
    // kl_tokens: the per-token k3 the loss weighs (what the trainer logs), every position.
    expect(without.klTokens).toBeUndefined();
    expect(withKl.klTokens).toHaveLength(logp.length);
    let worstK3 = 0;
    for (let i = 0; i < logp.length; i++)
      worstK3 = Math.max(worstK3, Math.abs(withKl.klTokens![i]! - k3(ref[i]!, logp[i]!)));
    expect(worstK3).toBeLessThan(1e-12);
    let pg = 0;
    for (let i = 0; i < logp.length; i++) pg -= coef[i]! * logp[i]!;
    expect(Math.abs(without.loss - pg)).toBeLessThan(1e-9);
    expect(Math.abs(withKl.loss - without.loss - direct)).toBeLessThan(1e-9);

    // The KL term alone: its value, and its gradient sum(kl_coef (1 - exp(ref - logp)) d logp), which is
    // the policy-gradient loss's gradient (-sum(c d logp), checked against finite differences above)
    // with c = kl_coef (exp(ref - logp) - 1): tokens where the policy is above the reference are pushed down.
    const klOnly = await policy.trainStep(batch, { coef: zeros, kl: { refLogprobs: ref, coef: klCoef } });
    expect(Math.abs(klOnly.loss - direct)).toBeLessThan(1e-9);
    const pull = Float64Array.from(logp, (v, i) => klCoef[i]! * (Math.exp(ref[i]! - v) - 1));
    const expected = await policy.trainStep(batch, { coef: pull });
    const { gap, scale } = gradGap(klOnly.grads, expected.grads);
    expect(scale).toBeGreaterThan(1e-4);
    expect(gap / scale).toBeLessThan(1e-9);

    // Against the reference itself the KL term is zero, in value and gradient.
    const same = await policy.trainStep(batch, { coef: zeros, kl: { refLogprobs: logp, coef: klCoef } });
    expect(Math.abs(same.loss)).toBeLessThan(1e-12);
    let largest = 0;
    for (const g of same.grads.values())
      for (let i = 0; i < g.length; i++) largest = Math.max(largest, Math.abs(g[i]!));
    expect(largest).toBeLessThan(1e-12);
  });

  it('PPO clipping takes min(r A, clip(r) A) token by token, for both signs of the advantage', async () => {
    // One sequence of 6 tokens: five targets, each with a ratio r = exp(logp - old) set by its old log-prob.
    const one = padBatch([[3, 14, 15, 92, 65, 35]], 0);
    const logp = await policy.score(one);
    // Per token, r A against clip(r) A for the range [0.8, 1.2], and the min the graph must take:
    // A > 0, r above the range:  2 * 1.5 = 3,    2 * 1.2 = 2.4    ->  2.4  (max: 3)
    // A > 0, r below the range:  0.5 * 0.5 = .25, 0.5 * 0.8 = 0.4  ->  0.25 (max: 0.4)
    // A < 0, r above the range: -1 * 1.5 = -1.5, -1 * 1.2 = -1.2   -> -1.5  (max: -1.2)
    // A < 0, r below the range: -3 * 0.5 = -1.5, -3 * 0.8 = -2.4   -> -2.4  (max: -1.5)
    // r inside the range:        1 * 1.1 = 1.1,   1 * 1.1 = 1.1    ->  1.1  (max: 1.1)
    // loss = -sum(min) = -(2.4 + 0.25 - 1.5 - 2.4 + 1.1) = 0.15; with max it would be -1.8.
    const A = Float64Array.of(2, 0.5, -1, -3, 1);
    const r = [1.5, 0.5, 1.5, 0.5, 1.1];
    const old = Float64Array.from(logp, (v, i) => v - Math.log(r[i]!));
    const out = await policy.trainStep(one, { coef: A, clip: { oldLogprobs: old, low: 0.8, high: 1.2 } });
    expect(Math.abs(out.loss - 0.15)).toBeLessThan(1e-12);

    // The gradient flows through r A where the min picks it (tokens 1, 2 and 4: d(r A) = r A d logp)
    // and not at all where it picks the constant clip(r) A (tokens 0 and 3).
    const unclipped = Float64Array.of(0, 0.5 * 0.5, -1 * 1.5, 0, 1 * 1.1);
    const expected = await policy.trainStep(one, { coef: unclipped });
    const { gap, scale } = gradGap(out.grads, expected.grads);
    expect(scale).toBeGreaterThan(1e-4);
    expect(gap / scale).toBeLessThan(1e-9);
  });
});

describe('train graph with RoPE scaling (float64, small dims)', () => {
  const small: ModelConfig = {
    ...tiny,
    vocabSize: 97,
    hiddenSize: 32,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 16,
    intermediateSize: 48,
  };
  it.each([
    [
      'yarn',
      {
        ...small,
        ropeScaling: SMALL_YARN,
      },
    ],
    [
      'dynamic, one row past max_position_embeddings',
      { ...small, maxPositionEmbeddings: 6, ropeScaling: { type: 'dynamic', factor: 2 } },
    ],
  ] as [string, ModelConfig][])(
    '%s: log-probs equal the score graph right or left padded; q/k gradients match finite differences',
    async (_name, c) => {
      const weights = generic64(c, 4);
      const policy = new Policy(c, weights, { dtype: 'float64', threads: 1 });
      const rng = new Rng(6);
      const seqs = randomSeqs(rng, [9, 4], c.vocabSize);
      const batch = padBatch(seqs, 0, 'right');
      const coef = perToken(batch, () => rng.normal());
      const { logprobs, grads } = await policy.trainStep(batch, { coef });
      const left = await policy.score(padBatch(seqs, 0, 'left'));
      const T = batch.length;
      seqs.forEach((sq, b) => {
        for (let t = 0; t < sq.length - 1; t++)
          expect(Math.abs(logprobs[b * (T - 1) + t]! - left[b * (T - 1) + T - sq.length + t]!)).toBeLessThan(1e-10);
      });
      const h = 1e-5;
      for (const name of ['model.layers.0.self_attn.q_proj.weight', 'model.layers.1.self_attn.k_proj.weight']) {
        const w = weights.get(name)!;
        for (const i of [3, 301]) {
          const x = w[i]!;
          w[i] = x + h;
          const lp = (await policy.trainStep(batch, { coef })).loss;
          w[i] = x - h;
          const lm = (await policy.trainStep(batch, { coef })).loss;
          w[i] = x;
          const numeric = (lp - lm) / (2 * h);
          expect(Math.abs(numeric - grads.get(name)![i]!) / (1e-2 + Math.abs(numeric))).toBeLessThan(1e-5);
        }
      }
    },
  );
});

describe('score and train graphs (tiny preset, float32)', () => {
  const weights = randomWeights(tiny, 9, 0.05);
  const policy = new Policy(tiny, weights, { threads: 1 });
  const rng = new Rng(21);
  const seqs = randomSeqs(rng, [12, 7, 4], tiny.vocabSize);

  it('score and train graphs give the same log-probs', async () => {
    const batch = padBatch(seqs, 0);
    const s = await policy.score(batch);
    const t = await policy.trainStep(batch, { coef: new Float32Array(s.length) });
    for (let i = 0; i < s.length; i++) expect(Math.abs(s[i]! - t.logprobs[i]!)).toBeLessThan(1e-6);
  });

  it('padded (right or left) and unpadded batches give the same log-probs for the same sequence', async () => {
    const right = padBatch(seqs, 0, 'right');
    const left = padBatch(seqs, 0, 'left');
    const lr = await policy.score(right),
      ll = await policy.score(left);
    const T = right.length;
    for (let b = 0; b < seqs.length; b++) {
      const alone = await policy.score(padBatch([seqs[b]!], 0));
      const n = seqs[b]!.length - 1;
      for (let t = 0; t < n; t++) {
        expect(Math.abs(lr[b * (T - 1) + t]! - alone[t]!)).toBeLessThan(1e-5);
        expect(Math.abs(ll[b * (T - 1) + (T - 1 - n) + t]! - alone[t]!)).toBeLessThan(1e-5);
      }
    }
  });

  it('AdamW on a fixed batch drives the loss down by at least 90%', async () => {
    const c: ModelConfig = { ...tiny };
    const w = randomWeights(c, 4);
    const p = new Policy(c, w, { threads: 2 });
    const batch = padBatch(randomSeqs(new Rng(2), [32, 32, 24, 16], c.vocabSize), 0);
    const ntok = batch.batch * (batch.length - 1);
    const coef = Float32Array.from(
      perToken(batch, () => 1),
      (v) => v / ntok,
    );
    const opt = createOptimizer(w, { kind: 'adamw', weightDecay: 0 });
    let first = NaN,
      last = NaN;
    for (let step = 0; step < 60; step++) {
      const { loss, grads } = await p.trainStep(batch, { coef });
      if (step === 0) first = loss;
      last = loss;
      opt.step(grads as Map<string, Float32Array>, 3e-3);
    }
    expect(last).toBeLessThan(0.1 * first);
  });
});

describe('edge lengths', () => {
  it('scores sequences of 1, 2 and 3 tokens (the causal blocks of attention may be empty)', async () => {
    const policy = new Policy(tiny, randomWeights(tiny, 6), { threads: 2 });
    expect((await policy.score(padBatch([[5]], 0))).length).toBe(0);
    const two = await policy.score(padBatch([[5, 6]], 0));
    const three = await policy.score(padBatch([[5, 6, 7]], 0));
    const mixed = await policy.score(
      padBatch(
        [
          [5, 6],
          [5, 6, 7],
        ],
        0,
        'left',
      ),
    );
    expect(two.length).toBe(1);
    expect(three.length).toBe(2);
    // The same prefix scores the same, whatever the batch length (T = 2 puts one query in each block; T = 3 splits 1 + 2).
    expect(Math.abs(three[0]! - two[0]!)).toBeLessThan(1e-5);
    expect(Math.abs(mixed[1]! - two[0]!)).toBeLessThan(1e-5);
  });
});

describe('gradients on several threads', () => {
  it('the embedding gradient adds every occurrence of a repeated token (no lost updates)', async () => {
    // 2,048 positions drawn from 12 tokens: each row of the embedding gradient sums ~170 updates.
    const rng = new Rng(21);
    const batch = padBatch(randomSeqs(rng, Array(8).fill(256), 12), 0);
    const coef = perToken(batch, () => rng.normal());
    const w32 = randomWeights(tiny, 4);
    const w64 = new Map([...w32].map(([k, v]) => [k, Float64Array.from(v)]));
    const exact = (await new Policy(tiny, w64, { dtype: 'float64', threads: 1 }).trainStep(batch, { coef })).grads.get(
      'model.embed_tokens.weight',
    )!;
    const threaded = (
      await new Policy(tiny, w32, { threads: 2 }).trainStep(batch, { coef: Float32Array.from(coef) })
    ).grads.get('model.embed_tokens.weight')!;
    let worst = 0,
      scale = 0;
    for (let i = 0; i < exact.length; i++) {
      worst = Math.max(worst, Math.abs(threaded[i]! - exact[i]!));
      scale = Math.max(scale, Math.abs(exact[i]!));
    }
    expect(worst / scale).toBeLessThan(1e-4);
  });
});
