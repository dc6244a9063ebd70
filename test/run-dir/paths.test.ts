/** The run directory's names and paths, and claiming one (src/run-dir/paths.ts). */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimRunDir, runPaths } from '../../src/run-dir/paths.js';
import { checkpointStep } from '../../src/run-dir/step-numbering.js';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tsallis-run-dir-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('the run directory', () => {
  it('names every artefact', () => {
    const p = runPaths('runs/a');
    expect([p.config, p.metrics, p.validation, p.summary, p.log]).toEqual([
      'runs/a/config.yaml',
      'runs/a/metrics.csv',
      'runs/a/validation.csv',
      'runs/a/summary.json',
      'runs/a/log.jsonl',
    ]);
    expect([p.evalSummary('test'), p.predictions('validation'), p.checkpoint(40), p.best]).toEqual([
      'runs/a/eval/test.json',
      'runs/a/eval/validation.predictions.jsonl',
      'runs/a/checkpoints/checkpoint-40',
      'runs/a/checkpoints/best',
    ]);
    expect(checkpointStep('checkpoint-40')).toBe(40);
    expect(checkpointStep('best')).toBeNull();
    expect(checkpointStep('step-39')).toBeNull(); // an earlier version's name (step-numbering.test.ts)
    expect(() => p.checkpoint(0)).toThrow(/positive integer/);
    expect(() => p.checkpoint(-1)).toThrow(/positive integer/);
  });

  it('lets only one of two runs started at once claim a directory', async () => {
    const dir = join(tmp, 'sweep', 'same-name');
    const results = await Promise.allSettled([claimRunDir(dir), claimRunDir(dir)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(String(failed.reason)).toMatch(/the run directory already exists; pass --resume/);
    await expect(claimRunDir(dir, { resume: true })).resolves.toMatchObject({ dir });
    expect((await readdir(dir)).sort()).toEqual(['checkpoints', 'eval']);
  });
});
