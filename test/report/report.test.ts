import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import {
  buildCurves,
  buildReport,
  collectRuns,
  findRunDirs,
  methodLabel,
  reportLocation,
  runsTable,
  studyTable,
  studyTableMarkdownCells,
  writeReport,
  type RunRecord,
} from '../../src/report/index.js';

const RUNS = fileURLToPath(new URL('../fixtures/runs/', import.meta.url));
const at = (...p: string[]) => join(RUNS, ...p);

let runs: RunRecord[];
beforeAll(async () => {
  runs = await collectRuns([RUNS]);
});
const run = (name: string) => runs.find((r) => r.name === name)!;

/** The Markdown table under a heading, as rows of cells keyed by column. */
function mdTable(md: string, heading: string): Record<string, string>[] {
  const section = md.split(`## ${heading}\n`)[1]!.split('\n## ')[0]!;
  const lines = section.split('\n').filter((l) => l.startsWith('|'));
  const cells = (l: string) => l.slice(2, -2).split(' | ');
  const header = cells(lines[0]!);
  return lines.slice(2).map((l) => Object.fromEntries(cells(l).map((c, i) => [header[i]!, c])));
}

describe('finding and reading runs', () => {
  it('finds every run directory, recursively, and no checkpoint inside one', async () => {
    const dirs = await findRunDirs([RUNS]);
    expect(dirs.map((d) => d.slice(RUNS.length))).toEqual([
      'broken/finqa-cold-paft-q0.5-seed0',
      'table1/finqa-cold-garl-q0.75-seed0',
      'table1/finqa-cold-garl-q0.75-seed1',
      'table1/finqa-cold-garl-q1-seed0',
      'table1/finqa-cold-grpo-seed0',
      'table1/musique-cold-garl-q0.75-seed0',
      'warm/finqa-warm-base-seed0',
      'warm/hotpotqa-warm-grpo-seed0',
      'warm/hotpotqa-warm-paft-q0.25-seed0',
      'warm/sweep/a/finqa-warm-garl-qsched-seed0',
    ]);
    expect(await findRunDirs([at('table1', 'finqa-cold-grpo-seed0'), at('table1')])).toHaveLength(5);
    await expect(findRunDirs([at('nowhere')])).rejects.toThrow(/nowhere: no such file or directory/);
  });

  it('tells finished, incomplete and invalid runs apart', () => {
    expect(run('finqa-cold-garl-q0.75-seed0').status).toBe('finished');
    const inc = run('musique-cold-garl-q0.75-seed0');
    expect(inc).toMatchObject({ status: 'incomplete', task: 'musique', start: 'cold', method: 'garl', q: 0.75, label: 'GARL q=0.75', plannedSteps: 10 });
    // The partial last line (a crash mid-append) is dropped.
    expect(inc.metrics.map((m) => m.step)).toEqual([0, 1]);
    const bad = run('finqa-cold-paft-q0.5-seed0');
    expect(bad.status).toBe('invalid');
    expect(bad.problem).toMatch(/summary\.json: test\.p1: /);
  });

  it('keeps the last row of a step repeated after a resume', () => {
    const m = run('finqa-cold-garl-q1-seed0').metrics;
    expect(m.map((r) => r.step)).toEqual([0, 1, 2, 3]);
    expect(m[2]).toMatchObject({ mean_reward: 0.5, kl: null, q: 1 });
  });

  it('labels rows as the study does', () => {
    expect(methodLabel('grpo', null)).toBe('GRPO');
    expect(methodLabel('garl', 0.75)).toBe('GARL q=0.75');
    expect(methodLabel('paft', 0.25)).toBe('PAFT q=0.25');
    expect(methodLabel('base', null)).toBe('Base model');
    expect(methodLabel('garl', null, [{ until: 100, q: 1 }, { q: 0 }])).toBe('GARL q=1@0,0@100');
    expect(methodLabel('paft', null, { linear: [{ step: 0, q: 1 }, { step: 50, q: 0.5 }] })).toBe('PAFT q=1@0~0.5@50');
    expect(run('finqa-warm-garl-qsched-seed0').label).toBe('GARL q=1@0,0@2');
  });
});

describe('the study tables', () => {
  it('cold start: methods by q as rows, datasets as columns, seeds averaged', () => {
    const t = studyTable(runs, 'cold');
    expect(t.tasks).toEqual(['finqa', 'musique']);
    expect(t.rows.map((r) => r.label)).toEqual(['GRPO', 'GARL q=0.75', 'GARL q=1']);
    const garl = t.rows[1]!.cells[0]!;
    expect(garl.runs).toBe(2);
    expect(garl.p1).toBeCloseTo(30, 10);
    expect(garl.p16).toBeCloseTo(60.6, 10);
    expect(garl.m16).toBeCloseTo(37.8, 10);
    expect(t.rows[1]!.cells[1]).toEqual({ p1: null, p16: null, m16: null, runs: 0, incomplete: 1 });
    const md = studyTableMarkdownCells(t);
    expect(md.columns).toEqual(['method', 'FinQA p@1', 'FinQA p@16', 'FinQA m@16', 'MuSiQue p@1', 'MuSiQue p@16', 'MuSiQue m@16']);
    expect(md.rows[0]).toEqual(['GRPO', '0.0', '0.0', '0.0', '–', '–', '–']);
    expect(md.rows[1]).toEqual(['GARL q=0.75', '30.0 (n=2)', '60.6 (n=2)', '37.8 (n=2)', 'incomplete', 'incomplete', 'incomplete']);
    expect(md.rows[2]).toEqual(['GARL q=1', '21.9', '58.7', '33.5', '–', '–', '–']);
  });

  it('warm start: the base model first, then GRPO, GARL, PAFT', () => {
    const md = studyTableMarkdownCells(studyTable(runs, 'warm'));
    expect(md.rows.map((r) => r[0])).toEqual(['Base model', 'GRPO', 'GARL q=1@0,0@2', 'PAFT q=0.25']);
    expect(md.columns.slice(1, 4)).toEqual(['FinQA p@1', 'FinQA p@16', 'FinQA m@16']);
    expect(md.rows[0]!.slice(1)).toEqual(['10.0', '40.0', '12.6', '–', '–', '–']);
    expect(md.rows[3]!.slice(4)).toEqual(['40.0', '70.0', '47.0']);
  });

  it('lists every run, unfinished ones with their progress', () => {
    const t = runsTable(runs);
    expect(t.rows).toHaveLength(10);
    const status = Object.fromEntries(t.rows.map((r) => [r[0], r[5]]));
    expect(status['musique-cold-garl-q0.75-seed0']).toBe('incomplete (step 2 of 10)');
    expect(status['finqa-cold-paft-q0.5-seed0']).toMatch(/^invalid: .*summary\.json: test\.p1/);
    expect(status['finqa-cold-garl-q1-seed0']).toBe('finished');
  });
});

