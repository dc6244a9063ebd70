import type { ModelConfig } from '../../src/model/config.js';
import { PRESET_CONFIGS } from '../../src/model/presets.js';
import { randomWeights } from '../../src/model/init.js';
import { Policy } from '../../src/runtime/policy.js';
import { padBatch } from '../../src/runtime/batch.js';
import { generate } from '../../src/runtime/generate.js';
import { generateReference } from '../../src/runtime/generate-reference.js';
import { buildNextTokenGraph } from '../../src/runtime/graphs.js';
import type { GenerateOptions } from '../../src/runtime/rollout.js';
import { tensor } from '../../src/runtime/session.js';
import { Rng } from '../../src/util/rng.js';
import { SMALL_YARN } from '../fixtures/small-models.js';

const tiny = PRESET_CONFIGS.tiny;
const base: GenerateOptions = {
  samplesPerPrompt: 1,
  maxNewTokens: 10,
  temperature: 0,
  topP: 1,
  topK: 0,
  stop: { eosIds: [], forceCloseIds: [] },
  seed: 1,
};
const prompts = (rng: Rng, lengths: number[], vocab: number) =>
  lengths.map((n) => Array.from({ length: n }, () => 1 + rng.int(vocab - 1)));

describe('greedy decoding by the loop graph equals repeated full forward passes', () => {
  it.each([
    ['tiny', 0.1, 12],
    ['small', 0.05, 6],
  ] as const)('%s preset, mixed prompt lengths', async (preset, std, steps) => {
    const c = PRESET_CONFIGS[preset];
    const policy = new Policy(c, randomWeights(c, 7, std), { threads: 2 });
    const ps = prompts(new Rng(3), [9, 3, 6], c.vocabSize);
    const o = { ...base, maxNewTokens: steps };
    const fast = await generate(policy, ps, o);
    const slow = await generateReference(policy, ps, o);
    expect(fast.map((r) => r.tokens)).toEqual(slow.map((r) => r.tokens));
    fast.forEach((r, i) =>
      r.logprobs.forEach((lp, t) => expect(Math.abs(lp - slow[i]!.logprobs[t]!)).toBeLessThan(1e-4)),
    );
  });

  it('in float64 too (the step graph then builds RMSNorm and RoPE from primitives, not fused ops)', async () => {
    const w = new Map([...randomWeights(tiny, 7, 0.1)].map(([k, v]) => [k, Float64Array.from(v)]));
    const policy = new Policy(tiny, w, { threads: 2, dtype: 'float64' });
    const ps = prompts(new Rng(4), [7, 2, 5], tiny.vocabSize);
    const o = { ...base, maxNewTokens: 12 };
    const fast = await generate(policy, ps, o);
    const slow = await generateReference(policy, ps, o);
    expect(fast.map((r) => r.tokens)).toEqual(slow.map((r) => r.tokens));
    fast.forEach((r, i) =>
      r.logprobs.forEach((lp, t) => expect(Math.abs(lp - slow[i]!.logprobs[t]!)).toBeLessThan(1e-9)),
    );
  });
});

describe('with RoPE scaling, greedy decoding by the loop graph equals repeated full forward passes', () => {
  const yarn: ModelConfig = {
    ...tiny,
    ropeScaling: SMALL_YARN,
  };
  it.each([
    ['llama3.2-tiny preset (llama3)', PRESET_CONFIGS['llama3.2-tiny']],
    ['tiny with yarn (scaled cos / sin)', yarn],
  ] as const)('%s, float32 (fused RoPE) and float64', async (_name, c) => {
    const ps = prompts(new Rng(5), [8, 3], c.vocabSize);
    const o = { ...base, maxNewTokens: 8 };
    for (const [dtype, tol] of [
      ['float32', 1e-4],
      ['float64', 1e-9],
    ] as const) {
      const w = randomWeights(c, 7, 0.1);
      const policy = new Policy(
        c,
        dtype === 'float32' ? w : new Map([...w].map(([k, v]) => [k, Float64Array.from(v)])),
        { threads: 2, dtype },
      );
      const fast = await generate(policy, ps, o);
      const slow = await generateReference(policy, ps, o);
      expect(fast.map((r) => r.tokens)).toEqual(slow.map((r) => r.tokens));
      fast.forEach((r, i) =>
        r.logprobs.forEach((lp, t) => expect(Math.abs(lp - slow[i]!.logprobs[t]!)).toBeLessThan(tol)),
      );
    }
  });
});

