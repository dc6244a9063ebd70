/**
 * The step against the algorithms' rows (src/objectives/algorithm.ts): it measures the row's signal,
 * trains on the row's sequences, and applies the PPO clip and the KL term exactly where the row says,
 * even when the context offers them to every algorithm.
 */
import { join } from 'node:path';
import { sampleRollouts, stepCoefficients, trainingStep } from '../../src/experiment/step.js';
import { RandomStreams } from '../../src/experiment/streams.js';
import { PhaseTimer } from '../../src/experiment/timer.js';
import { createStepContext, loadRunInputs, trainItems } from '../../src/experiment/run-inputs.js';
import { ALGORITHM_NAMES, ALGORITHMS } from '../../src/objectives/algorithm.js';
import { Policy } from '../../src/runtime/policy.js';
import { scratchWithModel, testConfig, type Scratch } from './helpers.js';

let s: Scratch;
beforeAll(async () => {
  s = await scratchWithModel(5);
});
afterAll(async () => s.cleanup());

/** A step context of `name` that offers a clip range the on-policy ratio (1) lies above, and a KL term, whatever the algorithm. */
async function offeringEverything(name: string) {
  const config = testConfig(s, name, join(s.dir, name));
  const inputs = await loadRunInputs(config);
  const copy = () => new Map([...inputs.start.weights].map(([k, v]) => [k, Float32Array.from(v)]));
  const ctx = createStepContext(config, inputs, copy(), RandomStreams.fromSeed(config.seed));
  ctx.clip = { low: 0.25, high: 0.5 };
  ctx.kl ??= { reference: new Policy(inputs.start.config, copy(), { threads: 1 }), beta: 0.05 };
  // A reward that splits every group (the random model never answers right): the completion's length parity.
  ctx.scoring = { ...inputs.task.scoring!, reward: (_item, _prediction, completion) => completion.length % 2 };
  const { item } = trainItems(config, inputs);
  return { ctx, items: [item(0), item(1)] };
}

describe("the step reads the algorithm's row", () => {
  it.each(ALGORITHM_NAMES)('%s: signal, sequences, clip and KL as its row says', async (name) => {
    const row = ALGORITHMS[name];
    const { ctx, items } = await offeringEverything(name);
    try {
      // The sequences: the rollouts as generated (with their sampling log-probs), their rationales with y*, or the targets.
      const sampled = row.signal === 'none' ? undefined : await sampleRollouts(ctx, items, new PhaseTimer());
      const { groups, logW } = await stepCoefficients(ctx, 0, items, sampled, new PhaseTimer());
      expect(logW !== undefined).toBe(row.signal === 'answer-log-likelihood');
      groups.forEach((group, g) => {
        const it = items[g]!;
        for (const [m, seq] of group.sequences.entries()) {
          expect(seq.ids.slice(0, it.prompt.length)).toEqual(it.prompt);
          const rest = seq.ids.slice(it.prompt.length);
          if (row.sequences === 'target') expect(rest).toEqual(it.target);
          if (row.sequences === 'teacher-forced') expect(rest.slice(-it.answerIds!.length)).toEqual(it.answerIds);
          if (row.sequences === 'completion') expect(rest).toEqual(sampled!.rollouts[g]![m]!.tokens);
          expect(seq.sampled !== undefined).toBe(row.sequences === 'completion');
        }
      });

      // The step: a ratio of 1 lies above the offered range, so where the clip acts it holds every token with a positive coefficient.
      const r = await trainingStep(ctx, 1, items);
      expect(r.rollouts === undefined).toBe(row.signal === 'none');
      expect(r.clipFractions.length > 0).toBe(row.clips);
      if (row.clips) expect(r.clipFractions[0]).toBeGreaterThan(0);
      expect(r.metrics.kl !== null).toBe(row.allowsKl);
    } finally {
      await ctx.policy.release();
      await ctx.kl?.reference.release();
    }
  });
});
