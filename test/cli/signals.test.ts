/** SIGTERM (Slurm's time limit, `timeout`, `docker stop`) stops a run as Ctrl-C does: a checkpoint, exit 143, and --resume finishes it. */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMetricsCsv } from '../../src/run-dir/csv.js';
import { runPaths } from '../../src/run-dir/paths.js';
import { initModel } from '../../src/model/checkpoint.js';
import { pathExists } from '../../src/util/atomic-write.js';
import { FIXTURES } from '../experiment/helpers.js';
import { cli, ensureBuilt, ROOT } from './built-cli.js';

let dir: string;
beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'tsallis-signal-'));
  await initModel('tiny', join(dir, 'model'), 3);
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

it('SIGTERM after a few steps: a checkpoint, exit 143; --resume writes each step once and finishes', async () => {
  const out = join(dir, 'run');
  const config = join(dir, 'config.yaml');
  await writeFile(
    config,
    [
      `model: {path: ${JSON.stringify(join(dir, 'model'))}}`,
      'seed: 3',
      'threads: 1',
      `task: {name: mini-hotpotqa, start: cold, data_dir: ${JSON.stringify(join(FIXTURES, 'task'))}, prompts: ${JSON.stringify(join(FIXTURES, 'prompts'))}}`,
      'algorithm: {name: garl, q: 0.5}',
      'rollout: {m: 4, max_new_tokens: 16, answer_budget: 4}',
      'train: {steps: 40, questions_per_step: 2, micro_batch_tokens: 128, eval_every: 0}',
      'optimizer: {lr: 0.001}',
      'eval: {samples: 2}',
    ].join('\n'),
  );
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'tsallis-run'), 'train', '--config', config, '--out', out], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  while ((await readMetricsCsv(runPaths(out).metrics).catch(() => [])).length < 2)
    await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGTERM');
  expect(await exited).toBe(143);
  expect(stderr).toContain('SIGTERM: finishing the current step and writing a checkpoint');
  const checkpoints = (await readdir(runPaths(out).checkpoints)).filter((n) => n.startsWith('checkpoint-'));
  expect(checkpoints).toHaveLength(1);
  // The step running at the signal finished: N rows, "interrupted after step N", checkpoint-N (steps count from 1).
  const n = (await readMetricsCsv(runPaths(out).metrics)).length;
  expect(checkpoints).toEqual([`checkpoint-${n}`]);
  expect(stderr).toContain(`step ${n}/40`);
  expect(stderr).toContain(`interrupted after step ${n}; continue with --resume`);
  expect(await pathExists(runPaths(out).summary)).toBe(false);
  expect(await pathExists(join(out, 'run.lock'))).toBe(false);

  const resumed = await cli('train', '--config', config, '--out', out, '--resume');
  expect(resumed.code).toBe(0);
  expect((await readMetricsCsv(runPaths(out).metrics)).map((r) => r.step)).toEqual(
    Array.from({ length: 40 }, (_, i) => i + 1),
  );
  expect(await pathExists(runPaths(out).summary)).toBe(true);
});