describe('the prompt level of the KV cache, read by all M rows of a prompt', () => {
  // Top-k / top-p sampling (which the reference reproduces draw for draw), so that the rows of a prompt differ.
  it.each([
    ['float32', 'fused', 1e-4],
    ['float64', 'fast', 1e-9],
    ['float64', 'reference', 1e-9],
  ] as const)(
    '%s, %s kernels: M = 3 rollouts of left-padded prompts of different lengths equal the reference',
    async (dtype, kernels, tol) => {
      const w = randomWeights(tiny, 9, 0.25);
      const weights = dtype === 'float32' ? w : new Map([...w].map(([k, v]) => [k, Float64Array.from(v)]));
      const policy = new Policy(tiny, weights, { threads: 2, dtype, kernels });
      const ps = prompts(new Rng(10), [9, 3, 6], tiny.vocabSize);
      const o: GenerateOptions = {
        ...base,
        samplesPerPrompt: 3,
        maxNewTokens: 12,
        temperature: 1,
        topK: 50,
        topP: 0.9,
        seed: 5,
      };
      const fast = await generate(policy, ps, o, 0, 4); // chunks of 4 steps: merges of the rows' levels too
      const slow = await generateReference(policy, ps, o);
      expect(fast.map((r) => [r.prompt, r.sample])).toEqual(slow.map((r) => [r.prompt, r.sample]));
      expect(fast.map((r) => r.tokens)).toEqual(slow.map((r) => r.tokens));
      fast.forEach((r, i) =>
        r.logprobs.forEach((lp, t) => expect(Math.abs(lp - slow[i]!.logprobs[t]!)).toBeLessThan(tol)),
      );
      for (const p of [0, 1, 2]) {
        const own = fast.filter((r) => r.prompt === p).map((r) => r.tokens.join());
        expect(new Set(own).size).toBeGreaterThan(1);
      }
    },
  );
});

describe('weights held by the decode step', () => {
  const ps = prompts(new Rng(8), [5, 8], tiny.vocabSize);
  const o = { ...base, maxNewTokens: 10 };
  const same = async (policy: Policy) => {
    const fast = await generate(policy, ps, o);
    const slow = await generateReference(policy, ps, o);
    expect(fast.map((r) => r.tokens)).toEqual(slow.map((r) => r.tokens));
    return fast.map((r) => r.tokens);
  };

  it('as inputs or as initializers, greedy decoding equals full forward passes', async () => {
    const w = randomWeights(tiny, 12, 0.1);
    const inputs = await same(new Policy(tiny, w, { threads: 2, embedGenerateWeights: false }));
    const embedded = await same(new Policy(tiny, w, { threads: 2, embedGenerateWeights: true }));
    expect(embedded).toEqual(inputs);
  });

  it('follows weights changed in place, announced or not', async () => {
    const w = randomWeights(tiny, 13, 0.1);
    const policy = new Policy(tiny, w, { threads: 2, embedGenerateWeights: true });
    const before = await same(policy);
    const perturb = (seed: number) => {
      const rng = new Rng(seed);
      for (const a of w.values()) for (let i = 0; i < a.length; i++) a[i]! += 0.05 * rng.normal();
    };
    perturb(1);
    policy.weightsChanged();
    const announced = await same(policy);
    expect(announced).not.toEqual(before);
    perturb(2);
    const silent = await same(policy);
    expect(silent).not.toEqual(announced);
  });
});

