/**
 * Runs that cannot be poisoned, doubled or stranded: non-finite guards, the run lock, resume by config
 * values, a stop during the final test, and a failed start that leaves no run directory.
 */
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { readMetricsCsv } from '../../src/run-dir/csv.js';
import { runPaths } from '../../src/run-dir/paths.js';
import { RUN_LOCK_FILE } from '../../src/experiment/run-lock.js';
import { runTraining } from '../../src/experiment/train.js';
import { loadModel, saveModel } from '../../src/model/checkpoint.js';
import { pathExists } from '../../src/util/atomic-write.js';
import { FIXTURES, scratchWithModel, testConfig, type Scratch } from './helpers.js';

let s: Scratch;
beforeAll(async () => {
  s = await scratchWithModel(5);
});
afterAll(async () => s.cleanup());

const quiet = { console: false, progress: false };

/** Every checkpoint directory's model weights are finite. */
async function checkpointsFinite(dir: string): Promise<number> {
  const ck = runPaths(dir).checkpoints;
  let n = 0;
  for (const name of await readdir(ck)) {
    const m = await loadModel(join(ck, name));
    for (const w of m.weights.values()) expect(w.every(Number.isFinite)).toBe(true);
    n++;
  }
  return n;
}

describe('non-finite values', () => {
  it('an update that overflows the weights stops the run naming the tensor; no checkpoint holds it', async () => {
    const dir = join(s.dir, 'diverge');
    // lr 1e39: AdamW's first step moves every weight by about 1e39, past float32's 3.4e38.
    const config = testConfig(s, 'sft', dir, [
      'train.steps=3',
      'train.eval_every=0',
      'train.checkpoint_every=1',
      'optimizer.lr=1e39',
      'optimizer.weight_decay=0',
      'optimizer.grad_clip=0',
    ]);
    await expect(runTraining(config, quiet)).rejects.toThrow(
      /step 1: the update left non-finite weights \(first: model\.[\w.]+;.*lr 1e\+39\); stopped without writing them.*lower optimizer\.lr/,
    );
    expect(await checkpointsFinite(dir)).toBe(0);
    expect((await readMetricsCsv(runPaths(dir).metrics)).map((r) => r.step)).toEqual([1]);
  });

  it('steps whose loss is not finite are skipped whole, and max_nonfinite_steps in a row stop the run', async () => {
    // q_norm and k_norm scaled by 1e20 (finite weights): attention scores near 1e40 overflow, the loss is NaN.
    const model = await loadModel(s.model);
    for (const [name, w] of model.weights)
      if (/self_attn\.[qk]_norm/.test(name)) w.forEach((x, i) => (w[i] = x * 1e20));
    const hot = join(s.dir, 'hot-model');
    await saveModel(hot, {
      config: model.config,
      weights: model.weights,
      tokenizerDir: s.model,
      hfConfig: model.hfConfig,
      dtype: 'F32',
    });
    const dir = join(s.dir, 'nan-loss');
    const config = testConfig({ ...s, model: hot }, 'sft', dir, [
      'train.steps=6',
      'train.eval_every=0',
      'train.checkpoint_every=1',
      'train.max_nonfinite_steps=2',
      'optimizer.weight_decay=0.1',
    ]);
    await expect(runTraining(config, quiet)).rejects.toThrow(
      /steps 1-2: the loss or gradient norm was not finite 2 steps in a row \(train\.max_nonfinite_steps 2\)/,
    );
    const rows = await readMetricsCsv(runPaths(dir).metrics);
    expect(rows.map((r) => r.step)).toEqual([1, 2]);
    expect(rows.every((r) => r.above_eps === null)).toBe(true);
    // Skipped means skipped: not even the weight decay acted (the checkpoint after step 1 holds the starting weights).
    const after = await loadModel(runPaths(dir).checkpoint(1));
    for (const [name, w] of after.weights) expect(w).toEqual(model.weights.get(name));
  });

  it("a config whose weight decay would flip the weights' sign is refused", () => {
    expect(() => testConfig(s, 'grpo', join(s.dir, 'x'), ['optimizer.lr=1e6', 'optimizer.weight_decay=0.01'])).toThrow(
      /optimizer\.weight_decay: expected lr x weight_decay below 1/,
    );
  });
});

