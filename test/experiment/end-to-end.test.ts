/** Each algorithm for 2 steps on the tiny model and the synthetic task: every artefact of the run directory. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { trainConfig } from '../../src/cli/train.js';
import { runEvaluation } from '../../src/experiment/eval/run.js';
import { METRICS_COLUMNS, readMetricsCsv, readValidationCsv, VALIDATION_COLUMNS } from '../../src/run-dir/csv.js';
import { readEvalSummary, readPredictionRecords, readRunSummary } from '../../src/run-dir/json.js';
import { runPaths } from '../../src/run-dir/paths.js';
import { runTraining } from '../../src/experiment/train.js';
import { OPTIMIZER_FILE, readTrainerState, TRAINER_STATE_FILE } from '../../src/experiment/trainer-checkpoint.js';
import { FIXTURES, scratchWithModel, testConfig, type Scratch } from './helpers.js';

let s: Scratch;
beforeAll(async () => {
  s = await scratchWithModel();
});
afterAll(async () => s.cleanup());

const MODEL_FILES = [
  'config.json',
  'model.safetensors',
  'tokenizer.json',
  'tokenizer_config.json',
  'generation_config.json',
  OPTIMIZER_FILE,
  TRAINER_STATE_FILE,
];

/** Which metrics columns each algorithm fills (the rest must be empty). */
const LOG_W = ['log_W_p10', 'log_W_p50', 'log_W_p90'];
const FILLED: Record<string, string[]> = {
  grpo: ['mean_reward', 'no_success_share', 'kl', 'mean_rationale_tokens', 'tokens_per_s', 'entropy'],
  rloo: ['mean_reward', 'no_success_share', 'mean_rationale_tokens', 'tokens_per_s', 'entropy'],
  garl: [
    'q',
    'mean_reward',
    'mean_W',
    'no_success_share',
    'max_scaled_c',
    'mean_rationale_tokens',
    'tokens_per_s',
    'entropy',
    ...LOG_W,
  ],
  paft: [
    'q',
    'mean_reward',
    'mean_W',
    'no_success_share',
    'mean_rationale_tokens',
    'tokens_per_s',
    'entropy',
    ...LOG_W,
  ],
  sft: [],
};
const OPTIONAL = [
  'q',
  'mean_reward',
  'mean_W',
  'no_success_share',
  'max_scaled_c',
  'kl',
  'mean_rationale_tokens',
  'tokens_per_s',
  'entropy',
  ...LOG_W,
];

