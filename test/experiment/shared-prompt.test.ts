/**
 * train.shared_prompt: a training step with each prompt run once per micro-batch (the shared-prefix
 * graphs) against the same step with every sequence whole, from the same weights and seeds.
 */
import { join } from 'node:path';
import type { Config } from '../../src/config/schema.js';
import { sharedPrefixLength } from '../../src/experiment/sequences.js';
import { sampleRollouts, stepCoefficients, trainingStep, type StepResult } from '../../src/experiment/step.js';
import { PhaseTimer } from '../../src/experiment/timer.js';
import { packSharedPrefix } from '../../src/runtime/batch.js';
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

/** Small enough that a question's 4 sequences (prompt of 18 tokens, continuations up to ~20) do not fit one micro-batch. */
const BUDGET = 64;

function config(algorithm: string, shared: boolean): Config {
  // SGD: the update is -lr x the clipped gradient, so comparing updates compares gradients.
  return testConfig(s, algorithm, join(s.dir, 'never-written'), [
    `train.shared_prompt=${shared}`,
    'train.cached_scoring=false', // both sides score with the teacher-forced graphs this file compares
    `train.micro_batch_tokens=${BUDGET}`,
    'optimizer.name=sgd',
    'optimizer.lr=0.01',
  ]);
}

async function context(algorithm: string, shared: boolean) {
  const setup = await stepSetup(config(algorithm, shared));
  // A reward that splits every group (the random model never answers right): the completion's length parity.
  setup.ctx.scoring = {
    ...setup.inputs.task.scoring!,
    reward: (_item, _prediction, completion) => completion.length % 2,
  };
  return setup;
}

describe.each(['garl', 'grpo'])('%s: one step with train.shared_prompt on and off', (algorithm) => {
  it('gives the same coefficients from the same rollouts, and splits a question across micro-batches', async () => {
    const on = await context(algorithm, true);
    const off = await context(algorithm, false);
    expect(on.ctx.sharedPrompt).toBe(true);
    expect(off.ctx.sharedPrompt).toBe(false);
    const sampled = await sampleRollouts(on.ctx, on.items, new PhaseTimer());
    const timers = [new PhaseTimer(), new PhaseTimer()];
    const a = await stepCoefficients(on.ctx, 0, on.items, sampled, timers[0]!);
    const b = await stepCoefficients(off.ctx, 0, off.items, sampled, timers[1]!);
    const coefficients = (r: typeof a) =>
      r.groups.flatMap((g) => g.coefficients.flatMap((c) => [c.rationale, c.answer]));
    const [ca, cb] = [coefficients(a), coefficients(b)];
    expect(ca.length).toBe(2 * 4 * 2);
    expect(ca.some((c) => c !== 0)).toBe(true);
    ca.forEach((c, i) => expect([i, close(c, cb[i]!, 1e-4)]).toEqual([i, true]));
    if (algorithm === 'garl') {
      const [la, lb] = [a.logW!.flat(), b.logW!.flat()];
      expect(la).toHaveLength(8);
      la.forEach((w, i) => expect([i, close(w, lb[i]!, 1e-5)]).toEqual([i, true]));
      // The score graph ran fewer tokens sharing the prompts.
      expect(timers[0]!.tokens.score).toBeGreaterThan(0);
      expect(timers[0]!.tokens.score).toBeLessThan(timers[1]!.tokens.score);
    }
    // The budget splits a question's sequences across micro-batches, each bringing the prompt.
    const seqs = a.groups.flatMap((g) => [...g.sequences]);
    const micros = packSharedPrefix(
      seqs.map((q) => ({ ids: q.ids, prefix: sharedPrefixLength(q) })),
      0,
      BUDGET,
    );
    const prefix = (i: number) => seqs[i]!.ids.slice(0, sharedPrefixLength(seqs[i]!)).join(',');
    expect(new Set(seqs.map((_, i) => prefix(i))).size).toBe(2);
    const holding = micros.filter((m) => m.rows.some((i) => prefix(i) === prefix(0)));
    expect(holding.length).toBeGreaterThan(1);
    await Promise.all([on, off].flatMap((x) => [x.ctx.policy.release(), x.ctx.kl?.reference.release()]));
  });

  it('gives the same loss, log W, gradient norm and parameter update, running fewer train tokens', async () => {
    const runs: { r: StepResult; update: Map<string, Float32Array> }[] = [];
    for (const shared of [true, false]) {
      const { ctx, weights, before, items } = await context(algorithm, shared);
      const r = await trainingStep(ctx, 1, items);
      expect(r.updated).toBe(true);
      const update = weightUpdate(weights, before);
      runs.push({ r, update });
      await ctx.policy.release();
      await ctx.kl?.reference.release();
    }
    const [on, off] = runs as [(typeof runs)[0], (typeof runs)[0]];
    // The same rollouts: only the train and score graphs differ.
    expect(on.r.rollouts!.rollouts.flat().map((x) => x.tokens)).toEqual(
      off.r.rollouts!.rollouts.flat().map((x) => x.tokens),
    );
    expect(close(on.r.metrics.loss!, off.r.metrics.loss!, 1e-4)).toBe(true);
    expect(close(on.r.metrics.grad_norm!, off.r.metrics.grad_norm!, 1e-4)).toBe(true);
    expect(off.r.metrics.grad_norm!).toBeGreaterThan(0);
    if (algorithm === 'grpo') expect(close(on.r.metrics.kl!, off.r.metrics.kl!, 1e-4)).toBe(true);
    if (algorithm === 'garl') {
      const [la, lb] = [on.r.logW!.flat(), off.r.logW!.flat()];
      la.forEach((w, i) => expect([i, close(w, lb[i]!, 1e-5)]).toEqual([i, true]));
    }
    const { diff, scale } = maxDifference(on.update, off.update);
    expect(scale).toBeGreaterThan(0);
    expect(diff / scale).toBeLessThan(1e-4);
    expect(on.r.trainedTokens).toBe(off.r.trainedTokens);
    expect(on.r.graphTokens.train).toBeGreaterThan(0);
    expect(on.r.graphTokens.train).toBeLessThan(off.r.graphTokens.train);
  });
});