describe('the run lock', () => {
  it('a second train on a run in progress is refused naming the holder; each step is written once', async () => {
    const dir = join(s.dir, 'locked');
    const extra = ['train.steps=3'];
    let second: Promise<unknown> | undefined;
    const first = runTraining(testConfig(s, 'garl', dir, extra), {
      ...quiet,
      onStep: (step) => {
        if (step === 1) second = runTraining(testConfig(s, 'garl', dir, extra), { ...quiet, resume: true });
      },
    });
    const r = await first;
    await expect(second).rejects.toThrow(new RegExp(`in use by process ${process.pid} on ${hostname()}`));
    expect(r.completedSteps).toBe(3);
    expect((await readMetricsCsv(runPaths(dir).metrics)).map((m) => m.step)).toEqual([1, 2, 3]);
    expect(await pathExists(join(dir, RUN_LOCK_FILE))).toBe(false);
  });

  it('a stale lock (its process gone) is taken over', async () => {
    const dir = join(s.dir, 'stale');
    const a = await runTraining(testConfig(s, 'rloo', dir, ['train.steps=2']), { ...quiet, stopAfterSteps: 1 });
    expect(a.interrupted).toBe(true);
    // No process has pid 2^22 + 1 (above Linux's default pid_max).
    await writeFile(
      join(dir, RUN_LOCK_FILE),
      JSON.stringify({ pid: 4194305, host: hostname(), started: '2026-01-01T00:00:00Z' }) + '\n',
    );
    // The killed process also left a half-written checkpoint folder.
    const partial = join(runPaths(dir).checkpoints, 'checkpoint-2.partial-4194305');
    await cp(runPaths(dir).checkpoint(1), partial, { recursive: true });
    const b = await runTraining(testConfig(s, 'rloo', dir, ['train.steps=2']), { ...quiet, resume: true });
    expect(b.completedSteps).toBe(2);
    expect(await pathExists(partial)).toBe(false);
    expect(await readFile(join(dir, 'log.jsonl'), 'utf8')).toContain('took over the run lock of process 4194305');
  });

  it('a lock of another host is never taken over', async () => {
    const dir = join(s.dir, 'other-host');
    await runTraining(testConfig(s, 'rloo', dir, ['train.steps=2']), { ...quiet, stopAfterSteps: 1 });
    await writeFile(join(dir, RUN_LOCK_FILE), JSON.stringify({ pid: 1, host: 'elsewhere.example', started: 'x' }));
    await expect(
      runTraining(testConfig(s, 'rloo', dir, ['train.steps=2']), { ...quiet, resume: true }),
    ).rejects.toThrow(/in use by process 1 on elsewhere\.example.*delete .*run\.lock/);
  });
});

describe('resume by meaning', () => {
  it("resumes from the run's own config.yaml, and from a moved run folder", async () => {
    const dir = join(s.dir, 'own-config');
    const extra = ['train.steps=3', 'train.eval_every=0'];
    await runTraining(testConfig(s, 'paft', dir, extra), { ...quiet, stopAfterSteps: 1 });
    const own = await loadConfig(runPaths(dir).config);
    const r = await runTraining(own, { ...quiet, resume: true, stopAfterSteps: 1 });
    expect(r.completedSteps).toBe(2);

    const moved = join(s.dir, 'moved');
    await cp(dir, moved, { recursive: true });
    const m = await runTraining(testConfig(s, 'paft', moved, [...extra, 'threads=2', 'train.log_every=5']), {
      ...quiet,
      resume: true,
    });
    expect(m.completedSteps).toBe(3);
    expect((await readMetricsCsv(runPaths(moved).metrics)).map((x) => x.step)).toEqual([1, 2, 3]);
  });

  it('a changed field is refused, naming it with both values', async () => {
    const dir = join(s.dir, 'changed');
    await runTraining(testConfig(s, 'garl', dir, ['train.steps=2']), { ...quiet, stopAfterSteps: 1 });
    await expect(
      runTraining(testConfig(s, 'garl', dir, ['train.steps=2', 'algorithm.q=0.25']), { ...quiet, resume: true }),
    ).rejects.toThrow(
      /config\.yaml: --resume needs the config the run started with; 2 fields differ: .*algorithm\.q: 0\.75 in the run, 0\.25 now \(free to differ: output\.dir, threads, train\.log_every, train\.log_rollouts, train\.shared_prompt, train\.cached_scoring\)/,
    );
  });
});