describe('train: every algorithm end to end (2 steps)', () => {
  it.each([['grpo'], ['rloo'], ['garl'], ['paft'], ['sft']])('%s writes every artefact', async (algorithm) => {
    const out = join(s.dir, 'runs', algorithm);
    const result = await runTraining(testConfig(s, algorithm, out), { console: false, progress: false });
    expect(result.interrupted).toBe(false);
    expect(result.completedSteps).toBe(2);
    const p = runPaths(out);

    expect(await readFile(p.config, 'utf8')).toContain(`name: ${algorithm}`);
    const header = (await readFile(p.metrics, 'utf8')).split('\n')[0];
    expect(header).toBe(METRICS_COLUMNS.join(','));
    const rows = await readMetricsCsv(p.metrics);
    // Steps count from 1: row N is the N-th optimizer step.
    expect(rows.map((r) => r.step)).toEqual([1, 2]);
    for (const r of rows) {
      for (const c of [
        'loss',
        'grad_norm',
        't_generate',
        't_score',
        't_train',
        't_optimizer',
        'lr',
        'above_eps',
      ] as const)
        expect(Number.isFinite(r[c])).toBe(true);
      expect(r.above_eps).toBeGreaterThanOrEqual(0);
      expect(r.above_eps).toBeLessThanOrEqual(1);
      if (r.log_W_p50 !== null) expect(r.log_W_p10! <= r.log_W_p50 && r.log_W_p50 <= r.log_W_p90!).toBe(true);
      for (const c of OPTIONAL) {
        const v = (r as Record<string, number | null>)[c];
        if (FILLED[algorithm]!.includes(c)) expect(Number.isFinite(v)).toBe(true);
        else expect(v).toBeNull();
      }
      expect(r.lr).toBe(0.001);
    }
    if (algorithm === 'garl') expect(rows[0]!.q).toBe(0.75);

    expect((await readFile(p.validation, 'utf8')).split('\n')[0]).toBe(VALIDATION_COLUMNS.join(','));
    const validation = await readValidationCsv(p.validation);
    expect(validation.map((v) => v.step)).toEqual([1, 2]);

    const test = await readEvalSummary(p.evalSummary('test'));
    expect(test).not.toBeNull();
    expect(test!.n).toBe(2);
    expect(test!.k).toBe(16);
    expect(test!.em).toBeDefined();
    expect(test!.f1).toBeDefined();
    const predictions = await readPredictionRecords(p.predictions('test'));
    expect(predictions.map((q) => q.id)).toEqual(['q8', 'q9']);
    expect(predictions.every((q) => q.answers.length === 16 && q.correct.length === 16)).toBe(true);

    const summary = await readRunSummary(p.summary);
    expect(summary).toMatchObject({
      step_base: 1,
      method: algorithm,
      task: 'mini-hotpotqa',
      start: 'cold',
      seed: 7,
      steps: 2,
    });
    // The best step is a validation's step, and the tested checkpoint is that one.
    expect(validation.map((v) => v.step)).toContain(summary!.best_step);
    const bestM16 = Math.max(...validation.map((v) => v.m16));
    expect(summary!.best_step).toBe(validation.find((v) => v.m16 === bestM16)!.step);
    expect(summary!.best_validation_m16).toBe(bestM16);
    expect(summary!.test.checkpoint_step).toBe(summary!.best_step);
    expect(summary!.q).toBe(algorithm === 'garl' ? 0.75 : algorithm === 'paft' ? 0.5 : null);

    // checkpoint-2 holds 2 optimizer steps (AdamW's own count says so too).
    expect((await readdir(p.checkpoints)).sort()).toEqual(['best', 'checkpoint-2']);
    for (const dir of [p.best, p.checkpoint(2)]) expect((await readdir(dir)).sort()).toEqual([...MODEL_FILES].sort());
    const last = (await readTrainerState(p.checkpoint(2)))!;
    expect(last).toMatchObject({
      version: 2,
      step: 2,
      best: { step: summary!.best_step, m16: summary!.best_validation_m16 },
    });
    expect(last.optimizer.stepCount).toBe(2);
    const best = (await readTrainerState(p.best))!;
    expect(best.step).toBe(summary!.best_step);
    expect(best.optimizer.stepCount).toBe(summary!.best_step);

    const log = (await readFile(p.log, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string });
    expect(log.filter((l) => /^step \d/.test(l.msg)).map((l) => l.msg.split(' ')[1])).toEqual(['1/2', '2/2']);
    expect(log.filter((l) => l.msg.startsWith('validation after step')).map((l) => l.msg.split(':')[0])).toEqual([
      'validation after step 1',
      'validation after step 2',
    ]);
    expect(log.find((l) => l.msg.startsWith('test (checkpoint after step'))!.msg).toContain(
      `test (checkpoint after step ${summary!.best_step})`,
    );
    expect(log.at(-1)!.msg).toMatch(/^done/);
  });

  it('SFT on a {prompt, target} file', async () => {
    const out = join(s.dir, 'runs', 'sft-data');
    const config = testConfig(s, `{name: sft, data: ${JSON.stringify(join(FIXTURES, 'sft.jsonl'))}}`, out, [
      'train.eval_every=0',
    ]);
    const result = await runTraining(config, { console: false, progress: false });
    expect(result.summary).toMatchObject({ method: 'sft', best_step: null, best_validation_m16: null });
    // Without validation the last checkpoint is tested: the one after both steps.
    expect(result.summary!.test.checkpoint_step).toBe(2);
    expect(await readValidationCsv(runPaths(out).validation)).toEqual([]);
  });

  it('eval: a checkpoint on a split, with predictions', async () => {
    const config = testConfig(s, 'garl', join(s.dir, 'runs', 'garl'));
    const out = join(s.dir, 'eval-out');
    const r = await runEvaluation(config, {
      checkpoint: join(s.dir, 'runs', 'garl', 'checkpoints', 'checkpoint-2'),
      split: 'validation',
      samples: 4,
      out,
    });
    expect(r.summary).toMatchObject({ step_base: 1, split: 'validation', checkpoint_step: 2, n: 2, k: 4 });
    // The same checkpoint by its earlier name (step-1 held 2 steps): found, and the same numbers.
    const byOldName = await runEvaluation(config, {
      checkpoint: join(s.dir, 'runs', 'garl', 'checkpoints', 'step-1'),
      split: 'validation',
      samples: 4,
      out: join(s.dir, 'eval-old-name'),
    });
    expect(byOldName.checkpoint).toBe(join(s.dir, 'runs', 'garl', 'checkpoints', 'checkpoint-2'));
    expect({ ...byOldName.summary, wall_s: 0 }).toEqual({ ...r.summary, wall_s: 0 });
    expect(await readEvalSummary(join(out, 'eval', 'validation.json'))).toEqual(r.summary);
    expect((await readPredictionRecords(r.predictionsPath)).map((q) => q.answers.length)).toEqual([4, 4]);
    const base = await runEvaluation(config, { checkpoint: s.model, split: 'test', samples: 2, out });
    expect(base.summary.checkpoint_step).toBeNull();
  });

  it('0 steps tests the starting model: the "Base model" row, equal to eval of the model directory', async () => {
    const out = join(s.dir, 'runs', 'base');
    const config = testConfig(s, 'garl', out, ['train.steps=0', 'optimizer.decay=cosine']);
    expect(config.name).toBe('mini-hotpotqa-cold-base-seed7');
    const result = await runTraining(config, { console: false, progress: false });
    expect(result.completedSteps).toBe(0);
    expect(result.summary).toMatchObject({
      method: 'base',
      q: null,
      steps: 0,
      best_step: null,
      best_validation_m16: null,
    });
    expect(result.summary!.test.checkpoint_step).toBeNull();
    expect(await readMetricsCsv(runPaths(out).metrics)).toEqual([]);
    const direct = await runEvaluation(config, { checkpoint: s.model, split: 'test', out: join(s.dir, 'base-eval') });
    expect({ ...result.summary!.test, wall_s: 0 }).toEqual({ ...direct.summary, wall_s: 0 });
  });

  it('eval.compare_base: the starting model is tested beside the trained one (the same as evaluating the model directory)', async () => {
    const out = join(s.dir, 'runs', 'compare');
    const config = testConfig(s, 'garl', out, ['eval.compare_base=true', 'optimizer.lr=0.01']);
    const result = await runTraining(config, { console: false, progress: false });
    const summary = result.summary!;
    expect(summary.base_test?.checkpoint_step).toBeNull();
    expect(summary.test.checkpoint_step).not.toBeNull();
    const direct = await runEvaluation(config, {
      checkpoint: s.model,
      split: 'test',
      out: join(s.dir, 'compare-eval'),
    });
    expect({ ...summary.base_test!, wall_s: 0 }).toEqual({ ...direct.summary, wall_s: 0 });
    expect(await readRunSummary(runPaths(out).summary)).toEqual(summary);
  });

  it('a second run into the same directory is refused; --set and --out reach the config', async () => {
    await expect(
      runTraining(testConfig(s, 'rloo', join(s.dir, 'runs', 'rloo')), { console: false, progress: false }),
    ).rejects.toThrow(/already exists/);
    const path = join(s.dir, 'cfg.yaml');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      path,
      `model: {path: ${JSON.stringify(s.model)}}\ntask: {name: mini-hotpotqa}\nalgorithm: {name: garl, q: 1}\n`,
    );
    const c = await trainConfig({
      config: path,
      set: ['algorithm.q=0.25', 'rollout.m=3'],
      out: join(s.dir, 'elsewhere'),
    });
    expect(c.algorithm).toMatchObject({ name: 'garl', q: 0.25 });
    expect(c.rollout.m).toBe(3);
    expect(c.output.dir).toBe(join(s.dir, 'elsewhere'));
  });
});
