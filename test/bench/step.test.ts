import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { benchStep, STEP_PARTS, stepRecord } from '../../src/bench/step.js';
import { scratchWithModel, testConfig, type Scratch } from '../experiment/helpers.js';

describe('bench step', () => {
  let s: Scratch;
  beforeAll(async () => {
    s = await scratchWithModel();
  });
  afterAll(() => s.cleanup());

  it.each([
    ['garl', 0.75],
    ['grpo', null],
  ])('splits %s steps into phases that add up to the wall time', async (algorithm, q) => {
    const config = testConfig(s, algorithm, join(s.dir, 'never-written'));
    const b = await benchStep(config, { steps: 2, warmup: 1 });
    expect(b).toMatchObject({ config: config.name, algorithm, q, steps: 2, warmup: 1 });
    expect(existsSync(config.output.dir)).toBe(false);
    for (const p of STEP_PARTS) expect(b.seconds[p]).toBeGreaterThanOrEqual(0);
    expect(b.seconds.generate).toBeGreaterThan(0);
    expect(b.seconds.train).toBeGreaterThan(0);
    // GARL scores answer likelihoods; GRPO's KL term scores the reference.
    expect(b.seconds.score).toBeGreaterThan(0);
    const sum = STEP_PARTS.reduce((a, p) => a + b.seconds[p], 0);
    expect(sum).toBeCloseTo(b.step_s, 9);
    expect(STEP_PARTS.reduce((a, p) => a + b.share[p], 0)).toBeCloseTo(1, 9);
    expect(b.generated_tokens).toBeGreaterThan(0);
    expect(b.generated_tokens_per_s).toBeCloseTo(b.generated_tokens / b.seconds.generate, 6);
    expect(b.trained_tokens).toBeGreaterThan(0);
    expect(b.trained_tokens_per_s).toBeCloseTo(b.trained_tokens / b.seconds.train, 6);
    // The train graph runs the trained tokens and more (prompts, padding); GARL's and GRPO's KL scoring run the score graph.
    expect(b.train_graph_tokens).toBeGreaterThan(b.trained_tokens);
    expect(b.score_graph_tokens).toBeGreaterThan(0);

    const line = stepRecord(b);
    expect(line).toMatchObject({ config: config.name, algorithm, q, steps: 2 });
    expect(line.train_graph_tokens).toBeCloseTo(b.train_graph_tokens, 1);
    const rounded = STEP_PARTS.reduce((a, p) => a + (line[`${p}_s`] as number), 0);
    expect(Math.abs(rounded - (line.step_s as number))).toBeLessThanOrEqual(STEP_PARTS.length * 0.00005 + 0.00005);
  });

  it('refuses zero measured steps', async () => {
    const config = testConfig(s, 'garl', join(s.dir, 'never-written'));
    await expect(benchStep(config, { steps: 0, warmup: 1 })).rejects.toThrow(/--steps >= 1/);
  });
});
