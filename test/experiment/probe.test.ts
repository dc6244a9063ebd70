/**
 * tsallis-run probe: its first batch is the run's step 1 (same questions, same rollouts, same
 * weights), so its figures over one batch equal what the trainer logs for step 1.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runProbe } from '../../src/experiment/probe.js';
import { runTraining } from '../../src/experiment/train.js';
import type { StepResult } from '../../src/experiment/step.js';
import { FIXTURES, scratchWithModel, testConfig, type Scratch } from './helpers.js';

let s: Scratch;
beforeAll(async () => {
  s = await scratchWithModel(3);
});
afterAll(async () => s.cleanup());

describe('probe', () => {
  it("over one batch reproduces the run's step 1: rewards, log W quantiles and the share above eps at the run's q", async () => {
    // GARL q = 0.75, M = 4, 2 questions a step; eps large enough that the share is neither 0 nor 1.
    const config = testConfig(s, 'garl', join(s.dir, 'run'), ['optimizer.eps=1e-4']);
    let step0: StepResult | undefined;
    await runTraining(config, {
      console: false,
      progress: false,
      stopAfterSteps: 1,
      onStep: (step, r) => {
        if (step === 1) step0 = r;
      },
    });
    const probe = await runProbe(config, { questions: 2, rollouts: 8 });

    expect(probe.rollouts).toBe(8);
    const m = step0!.metrics;
    expect(probe.success_rate).toBeCloseTo(m.mean_reward!, 12);
    expect(probe.log_w.p10).toBeCloseTo(m.log_W_p10!, 6);
    expect(probe.log_w.p50).toBeCloseTo(m.log_W_p50!, 6);
    expect(probe.log_w.p90).toBeCloseTo(m.log_W_p90!, 6);
    expect(probe.above_eps['0.75']).toBeCloseTo(m.above_eps!, 12);
    expect(probe.entropy).toBeCloseTo(m.entropy!, 6);
    expect(probe.optimizer).toEqual({ name: 'adamw', lr: 0.001, eps: 1e-4, lr_over_eps: 10, grad_clip: 1 });
    // Per question log W is the log-mean-exp of its rollouts' log w: the trainer's diagnostics say the same.
    const perQuestion = step0!.diagnostics.map((d) => d.logW!);
    expect(perQuestion).toHaveLength(2);
    expect(probe.log_w.p50).toBeCloseTo((perQuestion[0]! + perQuestion[1]!) / 2, 6); // the median of two
    // Shares are shares; q = 0's gradient is (M W)^(1-q) times smaller per coordinate (M W < 1 on a random model), so fewer clear eps.
    for (const q of ['0', '0.25', '0.5', '0.75', '1']) {
      expect(probe.above_eps[q]).toBeGreaterThanOrEqual(0);
      expect(probe.above_eps[q]).toBeLessThanOrEqual(1);
    }
    expect(probe.above_eps['0']).toBeLessThan(probe.above_eps['1']!);
    expect(probe.first_step_norm).toEqual(probe.adam_step_norm);
  }, 120_000);

  it("gives PAFT's step-1 share at the run's q (its K draws included)", async () => {
    const config = testConfig(s, 'paft', join(s.dir, 'paft-run'), ['optimizer.eps=1e-4']);
    let step0: StepResult | undefined;
    await runTraining(config, {
      console: false,
      progress: false,
      stopAfterSteps: 1,
      onStep: (step, r) => {
        if (step === 1) step0 = r;
      },
    });
    const probe = await runProbe(config, { questions: 2, rollouts: 8 });
    expect(probe.paft_above_eps['0.5']).toBeCloseTo(step0!.metrics.above_eps!, 12);
    expect(probe.paft_grad_norm['0.5']).toBeCloseTo(step0!.metrics.grad_norm!, 4);
  }, 120_000);

  it("gives the configured optimizer's first update: SGD's is lr times the clipped step-1 gradient", async () => {
    const config = testConfig(s, 'garl', join(s.dir, 'sgd-run'), ['optimizer={name: sgd, lr: 0.3, grad_clip: 0.5}']);
    let step0: StepResult | undefined;
    await runTraining(config, {
      console: false,
      progress: false,
      stopAfterSteps: 1,
      onStep: (step, r) => {
        if (step === 1) step0 = r;
      },
    });
    const probe = await runProbe(config, { questions: 2, rollouts: 8 });
    const norm = step0!.metrics.grad_norm!;
    expect(probe.grad_norm['0.75']).toBeCloseTo(norm, 4);
    expect(probe.first_step_norm['0.75']).toBeCloseTo(0.3 * Math.min(norm, 0.5), 4);
    expect(probe.first_step_norm['0.75']).not.toBeCloseTo(probe.adam_step_norm['0.75']!, 4);
    expect(probe.optimizer.lr_over_eps).toBeNull();
  }, 120_000);

  it('rounds the rollouts up to whole rounds of questions x M and keeps the best log w at least the mean', async () => {
    const config = testConfig(s, 'grpo', join(s.dir, 'unused'));
    const probe = await runProbe(config, { questions: 3, rollouts: 13 });
    expect(probe.questions).toBe(3);
    expect(probe.rollouts).toBe(24); // 2 rounds of 3 questions x M = 4
    expect(probe.best_log_w.p50).toBeGreaterThanOrEqual(probe.log_w.p50);
    expect(probe.success_rate).toBe(probe.successes / 24);
    expect(probe.questions_with_success).toBeGreaterThanOrEqual(probe.success_rate);
  }, 120_000);

  it('refuses a training record longer than the model allows before sampling, naming its file and line', async () => {
    const data = join(s.dir, 'long-task');
    await cp(join(FIXTURES, 'task'), data, { recursive: true });
    const lines = (await readFile(join(data, 'train.jsonl'), 'utf8')).split('\n');
    lines[2] = JSON.stringify({
      ...JSON.parse(lines[2]!),
      id: 'long',
      question: 'lorem ipsum dolor sit amet '.repeat(4000),
    });
    await writeFile(join(data, 'train.jsonl'), lines.join('\n'));
    const config = testConfig(s, 'garl', join(s.dir, 'unused'), [`task.data_dir=${data}`]);
    await expect(runProbe(config, { questions: 2, rollouts: 8 })).rejects.toThrow(
      new RegExp(`${join(data, 'train.jsonl')}: line 3 \\(id long\\)`),
    );
  });
});
