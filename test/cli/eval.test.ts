/** `eval` with a run's config never changes the run: it writes to <run>/eval-<checkpoint>/, says where, and --out chooses. */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { readEvalSummary } from '../../src/run-dir/json.js';
import { runPaths } from '../../src/run-dir/paths.js';
import { runTraining } from '../../src/experiment/train.js';
import { initModel } from '../../src/model/checkpoint.js';
import { pathExists } from '../../src/util/atomic-write.js';
import { FIXTURES, scratchWithModel, testConfig } from '../experiment/helpers.js';
import { cli, ensureBuilt } from './built-cli.js';

/** Questions in the fixture task's train.jsonl. */
const TRAIN_QUESTIONS = 6;

let dir: string;
let run: string;
let base: string;
beforeAll(async () => {
  ensureBuilt();
  const s = await scratchWithModel();
  dir = s.dir;
  run = join(dir, 'run');
  await runTraining(testConfig(s, 'garl', run, ['train.steps=1', 'eval.samples=2']), {
    console: false,
    progress: false,
  });
  base = join(dir, 'tiny-base');
  await initModel('tiny', base, 5);
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

/** Every file under `root` (relative path -> sha256), `skip` (a folder name) aside. */
async function hashes(root: string, skip?: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    const path = join(e.parentPath, e.name);
    const rel = relative(root, path);
    if (!e.isFile() || (skip && rel.split('/')[0] === skip)) continue;
    out[rel] = createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  }
  return out;
}

it('eval --config RUN/config.yaml --checkpoint models/tiny-base leaves every file of RUN unchanged and says where it wrote', async () => {
  const before = await hashes(run);
  expect(Object.keys(before)).toEqual(
    expect.arrayContaining(['summary.json', 'eval/test.json', 'eval/test.predictions.jsonl', 'config.yaml']),
  );
  const config = runPaths(run).config;

  const r = await cli('eval', '--config', config, '--checkpoint', base);
  expect(r.code).toBe(0);
  const folder = join(run, 'eval-tiny-base');
  expect(r.stderr).toContain(folder);
  expect(r.stderr).toContain('test: 2/2 questions (100%)'); // progress, as lines off a terminal
  expect(await hashes(run, 'eval-tiny-base')).toEqual(before);
  expect(await readEvalSummary(runPaths(folder).evalSummary('test'))).toMatchObject({
    split: 'test',
    checkpoint_step: null,
    k: 2,
  });

  // Again: refused (exit 2) rather than replacing the earlier eval; --force replaces it.
  const again = await cli('eval', '--config', config, '--checkpoint', base);
  expect(again.code).toBe(2);
  expect(again.stderr).toMatch(/eval-tiny-base\/eval\/test\.json exists from an earlier eval; pass --force/);
  expect((await cli('eval', '--config', config, '--checkpoint', base, '--force')).code).toBe(0);

  // Another split of the same checkpoint goes beside it; --out writes where it says.
  expect((await cli('eval', '--config', config, '--checkpoint', base, '--split', 'validation')).code).toBe(0);
  expect((await readdir(join(folder, 'eval'))).sort()).toEqual([
    'test.json',
    'test.predictions.jsonl',
    'validation.json',
    'validation.predictions.jsonl',
  ]);
  // The training split too (how a checkpoint does on the questions it trained on).
  expect((await cli('eval', '--config', config, '--checkpoint', base, '--split', 'train')).code).toBe(0);
  expect(await readEvalSummary(runPaths(folder).evalSummary('train'))).toMatchObject({
    split: 'train',
    n: TRAIN_QUESTIONS,
  });
  const out = join(dir, 'elsewhere');
  const o = await cli('eval', '--config', config, '--checkpoint', join(run, 'checkpoints', 'best'), '--out', out);
  expect(o.code).toBe(0);
  expect(o.stderr).toContain(out);
  expect(await pathExists(join(out, 'eval', 'test.json'))).toBe(true);
  expect(await hashes(run, 'eval-tiny-base')).toEqual(before);
});

it('eval refuses to create a run directory that does not exist yet (train would then refuse it)', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'tsallis-eval-'));
  try {
    const yaml = join(empty, 'config.yaml');
    await writeFile(
      yaml,
      [
        `model: {path: ${JSON.stringify(base)}}`,
        `task: {name: mini-hotpotqa, start: cold, data_dir: ${JSON.stringify(join(FIXTURES, 'task'))}, prompts: ${JSON.stringify(join(FIXTURES, 'prompts'))}}`,
        'algorithm: {name: garl, q: 0.5}',
        'rollout: {m: 4, max_new_tokens: 16, answer_budget: 4}',
        `output: {dir: ${JSON.stringify(join(empty, 'not-yet'))}}`,
      ].join('\n'),
    );
    const r = await cli('eval', '--config', yaml, '--checkpoint', base);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not-yet: the config's run directory does not exist.*pass --out DIR/);
    expect(await pathExists(join(empty, 'not-yet'))).toBe(false);
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
});
