/**
 * train.cached_scoring: a GARL or PAFT step that scores the gold answers against the generation's KV
 * cache against the same step scoring them with a teacher-forced pass, from the same weights and seeds.
 */
import { join } from 'node:path';
import type { Config } from '../../src/config/schema.js';
import { createStepContext, loadRunInputs, trainItems } from '../../src/experiment/run-inputs.js';
import { CACHE_KEEP_MAX_BYTES, keepsCache, trainingStep, type StepResult } from '../../src/experiment/step.js';
import { generationCacheBytes } from '../../src/runtime/generate.js';
import { RandomStreams } from '../../src/experiment/streams.js';
import {
  close,
  maxDifference,
  scratchWithModel,
  stepSetup,
  testConfig,
  weightUpdate,
  type Scratch,
} from './helpers.js';

let s: Scratch;
beforeAll(async () => {
  s = await scratchWithModel(6);
});
afterAll(async () => s.cleanup());

function config(algorithm: string, cached: boolean): Config {
  // SGD: the update is -lr x the clipped gradient, so comparing updates compares gradients. A large lr keeps
  // the update far above the float32 spacing of the weights it is read back from (new - old).
  return testConfig(s, algorithm, join(s.dir, 'never-written'), [
    `train.cached_scoring=${cached}`,
    'optimizer.name=sgd',
    'optimizer.lr=1',
  ]);
}

async function step(algorithm: string, cached: boolean) {
  const { ctx, weights, before, items } = await stepSetup(config(algorithm, cached));
  expect(keepsCache(ctx, 2)).toBe(cached);
  const r = await trainingStep(ctx, 1, items);
  expect(r.updated).toBe(true);
  expect(r.rollouts!.cache).toBeUndefined(); // dropped once scored
  const update = weightUpdate(weights, before);
  await ctx.policy.release();
  return { r, update };
}

describe.each(['garl', 'paft'])('%s: one step with train.cached_scoring on and off', (algorithm) => {
  it('gives the same log W, loss, gradient norm and update, scoring far fewer tokens', async () => {
    const on: { r: StepResult; update: Map<string, Float32Array> } = await step(algorithm, true);
    const off = await step(algorithm, false);
    expect(on.r.rollouts!.rollouts.flat().map((x) => x.tokens)).toEqual(
      off.r.rollouts!.rollouts.flat().map((x) => x.tokens),
    );
    const [la, lb] = [on.r.logW!.flat(), off.r.logW!.flat()];
    expect(la).toHaveLength(lb.length);
    la.forEach((w, i) => expect([i, close(w, lb[i]!, 1e-5)]).toEqual([i, true]));
    expect(close(on.r.metrics.loss!, off.r.metrics.loss!, 1e-4)).toBe(true);
    expect(close(on.r.metrics.grad_norm!, off.r.metrics.grad_norm!, 1e-4)).toBe(true);
    const { diff, scale } = maxDifference(on.update, off.update);
    expect(scale).toBeGreaterThan(0);
    expect(diff / scale).toBeLessThan(1e-4);
    expect(on.r.graphTokens.score).toBeGreaterThan(0);
    expect(on.r.graphTokens.score).toBeLessThan(off.r.graphTokens.score / 2);
  });
});

it('GRPO keeps no cache (nothing would drop it); a cache over CACHE_KEEP_MAX_BYTES is not kept', async () => {
  const c = config('grpo', true);
  const inputs = await loadRunInputs(c);
  const ctx = createStepContext(c, inputs, inputs.start.weights, RandomStreams.fromSeed(c.seed));
  const { item } = trainItems(c, inputs);
  const r = await trainingStep(ctx, 1, [0, 1].map(item));
  expect(r.rollouts!.cache).toBeUndefined();
  expect(keepsCache(ctx, 2)).toBe(true); // what GARL would keep with the same settings
  const p = ctx.policy.config;
  const perQuestion = generationCacheBytes(p, ctx.rollout.samplesPerPrompt, ctx.rollout.maxNewTokens, 'float32');
  expect(perQuestion).toBe(
    2 * p.numLayers * ctx.rollout.samplesPerPrompt * p.numKvHeads * p.headDim * ctx.rollout.maxNewTokens * 4,
  );
  const most = Math.floor(CACHE_KEEP_MAX_BYTES / perQuestion);
  expect(keepsCache(ctx, most)).toBe(true);
  expect(keepsCache(ctx, most + 1)).toBe(false);
  await ctx.policy.release();
});