describe('sampling', () => {
  const policy = new Policy(tiny, randomWeights(tiny, 11, 0.25), { threads: 2 });
  const prompt = [5, 9, 17, 33];

  async function nextTokenProbs(temperature: number, p: Policy = policy): Promise<Float64Array> {
    const session = await p.session('next-token', () => buildNextTokenGraph(p.config));
    const b = padBatch([prompt], 0, 'left');
    const out = await session.run({
      ...p.weightFeeds(),
      input_ids: tensor('int64', b.ids, [1, b.length]),
      attention_mask: tensor('int64', b.mask, [1, b.length]),
    });
    const logits = out.logits!.data as Float32Array;
    const m = Math.max(...logits);
    const probs = Float64Array.from(logits, (l) => Math.exp((l - m) / temperature));
    const z = probs.reduce((a, x) => a + x, 0);
    return probs.map((x) => x / z);
  }

  // 1000 is not a multiple of the sampler's 128-token blocks, so its last block is padded.
  it.each([[1024], [1000]])(
    'draws next tokens with the frequencies of softmax(logits / T) (chi-square, fixed seed), vocabulary %d',
    async (vocabSize) => {
      const c = { ...tiny, vocabSize };
      const sampler = vocabSize === tiny.vocabSize ? policy : new Policy(c, randomWeights(c, 11, 0.25), { threads: 2 });
      const T = 0.7,
        n = 20000;
      const p = await nextTokenProbs(T, sampler);
      const rollouts = await generate(sampler, [prompt], {
        ...base,
        temperature: T,
        samplesPerPrompt: n,
        maxNewTokens: 1,
        seed: 42,
      });
      const counts = new Float64Array(vocabSize);
      for (const r of rollouts) counts[r.tokens[0]!]!++;
      // Pool tokens with expected count < 5 into one bin.
      let chi2 = 0,
        bins = 0,
        pooledObs = 0,
        pooledExp = 0;
      for (let v = 0; v < p.length; v++) {
        const e = n * p[v]!;
        if (e < 5) {
          pooledObs += counts[v]!;
          pooledExp += e;
          continue;
        }
        chi2 += (counts[v]! - e) ** 2 / e;
        bins++;
      }
      if (pooledExp > 0) {
        chi2 += (pooledObs - pooledExp) ** 2 / pooledExp;
        bins++;
      }
      const dof = bins - 1;
      // Wilson-Hilferty: the 99.9% quantile of chi-square(dof).
      const z = 3.09,
        h = 2 / (9 * dof);
      const critical = dof * (1 - h + z * Math.sqrt(h)) ** 3;
      expect(dof).toBeGreaterThan(20);
      expect(chi2).toBeLessThan(critical);
      // And it is not merely uniform: the most likely token is drawn far more than 1/V of the time.
      const top = p.indexOf(Math.max(...p));
      expect(counts[top]! / n).toBeGreaterThan(5 / vocabSize);
      // The sampling log-prob is that of softmax(logits / T).
      for (const r of rollouts.slice(0, 20))
        expect(Math.abs(r.samplingLogprobs[0]! - Math.log(p[r.tokens[0]!]!))).toBeLessThan(1e-4);
    },
  );

  it('top-k and top-p never emit a token outside the kept set', async () => {
    const p = await nextTokenProbs(1);
    const order = Array.from(p.keys()).sort((a, b) => p[b]! - p[a]!);
    const topK = new Set(order.slice(0, 5));
    const k = await generate(policy, [prompt], {
      ...base,
      temperature: 1,
      topK: 5,
      samplesPerPrompt: 2000,
      maxNewTokens: 1,
      seed: 3,
    });
    expect(k.every((r) => topK.has(r.tokens[0]!))).toBe(true);
    expect(new Set(k.map((r) => r.tokens[0])).size).toBeGreaterThan(1);
    let cum = 0;
    const nucleus = new Set<number>();
    for (const t of order) {
      if (cum >= 0.3) break;
      nucleus.add(t);
      cum += p[t]!;
    }
    const q = await generate(policy, [prompt], {
      ...base,
      temperature: 1,
      topP: 0.3,
      samplesPerPrompt: 2000,
      maxNewTokens: 1,
      seed: 4,
    });
    expect(q.every((r) => nucleus.has(r.tokens[0]!))).toBe(true);
    // The sampling log-prob is that of the renormalised kept distribution.
    const mass = [...nucleus].reduce((a, t) => a + p[t]!, 0);
    for (const r of q.slice(0, 20))
      expect(Math.abs(r.samplingLogprobs[0]! - Math.log(p[r.tokens[0]!]! / mass))).toBeLessThan(1e-4);
  });

  it('the same seed gives identical rollouts, another seed different ones', async () => {
    const o = { ...base, temperature: 1, samplesPerPrompt: 4, maxNewTokens: 8, seed: 9 };
    const a = await generate(policy, [prompt, [7, 8]], o);
    const b = await generate(policy, [prompt, [7, 8]], o);
    const c = await generate(policy, [prompt, [7, 8]], { ...o, seed: 10 });
    expect(a).toEqual(b);
    expect(a.map((r) => r.tokens)).not.toEqual(c.map((r) => r.tokens));
  });
});

