/** summary.json and log.jsonl record the commit, versions, device, host, times and Slurm job of a run. */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { readRunSummary, runSummarySchema } from '../../src/run-dir/json.js';
import { runPaths } from '../../src/run-dir/paths.js';
import { buildState, collectProvenance, provenanceLine, staleBuild } from '../../src/experiment/provenance.js';
import { runTraining } from '../../src/experiment/train.js';
import { scratchWithModel, testConfig, type Scratch } from './helpers.js';

let s: Scratch;
beforeAll(async () => {
  s = await scratchWithModel();
});
afterAll(async () => s.cleanup());

const git = (...args: string[]) => execFileSync('git', args, { cwd: process.cwd(), encoding: 'utf8' }).trim();

describe('provenance', () => {
  it('a run records the commit, versions, device, host, times and SLURM_JOB_ID in summary.json and its log', async () => {
    const before = { job: process.env.SLURM_JOB_ID, task: process.env.SLURM_ARRAY_TASK_ID };
    process.env.SLURM_JOB_ID = '4242';
    delete process.env.SLURM_ARRAY_TASK_ID;
    const out = join(s.dir, 'run');
    try {
      await runTraining(testConfig(s, 'garl', out, ['train.steps=0']), { console: false, progress: false });
    } finally {
      if (before.job === undefined) delete process.env.SLURM_JOB_ID;
      else process.env.SLURM_JOB_ID = before.job;
      if (before.task !== undefined) process.env.SLURM_ARRAY_TASK_ID = before.task;
    }
    const summary = await readRunSummary(runPaths(out).summary);
    const p = summary!.provenance!;
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as {
      version: string;
      dependencies: Record<string, string>;
    };
    expect(p).toMatchObject({
      git: { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no') !== '' },
      tsallis_run: pkg.version,
      node: process.version,
      device: 'cpu',
      threads: 1,
      host: hostname(),
      slurm_job_id: '4242',
      finished_at: summary!.finished_at,
    });
    expect(p.slurm_array_task_id).toBeUndefined();
    expect(p.onnxruntime).toMatch(/^\d+\.\d+\.\d+/);
    expect(Date.parse(p.started_at)).toBeLessThanOrEqual(Date.parse(p.finished_at!));

    const log = (await readFile(runPaths(out).log, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; provenance?: unknown });
    const lines = log.filter((l) => l.provenance !== undefined);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.provenance).toEqual({ ...p, finished_at: undefined });
    expect(lines[0]!.msg).toContain(`commit ${git('rev-parse', 'HEAD').slice(0, 12)}`);
    expect(lines[0]!.msg).toContain('slurm job 4242');

    // summary.json files written before provenance still read.
    const { provenance: _, ...old } = summary!;
    expect(runSummarySchema.parse(old)).toEqual(old);
  });

  it('takes the Slurm array task from the environment given', async () => {
    const p = await collectProvenance({ device: 'cpu', threads: 0 }, new Date(0), {
      SLURM_JOB_ID: '7',
      SLURM_ARRAY_TASK_ID: '3',
    });
    expect(p).toMatchObject({
      slurm_job_id: '7',
      slurm_array_task_id: '3',
      threads: 0,
      started_at: '1970-01-01T00:00:00.000Z',
    });
    const none = await collectProvenance({ device: 'cpu', threads: 0 }, new Date(0), {});
    expect(none.slurm_job_id).toBeUndefined();
  });

  it('names the commit the running code was built from, and flags a build older than the checkout', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsallis-build-info-'));
    try {
      await mkdir(join(dir, 'dist', 'experiment'), { recursive: true });
      const inDist = pathToFileURL(join(dir, 'dist', 'experiment', 'provenance.js')).href;
      const inSrc = pathToFileURL(join(dir, 'src', 'experiment', 'provenance.ts')).href;
      expect(await buildState(inDist, dir)).toBeNull(); // no build-info.json
      // The script npm run build runs writes this checkout's HEAD.
      execFileSync('node', ['data-scripts/build-info.mjs', join(dir, 'dist', 'build-info.json')]);
      const head = git('rev-parse', 'HEAD');
      expect(await buildState(inDist, dir)).toEqual({
        commit: head,
        dirty: git('status', '--porcelain', '--untracked-files=no') !== '',
      });
      expect(await buildState(inSrc, dir)).toBeNull(); // running from the sources: nothing was built
      await writeFile(join(dir, 'dist', 'build-info.json'), '{"commit": 3}');
      expect(await buildState(inDist, dir)).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const p = await collectProvenance({ device: 'cpu', threads: 0 }, new Date(0), {});
    const git1 = { commit: 'a'.repeat(40), dirty: false };
    expect(staleBuild({ git: git1, build: { commit: 'a'.repeat(40), dirty: false } })).toBe(false);
    expect(staleBuild({ git: git1, build: null })).toBe(false);
    expect(staleBuild({ git: git1, build: { commit: 'b'.repeat(40), dirty: false } })).toBe(true);
    expect(provenanceLine({ ...p, git: git1, build: { commit: 'b'.repeat(40), dirty: false } })).toContain(
      `commit ${'a'.repeat(12)}, built from ${'b'.repeat(12)}`,
    );
    expect(provenanceLine({ ...p, git: git1, build: null })).not.toContain('built from');
  });
});
