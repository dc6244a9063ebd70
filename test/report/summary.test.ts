/** The flat summary CSV (`report --summary FILE`), from run directories made here with the layout's own writers. */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METRICS_COLUMNS, openMetricsCsv, type MetricsRow } from '../../src/run-dir/csv.js';
import { writeRunSummary, type RunSummary } from '../../src/run-dir/json.js';
import { runPaths } from '../../src/run-dir/paths.js';
import { parse } from 'csv-parse/sync';
import { writeReport } from '../../src/report/report.js';
import { collectRuns } from '../../src/report/runs.js';
import { seedsSummaryPath, summaryCsv, summarySeedsCsv } from '../../src/report/summary.js';
import { cli, ensureBuilt } from '../cli/built-cli.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tsallis-summary-'));
  await makeRuns(join(tmp, 'sweep'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

interface FakeRun {
  name: string;
  task: string;
  start: 'cold' | 'warm';
  method: RunSummary['method'];
  q?: number;
  seed: number;
  /** The summary's fields, when the run finished. */
  done?: {
    p1: number;
    p16: number;
    m16: number;
    m16_abstain?: number;
    best_step: number | null;
    steps: number;
    wall_s: number;
  };
  /** Steps in metrics.csv. */
  logged: number;
}

/** A run directory as the trainer leaves it: config.yaml, metrics.csv, and summary.json once finished. */
async function makeRun(parent: string, r: FakeRun): Promise<void> {
  const paths = runPaths(join(parent, r.name));
  await mkdir(paths.dir, { recursive: true });
  const algorithm = r.q === undefined ? `{name: ${r.method}}` : `{name: ${r.method}, q: ${r.q}}`;
  await writeFile(
    paths.config,
    `name: ${r.name}\nseed: ${r.seed}\ntask: {name: ${r.task}, start: ${r.start}}\nalgorithm: ${algorithm}\ntrain: {steps: 4}\n`,
  );
  const csv = await openMetricsCsv(paths);
  const empty = Object.fromEntries(METRICS_COLUMNS.map((c) => [c, null])) as unknown as MetricsRow;
  for (let step = 0; step < r.logged; step++)
    await csv.append({ ...empty, step, mean_reward: step / 4, q: r.q ?? null });
  if (!r.done) return;
  const d = r.done;
  await writeRunSummary(paths, {
    name: r.name,
    task: r.task,
    start: r.start,
    method: r.method,
    q: r.q ?? null,
    seed: r.seed,
    steps: d.steps,
    best_step: d.best_step,
    best_validation_m16: d.best_step === null ? null : 25,
    test: {
      split: 'test',
      checkpoint_step: d.best_step,
      n: 64,
      k: 16,
      p1: d.p1,
      p16: d.p16,
      m16: d.m16,
      ...(d.m16_abstain === undefined ? {} : { m16_abstain: d.m16_abstain }),
      wall_s: 3,
    },
    wall_s: d.wall_s,
    finished_at: '2026-05-01T00:00:00.000Z',
  });
}

/** Written in an order unlike the CSV's, to see the rows sorted. */
async function makeRuns(parent: string): Promise<void> {
  const runs: FakeRun[] = [
    {
      name: 'mini-musique-cold-garl-q0.5',
      task: 'mini-musique',
      start: 'cold',
      method: 'garl',
      q: 0.5,
      seed: 0,
      logged: 2,
    },
    {
      name: 'mini-finqa-cold-garl-q0.75-s1',
      task: 'mini-finqa',
      start: 'cold',
      method: 'garl',
      q: 0.75,
      seed: 1,
      logged: 4,
      done: { p1: 31.25, p16: 62.5, m16: 40.625, best_step: 3, steps: 4, wall_s: 1234.5678 },
    },
    {
      name: 'mini-finqa-cold-garl-q0.25',
      task: 'mini-finqa',
      start: 'cold',
      method: 'garl',
      q: 0.25,
      seed: 0,
      logged: 4,
      done: { p1: 10.9375, p16: 50, m16: 20.3125, best_step: 2, steps: 4, wall_s: 99.96 },
    },
    {
      name: 'mini-finqa-cold-garl-q0.75-s0',
      task: 'mini-finqa',
      start: 'cold',
      method: 'garl',
      q: 0.75,
      seed: 0,
      logged: 4,
      done: { p1: 30, p16: 60, m16: 37.5, m16_abstain: 43.75, best_step: null, steps: 4, wall_s: 12 },
    },
    {
      name: 'mini-finqa-cold-garl-q0.75-s2',
      task: 'mini-finqa',
      start: 'cold',
      method: 'garl',
      q: 0.75,
      seed: 2,
      logged: 4,
      done: { p1: 28.75, p16: 57.5, m16: 34.375, best_step: 3, steps: 4, wall_s: 12 },
    },
    {
      name: 'mini-finqa-cold-grpo',
      task: 'mini-finqa',
      start: 'cold',
      method: 'grpo',
      seed: 0,
      logged: 4,
      done: { p1: 25.5, p16: 58.75, m16: 33.3, best_step: 3, steps: 4, wall_s: 345.45 },
    },
  ];
  for (const r of runs) await makeRun(parent, r);
}

const EXPECTED = [
  'task,start,method,q,seed,p1,p16,m16,best_step,steps,wall_s,m16_abstain',
  'mini-finqa,cold,garl,0.25,0,10.9375,50,20.3125,2,4,100.0,',
  'mini-finqa,cold,garl,0.75,0,30,60,37.5,,4,12.0,43.75',
  'mini-finqa,cold,garl,0.75,1,31.25,62.5,40.625,3,4,1234.6,',
  'mini-finqa,cold,garl,0.75,2,28.75,57.5,34.375,3,4,12.0,',
  'mini-finqa,cold,grpo,,0,25.5,58.75,33.3,3,4,345.5,',
  '',
].join('\n');

const SEEDS_HEADER =
  'task,start,method,q,q_schedule,n,p1_mean,p1_sd,p1_ci95_low,p1_ci95_high,p16_mean,p16_sd,p16_ci95_low,p16_ci95_high,m16_mean,m16_sd,m16_ci95_low,m16_ci95_high';

/** The seeds summary's rows, numbers parsed ('' stays ''). */
function seedsRows(text: string): Record<string, string | number>[] {
  const rows = parse(text, { columns: true }) as Record<string, string>[];
  return rows.map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === '' || Number.isNaN(Number(v)) ? v : Number(v)])),
  );
}