describe('decoding rules', () => {
  const policy = new Policy(tiny, randomWeights(tiny, 5, 0.1), { threads: 2 });
  const ps = [
    [3, 4, 5, 6],
    [8, 9],
  ];

  it('returns log-probs equal to the score graph on the same sequences', async () => {
    const rs = await generate(policy, ps, { ...base, temperature: 1, samplesPerPrompt: 2, maxNewTokens: 9, seed: 2 });
    const seqs = rs.map((r) => [...ps[r.prompt]!, ...r.tokens]);
    const batch = padBatch(seqs, 0);
    const lp = await policy.score(batch);
    rs.forEach((r, b) => {
      const P = ps[r.prompt]!.length;
      r.tokens.forEach((_, t) =>
        expect(Math.abs(lp[b * (batch.length - 1) + P - 1 + t]! - r.logprobs[t]!)).toBeLessThan(1e-4),
      );
    });
  });

  it('forces the close of thinking after the budget, then stops after the answer budget', async () => {
    const o: GenerateOptions = {
      ...base,
      maxNewTokens: 30,
      thinkingBudget: 4,
      answerBudget: 3,
      stop: { eosIds: [], forceCloseIds: [1000, 1001, 1002], thinkStartId: 1010, thinkEndId: 1011 },
    };
    const rs = await generate(policy, ps, o);
    for (const r of rs) {
      expect(r.tokens.length).toBe(4 + 3 + 3);
      expect(r.tokens.slice(4, 7)).toEqual([1000, 1001, 1002]);
      expect(r.thinkingForced).toBe(true);
      expect(r.finishReason).toBe('answer-budget');
      expect(r.rationale).toEqual([r.tokens[0] === 1010 ? 1 : 0, 4]);
      expect(r.answer).toEqual([7, 10]);
      expect(r.samplingLogprobs.slice(4, 7)).toEqual([0, 0, 0]);
    }
    const ref = await generateReference(policy, ps, o);
    expect(rs.map((r) => r.tokens)).toEqual(ref.map((r) => r.tokens));
  });

  it('gives the same rollouts whatever the chunk length of the two-level KV cache', async () => {
    const o: GenerateOptions = { ...base, temperature: 1, samplesPerPrompt: 3, maxNewTokens: 11, seed: 6 };
    const free = await generate(policy, ps, o, 0, 11);
    // A stop token met mid-chunk by some rows, so rows finish at different steps.
    const stop = { eosIds: [free[0]!.tokens[4]!, free[3]!.tokens[6]!], forceCloseIds: [] };
    const runs = await Promise.all([11, 1, 3, 4, 64].map((chunk) => generate(policy, ps, { ...o, stop }, 0, chunk)));
    expect(runs[0]!.some((r) => r.finishReason === 'eos')).toBe(true);
    expect(runs[0]!.some((r) => r.tokens.length === 11)).toBe(true);
    for (const run of runs.slice(1)) {
      expect(run.map((r) => r.tokens)).toEqual(runs[0]!.map((r) => r.tokens));
      run.forEach((r, i) =>
        r.logprobs.forEach((lp, t) => expect(Math.abs(lp - runs[0]![i]!.logprobs[t]!)).toBeLessThan(1e-5)),
      );
    }
  });

  it('ends a sequence at a stop token, and at max new tokens', async () => {
    const free = await generate(policy, ps, { ...base, maxNewTokens: 6 });
    expect(free.every((r) => r.tokens.length === 6 && r.finishReason === 'length')).toBe(true);
    const stop = free[0]!.tokens[2]!;
    const stopped = await generate(policy, ps, {
      ...base,
      maxNewTokens: 6,
      stop: { eosIds: [stop], forceCloseIds: [] },
    });
    expect(stopped[0]!.tokens).toEqual(free[0]!.tokens.slice(0, free[0]!.tokens.indexOf(stop) + 1));
    expect(stopped[0]!.finishReason).toBe('eos');
    expect(stopped[0]!.answer[1]).toBe(stopped[0]!.tokens.length - 1);
  });
});
