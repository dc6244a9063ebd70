/** --resume: a run interrupted after k steps and resumed ends bit for bit where an uninterrupted run ends. */
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readMetricsCsv, readValidationCsv } from '../../src/run-dir/csv.js';
import type { RunSummary } from '../../src/run-dir/json.js';
import { runPaths } from '../../src/run-dir/paths.js';
import { runTraining } from '../../src/experiment/train.js';
import { OPTIMIZER_FILE, readTrainerState } from '../../src/experiment/trainer-checkpoint.js';
import { scratchWithModel, testConfig, type Scratch } from './helpers.js';

let s: Scratch;
beforeAll(async () => {
  s = await scratchWithModel(3);
});
afterAll(async () => s.cleanup());

const quiet = { console: false, progress: false };
// PAFT draws from all three random streams (data order, sampling, PAFT draws); validation every 2 steps.
const extra = ['train.steps=4', 'train.eval_every=2', 'train.checkpoint_every=1'];
const TIMES = ['tokens_per_s', 't_generate', 't_score', 't_train', 't_optimizer'];
const untimed = (rows: Record<string, unknown>[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIMES.includes(k))));

describe('resume', () => {
  it.each([['paft'], ['grpo']])('%s: interrupted after 2 of 4 steps and resumed = uninterrupted', async (algorithm) => {
    const whole = join(s.dir, `${algorithm}-whole`);
    const split = join(s.dir, `${algorithm}-split`);
    const a = await runTraining(testConfig(s, algorithm, whole, extra), quiet);
    expect(a.completedSteps).toBe(4);

    // Interrupted through the abort signal during step 2: the step finishes and is checkpointed as checkpoint-2.
    const controller = new AbortController();
    const b1 = await runTraining(testConfig(s, algorithm, split, extra), {
      ...quiet,
      signal: controller.signal,
      onStep: (step) => step === 2 && controller.abort(),
    });
    expect(b1).toMatchObject({ interrupted: true, completedSteps: 2, summary: null });
    expect((await readTrainerState(runPaths(split).checkpoint(2)))!.step).toBe(2);
    // As if step 3 had logged its rollouts and the process died mid-line before its checkpoint: resume drops both.
    await appendFile(
      runPaths(split).rollouts,
      JSON.stringify({ step: 3, id: 'x', sample: 0, reward: 0, answer: '', completion: '' }) + '\n{"step": 4, "id',
    );
    const b2 = await runTraining(testConfig(s, algorithm, split, extra), { ...quiet, resume: true });
    expect(b2.interrupted).toBe(false);
    expect(b2.completedSteps).toBe(4);

    const pa = runPaths(whole),
      pb = runPaths(split);
    for (const step of [1, 2, 3, 4]) {
      const [wa, wb] = await Promise.all([
        readFile(join(pa.checkpoint(step), 'model.safetensors')),
        readFile(join(pb.checkpoint(step), 'model.safetensors')),
      ]);
      expect(wb.equals(wa)).toBe(true);
    }
    const [oa, ob] = await Promise.all([
      readFile(join(pa.checkpoint(4), OPTIMIZER_FILE)),
      readFile(join(pb.checkpoint(4), OPTIMIZER_FILE)),
    ]);
    expect(ob.equals(oa)).toBe(true);
    const [sa, sb] = await Promise.all([readTrainerState(pa.checkpoint(4)), readTrainerState(pb.checkpoint(4))]);
    expect({ ...sb!, elapsed_s: 0 }).toEqual({ ...sa!, elapsed_s: 0 });
    expect(untimed((await readMetricsCsv(pb.metrics)) as never)).toEqual(
      untimed((await readMetricsCsv(pa.metrics)) as never),
    );
    expect(await readValidationCsv(pb.validation)).toEqual(await readValidationCsv(pa.validation));
    const rollouts = await readFile(pb.rollouts, 'utf8');
    expect(rollouts.trim().split('\n')).toHaveLength(4 * 2);
    expect(rollouts).toBe(await readFile(pa.rollouts, 'utf8'));
    // Provenance differs only in its times; the rest (commit, versions, host) is the same process's.
    const untimedProvenance = (p: RunSummary['provenance']) => ({ ...p!, started_at: '', finished_at: '' });
    expect(untimedProvenance(b2.summary!.provenance)).toEqual(untimedProvenance(a.summary!.provenance));
    expect({
      ...b2.summary!,
      wall_s: 0,
      finished_at: '',
      provenance: undefined,
      test: { ...b2.summary!.test, wall_s: 0 },
    }).toEqual({
      ...a.summary!,
      wall_s: 0,
      finished_at: '',
      provenance: undefined,
      test: { ...a.summary!.test, wall_s: 0 },
    });
  });

  it('resuming a finished run returns its summary; a changed config is refused', async () => {
    const dir = join(s.dir, 'paft-whole');
    const again = await runTraining(testConfig(s, 'paft', dir, extra), { ...quiet, resume: true });
    expect(again.summary!.steps).toBe(4);
    await expect(
      runTraining(testConfig(s, 'paft', dir, [...extra, 'algorithm.q=0.25']), { ...quiet, resume: true }),
    ).rejects.toThrow(/--resume needs the config the run started with/);
  });

  it('a run from before train.shared_prompt and train.cached_scoring resumes as it ran, bit for bit', async () => {
    const steps = ['train.steps=3', 'train.eval_every=0', 'train.checkpoint_every=1'];
    const whole = join(s.dir, 'garl-whole-sequences');
    const split = join(s.dir, 'garl-old-version');
    const old = [...steps, 'train.shared_prompt=false', 'train.cached_scoring=false'];
    await runTraining(testConfig(s, 'garl', whole, old), quiet);
    const b1 = await runTraining(testConfig(s, 'garl', split, old), {
      ...quiet,
      stopAfterSteps: 1,
    });
    expect(b1.completedSteps).toBe(1);
    // As an earlier version wrote it: no shared_prompt or cached_scoring line. The resume asks for the defaults (true).
    const config = runPaths(split).config;
    const text = await readFile(config, 'utf8');
    expect(text).toMatch(/\n {2}shared_prompt: false\n/);
    expect(text).toMatch(/\n {2}cached_scoring: false\n/);
    await writeFile(config, text.replace(/\n {2}(shared_prompt|cached_scoring): false(?=\n)/g, ''));
    const b2 = await runTraining(testConfig(s, 'garl', split, steps), { ...quiet, resume: true });
    expect(b2.completedSteps).toBe(3);
    const [wa, wb] = await Promise.all(
      [whole, split].map((d) => readFile(join(runPaths(d).checkpoint(3), 'model.safetensors'))),
    );
    expect(wb!.equals(wa!)).toBe(true);
    // Run with the shared prompt and cached scoring from step 2 on, it would not be: the rounding differs.
    const shared = join(s.dir, 'garl-shared');
    await runTraining(testConfig(s, 'garl', shared, steps), quiet);
    const ws = await readFile(join(runPaths(shared).checkpoint(3), 'model.safetensors'));
    expect(ws.equals(wa!)).toBe(false);
  });

  it('stopAfterSteps stops like an interruption; resume without a checkpoint starts over', async () => {
    const dir = join(s.dir, 'garl-stop');
    const r = await runTraining(testConfig(s, 'garl', dir, ['train.steps=3']), { ...quiet, stopAfterSteps: 1 });
    expect(r).toMatchObject({ interrupted: true, completedSteps: 1 });
    const fresh = await runTraining(testConfig(s, 'rloo', join(s.dir, 'fresh'), ['train.steps=1']), {
      ...quiet,
      resume: true,
    });
    expect(fresh.completedSteps).toBe(1);
  });
});