describe('curves', () => {
  it('draw every run with data, one line each, per dataset and start', () => {
    const curves = buildCurves(runs);
    const byFile = Object.fromEntries(curves.map((c) => [c.file, c]));
    expect(Object.keys(byFile)).toEqual(expect.arrayContaining([
      'curves-finqa-cold-reward.svg',
      'curves-finqa-cold-validation-m16.svg',
      'curves-finqa-cold-max-scaled-c.svg',
      'curves-musique-cold-reward.svg',
      'curves-finqa-warm-reward.svg',
      'curves-hotpotqa-warm-reward.svg',
      'curves-hotpotqa-warm-validation-m16.svg',
    ]));
    const reward = byFile['curves-finqa-cold-reward.svg']!;
    expect(reward.series).toEqual(['GRPO', 'GARL q=0.75 seed 0', 'GARL q=0.75 seed 1', 'GARL q=1']);
    for (const name of reward.series) expect(reward.svg).toContain(`>${name}</text>`);
    expect(byFile['curves-finqa-cold-max-scaled-c.svg']!.series).toEqual(['GARL q=0.75 seed 0', 'GARL q=0.75 seed 1', 'GARL q=1']);
    expect(byFile['curves-musique-cold-reward.svg']!.series).toEqual(['GARL q=0.75 (incomplete)']);
    // Every run with metrics appears in some reward curve.
    const drawn = curves.filter((c) => c.file.endsWith('-reward.svg')).reduce((n, c) => n + c.series.length, 0);
    expect(drawn).toBe(runs.filter((r) => r.status !== 'invalid' && r.metrics.length > 0).length);
  });
});

describe('the report files', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'tsallis-report-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('Markdown: both tables, the runs, and links to SVGs written beside it', async () => {
    const { files } = await writeReport([at('table1'), at('warm')], { format: 'md', out: join(tmp, 'md', 'results.md') });
    expect(files[0]).toBe(join(tmp, 'md', 'results.md'));
    const md = await readFile(files[0]!, 'utf8');
    const cold = mdTable(md, 'Cold start');
    expect(cold.find((r) => r['method'] === 'GARL q=1')!['FinQA m@16']).toBe('33.5');
    expect(cold.find((r) => r['method'] === 'GARL q=0.75')!['MuSiQue p@1']).toBe('incomplete');
    const warm = mdTable(md, 'Warm start');
    expect(warm.find((r) => r['method'] === 'GRPO')!['HotPotQA m@16']).toBe('33.5');
    const listed = mdTable(md, 'Runs').map((r) => r['run']);
    expect(listed).toContain('musique-cold-garl-q0.75-seed0');
    expect(listed).toHaveLength(9);
    const svgs = (await readdir(join(tmp, 'md'))).filter((f) => f.endsWith('.svg'));
    expect(svgs.length).toBeGreaterThanOrEqual(7);
    for (const f of svgs) expect(md).toContain(`](${f})`);
  });

  it('CSV: one table with a start column, full precision, and runs.csv beside it', async () => {
    const { files } = await writeReport([RUNS], { format: 'csv', out: join(tmp, 'csv') });
    expect(files.slice(0, 2)).toEqual([join(tmp, 'csv', 'tables.csv'), join(tmp, 'csv', 'runs.csv')]);
    const rows = parse(await readFile(files[0]!, 'utf8'), { columns: true }) as Record<string, string>[];
    const garl = rows.find((r) => r['start'] === 'cold' && r['method'] === 'GARL q=0.75')!;
    expect(Number(garl['finqa p@16'])).toBeCloseTo(60.6, 10);
    expect(garl['finqa runs']).toBe('2');
    expect(garl['musique m@16']).toBe('');
    expect(garl['musique incomplete']).toBe('1');
    expect(rows.find((r) => r['start'] === 'warm' && r['method'] === 'PAFT q=0.25')!['hotpotqa m@16']).toBe('47');
    const listed = parse(await readFile(files[1]!, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(listed).toHaveLength(10);
  });

  it('puts the files where --out says', () => {
    expect(reportLocation('out/r.md', 'md')).toEqual({ dir: 'out', mainName: 'r.md' });
    expect(reportLocation('out/t.csv', 'csv')).toEqual({ dir: 'out', mainName: 't.csv' });
    expect(reportLocation('out', 'csv')).toEqual({ dir: 'out', mainName: 'tables.csv' });
    expect(buildReport([], 'csv', 't.csv').others[0]!.name).toBe('t-runs.csv');
    expect(buildReport([], 'md').main.text).toMatch(/0 runs: 0 finished/);
  });
});