describe('the summary CSV', () => {
  it('has one row per finished run, q empty for GRPO, sorted by task, start, method, q, seed', async () => {
    const runs = await collectRuns([join(tmp, 'sweep')]);
    expect(runs.map((r) => r.status).sort()).toEqual([
      'finished',
      'finished',
      'finished',
      'finished',
      'finished',
      'incomplete',
    ]);
    expect(summaryCsv(runs)).toBe(EXPECTED);
    expect(summaryCsv([])).toBe('task,start,method,q,seed,p1,p16,m16,best_step,steps,wall_s,m16_abstain\n');
  });

  it('the seeds summary: one row per task, start, method and q, with n, mean, sd and the t interval', async () => {
    const runs = await collectRuns([join(tmp, 'sweep')]);
    const text = summarySeedsCsv(runs);
    expect(text.split('\n')[0]).toBe(SEEDS_HEADER);
    const rows = seedsRows(text);
    expect(rows.map((r) => [r['method'], r['q'], r['n']])).toEqual([
      ['garl', 0.25, 1],
      ['garl', 0.75, 3],
      ['grpo', '', 1],
    ]);
    // One seed: its value, no sd, no interval.
    expect(rows[0]).toMatchObject({
      task: 'mini-finqa',
      start: 'cold',
      q_schedule: '',
      p1_mean: 10.9375,
      p1_sd: '',
      p1_ci95_low: '',
      p1_ci95_high: '',
      m16_mean: 20.3125,
    });
    // Three seeds. p1 30, 31.25, 28.75: mean 30, sd sqrt((0 + 1.5625 + 1.5625) / 2) = 1.25; p16 60, 62.5, 57.5: mean 60, sd 2.5;
    // m16 37.5, 40.625, 34.375: mean 37.5, sd 3.125. Half widths t_{0.975,2} sd / sqrt(3) with t = 4.302653.
    const g = rows[1]!;
    const half = (sd: number) => (4.302653 * sd) / Math.sqrt(3);
    for (const [m, mean, sd] of [
      ['p1', 30, 1.25],
      ['p16', 60, 2.5],
      ['m16', 37.5, 3.125],
    ] as const) {
      expect(g[`${m}_mean`]).toBeCloseTo(mean, 12);
      expect(g[`${m}_sd`]).toBeCloseTo(sd, 12);
      expect(g[`${m}_ci95_low`]).toBeCloseTo(mean - half(sd), 5);
      expect(g[`${m}_ci95_high`]).toBeCloseTo(mean + half(sd), 5);
    }
    expect(g['p1_ci95_low']).toBeCloseTo(26.894828, 5);
    expect(summarySeedsCsv([])).toBe(SEEDS_HEADER + '\n');
  });

  it('puts the seeds summary beside the summary', () => {
    expect(seedsSummaryPath('out/summary.csv')).toBe('out/summary-seeds.csv');
    expect(seedsSummaryPath('out/all')).toBe('out/all-seeds.csv');
  });

  it('is written by writeReport with the report, and atomically (no temporary file left)', async () => {
    const out = join(tmp, 'out1');
    const summary = join(out, 'csv', 'summary.csv');
    const { files } = await writeReport([join(tmp, 'sweep')], { format: 'md', out: join(out, 'report'), summary });
    expect(files).toContain(summary);
    expect(files).toContain(join(out, 'csv', 'summary-seeds.csv'));
    expect(await readFile(summary, 'utf8')).toBe(EXPECTED);
    expect(seedsRows(await readFile(join(out, 'csv', 'summary-seeds.csv'), 'utf8'))).toHaveLength(3);
    expect(await readdir(join(out, 'csv'))).toEqual(['summary-seeds.csv', 'summary.csv']);
    await expect(
      writeReport([join(tmp, 'sweep')], { format: 'csv', out: join(out, 'r'), summary: join(out, 'r', 'runs.csv') }),
    ).rejects.toThrow(/--summary .*runs\.csv: the report writes/);
    // The seeds summary of --summary r/t.csv would overwrite the report's r/t-seeds.csv.
    await expect(
      writeReport([join(tmp, 'sweep')], {
        format: 'csv',
        out: join(out, 'r', 't-seeds.csv'),
        summary: join(out, 'r', 't.csv'),
      }),
    ).rejects.toThrow(/the report writes .*t-seeds\.csv itself/);
  });

  describe('tsallis-run report --summary', () => {
    beforeAll(ensureBuilt, 120_000);

    it('writes the CSV beside the report and documents the flag', async () => {
      const out = join(tmp, 'out2');
      const r = await cli(
        'report',
        join(tmp, 'sweep'),
        '--out',
        join(out, 'report'),
        '--summary',
        join(out, 'summary.csv'),
      );
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('6 runs (5 finished, 1 incomplete, 0 invalid)');
      expect(r.stderr).toContain(`wrote ${join(out, 'summary.csv')}`);
      expect(r.stderr).toContain(`wrote ${join(out, 'summary-seeds.csv')}`);
      expect(await readFile(join(out, 'summary.csv'), 'utf8')).toBe(EXPECTED);
      expect(await readFile(join(out, 'report', 'report.md'), 'utf8')).toMatch(/6 runs: 5 finished, 1 incomplete/);
      const help = await cli('report', '--help');
      expect(help.stdout).toMatch(/--summary/);
      expect(help.stdout).toContain('task,start,method,q,seed,p1,p16,m16,best_step,steps,wall_s,m16_abstain');
      expect(help.stdout).toContain('-seeds.csv');
    });
  });
});
