/** train.updates_per_batch: several PPO updates per batch of rollouts, the clip acting from the second. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { accumulateGradients, type GradientJob } from '../../src/experiment/gradients.js';
import { runPaths } from '../../src/run-dir/paths.js';
import type { TrainingSequence } from '../../src/experiment/sequences.js';
import type { SequenceCoefficient } from '../../src/objectives/coefficients.js';
import { trainingStep } from '../../src/experiment/step.js';
import { RandomStreams } from '../../src/experiment/streams.js';
import { PhaseTimer } from '../../src/experiment/timer.js';
import { createStepContext, loadRunInputs, trainItems } from '../../src/experiment/run-inputs.js';
import { runTraining } from '../../src/experiment/train.js';
import { randomWeights } from '../../src/model/init.js';
import { PRESET_CONFIGS } from '../../src/model/presets.js';
import { padBatch } from '../../src/runtime/batch.js';
import { Policy } from '../../src/runtime/policy.js';
import { Rng } from '../../src/util/rng.js';
import { scratchWithModel, testConfig, type Scratch } from './helpers.js';

let s: Scratch;
beforeAll(async () => {
  s = await scratchWithModel(4);
});
afterAll(async () => s.cleanup());

const quiet = { console: false, progress: false };

describe('config: train.updates_per_batch', () => {
  it('defaults to 1 and takes an integer >= 1 with grpo only', () => {
    expect(testConfig(s, 'grpo', 'out').train.updates_per_batch).toBe(1);
    expect(testConfig(s, 'grpo', 'out', ['train.updates_per_batch=4']).train.updates_per_batch).toBe(4);
    expect(() => testConfig(s, 'grpo', 'out', ['train.updates_per_batch=0'])).toThrow(/updates_per_batch/);
    expect(() => testConfig(s, 'grpo', 'out', ['train.updates_per_batch=1.5'])).toThrow(/updates_per_batch/);
    for (const a of ['rloo', 'garl', 'paft', 'sft']) {
      expect(() => testConfig(s, a, 'out', ['train.updates_per_batch=2'])).toThrow(/updates_per_batch.*expected 1 for/);
      expect(testConfig(s, a, 'out', ['train.updates_per_batch=1']).train.updates_per_batch).toBe(1);
    }
  });
});

describe('the clip in the gradient and the clip fraction', () => {
  it('a token the clip holds adds no gradient; the fraction counts exactly those', async () => {
    const tiny = PRESET_CONFIGS.tiny;
    const weights = new Map([...randomWeights(tiny, 1, 0.08)].map(([k, v]) => [k, Float64Array.from(v)]));
    const policy = new Policy(tiny, weights, { dtype: 'float64', threads: 1 });
    const rng = new Rng(9);
    const ids = [
      [5, 17, 3, 40, 8, 11, 2, 9, 30],
      [7, 21, 4, 13, 6, 19],
    ].map((seq) => seq.map((x) => x % tiny.vocabSize));
    const batch = padBatch(ids, 0);
    const T = batch.length;
    const logp = await policy.score(batch);
    // Old log-probs shifted so that r = e^-shift is 1, above 1.2 or below 0.8; the rationale and the
    // answer of each sequence get coefficients of opposite signs, so both signs meet every kind of ratio.
    const shifts = [0, 0.4, -0.4];
    const coefficients: SequenceCoefficient[] = [
      { rationale: 0.7, answer: -1.3 },
      { rationale: -0.4, answer: 0.9 },
    ];
    let bound = 0,
      outside = 0,
      total = 0;
    // The reference: one sequence per token the clip does not hold, weighing that token alone.
    const free: TrainingSequence[] = [];
    const freeCoefficients: SequenceCoefficient[] = [];
    const sequences: TrainingSequence[] = ids.map((seq, b) => {
      const positions = seq.map((_, t) => t).slice(1);
      const rationale = positions.slice(0, 3),
        answer = positions.slice(3);
      const old: number[] = [];
      positions.forEach((t) => {
        const shift = shifts[rng.int(3)]!;
        const c = t <= rationale.at(-1)! ? coefficients[b]!.rationale : coefficients[b]!.answer;
        old.push(logp[b * (T - 1) + t - 1]! + shift);
        const ratio = Math.exp(-shift);
        if (ratio !== 1) outside++;
        const held = (c > 0 && ratio > 1.2) || (c < 0 && ratio < 0.8);
        if (held) bound++;
        else {
          free.push({ ids: seq, rationale: [t], answer: [], sampled: { start: 1, logprobs: old } });
          freeCoefficients.push({ rationale: c, answer: 0 });
        }
        total++;
      });
      return { ids: seq, rationale, answer, sampled: { start: 1, logprobs: old } };
    });
    expect(bound).toBeGreaterThan(0);
    expect(outside).toBeGreaterThan(bound); // some ratios leave the range on the side the clip does not hold

    const run = (job: GradientJob) => accumulateGradients(policy, job, 0, 4096, new PhaseTimer());
    const clip = { low: 0.8, high: 1.2 };
    const clipped = await run({ sequences, coefficients, clip });
    expect(clipped.clipFraction).toBeCloseTo(bound / total, 12);

    // The tokens the clip does not hold, each on its own: the same gradient.
    const reference = await run({ sequences: free, coefficients: freeCoefficients, clip });
    expect(reference.clipFraction).toBe(0);
    const unclipped = await run({ sequences, coefficients });
    expect(unclipped.clipFraction).toBeNull();
    let diff = 0,
      scale = 0,
      fromClip = 0;
    for (const [name, g] of clipped.grads) {
      const z = reference.grads.get(name)!,
        u = unclipped.grads.get(name)!;
      for (let i = 0; i < g.length; i++) {
        diff = Math.max(diff, Math.abs(g[i]! - z[i]!));
        scale = Math.max(scale, Math.abs(g[i]!));
        fromClip = Math.max(fromClip, Math.abs(g[i]! - u[i]!));
      }
    }
    expect(scale).toBeGreaterThan(0);
    expect(diff).toBeLessThan(1e-6 * scale);
    expect(fromClip).toBeGreaterThan(1e-2 * scale); // the clip changes the gradient
  });
});

describe('the logged KL', () => {
  it("is the mean k3 over the weighted tokens, from the reference's and the policy's log-probs", async () => {
    const tiny = PRESET_CONFIGS.tiny;
    const float64 = (seed: number) =>
      new Map([...randomWeights(tiny, seed, 0.08)].map(([k, v]) => [k, Float64Array.from(v)]));
    const policy = new Policy(tiny, float64(1), { dtype: 'float64', threads: 1 });
    const reference = new Policy(tiny, float64(2), { dtype: 'float64', threads: 1 });
    const ids = [
      [5, 17, 3, 40, 8, 11, 2, 9, 30],
      [7, 21, 4, 13, 6, 19],
      [12, 3, 8, 14],
    ].map((seq) => seq.map((x) => x % tiny.vocabSize));
    // Prompts of 2 tokens, so that the shared-prefix layout has something to share; a gap between
    // rationale and answer (position 5 of the first sequence) is weighted by neither.
    const sequences: TrainingSequence[] = [
      { ids: ids[0]!, rationale: [2, 3, 4], answer: [6, 7, 8], promptLength: 2 },
      { ids: ids[1]!, rationale: [2], answer: [3, 4, 5], promptLength: 2 },
      { ids: ids[2]!, rationale: [], answer: [2, 3], promptLength: 2 },
    ];
    const batch = padBatch(ids, 0);
    const T = batch.length;
    const [logp, ref] = await Promise.all([policy.score(batch), reference.score(batch)]);
    let sum = 0,
      n = 0;
    sequences.forEach((s, b) => {
      for (const t of [...s.rationale, ...s.answer]) {
        const d = ref[b * (T - 1) + t - 1]! - logp[b * (T - 1) + t - 1]!;
        sum += Math.exp(d) - d - 1;
        n++;
      }
    });
    const direct = sum / n;
    expect(n).toBe(12);
    expect(direct).toBeGreaterThan(1e-3);
    const coefficients = sequences.map(() => ({ rationale: 0.3, answer: -0.2 }));
    const kl = { reference, coefficients: [0.05, 0.1, 0.02] };
    for (const sharedPrompt of [false, true]) {
      const r = await accumulateGradients(
        policy,
        { sequences, coefficients, kl, sharedPrompt },
        0,
        4096,
        new PhaseTimer(),
      );
      expect(r.tokens).toBe(12);
      expect(r.kl).toBeCloseTo(direct, 12);
    }
    const none = await accumulateGradients(policy, { sequences, coefficients }, 0, 4096, new PhaseTimer());
    expect(none.kl).toBeNull();
    await Promise.all([policy.release(), reference.release()]);
  });
});

describe('grpo with updates_per_batch', () => {
  it('K = 3 with a large lr: the clip holds tokens from the second update on', async () => {
    const config = testConfig(s, '{name: grpo}', join(s.dir, 'k3'), ['train.updates_per_batch=3', 'optimizer.lr=0.01']);
    const inputs = await loadRunInputs(config);
    const weights = new Map([...inputs.start.weights].map(([k, v]) => [k, Float32Array.from(v)]));
    const ctx = createStepContext(config, inputs, weights, RandomStreams.fromSeed(config.seed));
    // A reward that splits every group (the random model never answers right): the completion's length parity.
    ctx.scoring = { ...inputs.task.scoring!, reward: (_item, _prediction, completion) => completion.length % 2 };
    const { item } = trainItems(config, inputs);
    const r = await trainingStep(ctx, 1, [item(0), item(1)]);
    expect(r.rollouts!.rewards.some((g) => g.some((x) => x === 1) && g.some((x) => x === 0))).toBe(true);
    expect(r.updates).toBe(3);
    expect(r.clipFractions).toHaveLength(3);
    expect(r.clipFractions[0]).toBeLessThan(0.01); // on-policy: the ratio is 1 up to rounding
    expect(r.clipFractions[1]).toBeGreaterThan(0);
    expect(r.clipFractions[2]).toBeGreaterThan(0);
    await ctx.policy.release();
  });

  it('K = 1 written out trains bit for bit as the default', async () => {
    const extra = ['train.eval_every=0', 'eval.questions=1'];
    const a = join(s.dir, 'default'),
      b = join(s.dir, 'k1');
    const ra = await runTraining(testConfig(s, 'grpo', a, extra), { ...quiet });
    const steps: number[][] = [];
    await runTraining(testConfig(s, 'grpo', b, [...extra, 'train.updates_per_batch=1']), {
      ...quiet,
      onStep: (_, r) => steps.push(r.clipFractions),
    });
    expect(ra.completedSteps).toBe(2);
    expect(steps.map((c) => c.length)).toEqual([1, 1]);
    const [wa, wb] = await Promise.all(
      [a, b].map((d) => readFile(join(runPaths(d).checkpoint(2), 'model.safetensors'))),
    );
    expect(wb!.equals(wa!)).toBe(true);
    // The clip fraction goes to the run log (and TensorBoard), not to metrics.csv.
    expect(await readFile(runPaths(b).log, 'utf8')).toMatch(/"clip_fractions":\[\d/);
  });
});