describe('stops and failed starts', () => {
  it('a stop during the final test writes no summary; --resume runs the test', async () => {
    const dir = join(s.dir, 'stop-in-test');
    const extra = ['train.steps=2', 'train.eval_every=0'];
    const controller = new AbortController();
    const a = await runTraining(testConfig(s, 'rloo', dir, extra), {
      ...quiet,
      signal: controller.signal,
      onStep: (step) => step === 2 && controller.abort(),
    });
    expect(a).toMatchObject({ interrupted: true, completedSteps: 2, summary: null });
    expect(await pathExists(runPaths(dir).summary)).toBe(false);
    expect(await readFile(join(dir, 'log.jsonl'), 'utf8')).toContain('interrupted during the final test evaluation');
    const b = await runTraining(testConfig(s, 'rloo', dir, extra), { ...quiet, resume: true });
    expect(b.summary?.test.n).toBeGreaterThan(0);
    expect((await readMetricsCsv(runPaths(dir).metrics)).map((x) => x.step)).toEqual([1, 2]);
  });

  it('a start that fails on its data or model leaves no run directory', async () => {
    const dir = join(s.dir, 'bad-start');
    await expect(runTraining(testConfig(s, 'rloo', dir, ['model.path=/nonexistent/model']), quiet)).rejects.toThrow(
      /nonexistent/,
    );
    await expect(runTraining(testConfig(s, 'rloo', dir, ['task.data_dir=/nonexistent/data']), quiet)).rejects.toThrow(
      /nonexistent/,
    );
    expect(await pathExists(dir)).toBe(false);
    const ok = await runTraining(testConfig(s, 'rloo', dir, ['train.steps=1']), quiet);
    expect(ok.completedSteps).toBe(1);
  });

  it('a 20,000-token record on line 3 of train.jsonl is refused before anything is written', async () => {
    const data = join(s.dir, 'long-task');
    await cp(join(FIXTURES, 'task'), data, { recursive: true });
    const lines = (await readFile(join(data, 'train.jsonl'), 'utf8')).split('\n');
    lines[2] = JSON.stringify({
      ...JSON.parse(lines[2]!),
      id: 'long',
      question: 'lorem ipsum dolor sit amet '.repeat(4000),
    });
    await writeFile(join(data, 'train.jsonl'), lines.join('\n'));
    const dir = join(s.dir, 'long-run');
    await expect(runTraining(testConfig(s, 'garl', dir, [`task.data_dir=${data}`]), quiet)).rejects.toThrow(
      new RegExp(
        `${join(data, 'train.jsonl')}: line 3 \\(id long\\): the prompt is [\\d,]+ tokens.*max_position_embeddings`,
      ),
    );
    expect(await pathExists(dir)).toBe(false);
  });

  it('--resume of a directory that does not exist starts the run and says so', async () => {
    const dir = join(s.dir, 'never');
    await runTraining(testConfig(s, 'rloo', dir, ['train.steps=1']), { ...quiet, resume: true });
    expect(await readFile(join(dir, 'log.jsonl'), 'utf8')).toContain('did not exist; starting the run fresh');
  });
});
