import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { qColor } from '../../src/report/colours.js';
import { buildCurves } from '../../src/report/curves.js';
import { buildReport, reportLocation, writeReport } from '../../src/report/report.js';
import { collectRuns, findRunDirs, methodLabel, type RunRecord } from '../../src/report/runs.js';
import { summaryCsv } from '../../src/report/summary.js';
import {
  runsTable,
  studyTable,
  studyTableCiMarkdownCells,
  studyTableMarkdownCells,
  studyTablesCsv,
} from '../../src/report/tables.js';
import { fakeRun } from './fake-runs.js';

// Written by an earlier version: steps count from 0 (metrics.csv from step 0, summary.json without step_base),
// so they are read shifted by one ("run folders of an earlier version" below checks against a 1-based twin).
const RUNS = fileURLToPath(new URL('../fixtures/runs/', import.meta.url));
const at = (...p: string[]) => join(RUNS, ...p);

let runs: RunRecord[];
beforeAll(async () => {
  runs = await collectRuns([RUNS]);
});
const run = (name: string) => runs.find((r) => r.name === name)!;

/** The first Markdown table under a heading ("## Cold start"), as rows of cells keyed by column. */
function mdTable(md: string, heading: string): Record<string, string>[] {
  const section = md.split(`\n${heading}\n`)[1]!;
  const lines = section
    .split('\n\n')
    .find((block) => block.trim().startsWith('|'))!
    .split('\n')
    .filter((l) => l.startsWith('|'));
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
    expect(inc).toMatchObject({
      status: 'incomplete',
      task: 'musique',
      start: 'cold',
      method: 'garl',
      q: 0.75,
      label: 'GARL q=0.75',
      plannedSteps: 10,
    });
    // The partial last line (a crash mid-append) is dropped; 0-based steps read from 1.
    expect(inc.metrics.map((m) => m.step)).toEqual([1, 2]);
    expect(inc.legacySteps).toBe(true);
    const bad = run('finqa-cold-paft-q0.5-seed0');
    expect(bad.status).toBe('invalid');
    expect(bad.problem).toMatch(/summary\.json: test\.p1: /);
  });

  it('keeps the last row of a step repeated after a resume', () => {
    const m = run('finqa-cold-garl-q1-seed0').metrics;
    expect(m.map((r) => r.step)).toEqual([1, 2, 3, 4]);
    expect(m[2]).toMatchObject({ mean_reward: 0.5, kl: null, q: 1 });
    expect(run('finqa-cold-garl-q1-seed0').validation.map((v) => v.step)).toEqual([2, 4]);
    expect(run('finqa-cold-garl-q1-seed0').summary).toMatchObject({
      step_base: 1,
      best_step: 4,
      test: { checkpoint_step: 4 },
    });
  });

  it('labels rows as the study does', () => {
    expect(methodLabel('grpo', null)).toBe('GRPO');
    expect(methodLabel('garl', 0.75)).toBe('GARL q=0.75');
    expect(methodLabel('paft', 0.25)).toBe('PAFT q=0.25');
    expect(methodLabel('base', null)).toBe('Base model');
    expect(methodLabel('garl', null, [{ until: 100, q: 1 }, { q: 0 }])).toBe('GARL q=1@0,0@100');
    expect(
      methodLabel('paft', null, {
        linear: [
          { step: 0, q: 1 },
          { step: 50, q: 0.5 },
        ],
      }),
    ).toBe('PAFT q=1@0~0.5@50');
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
    // seeds 30.5 and 29.5: mean 30, sd sqrt(2 * 0.5^2 / 1) = 0.7071; interval 30 ± 12.706205 * 0.7071 / sqrt(2) = 30 ± 6.353103
    expect(garl.p1!.mean).toBeCloseTo(30, 10);
    expect(garl.p1!.sd).toBeCloseTo(Math.SQRT1_2, 10);
    expect(garl.p1!.ci95Low).toBeCloseTo(30 - 6.353103, 5);
    expect(garl.p16!.mean).toBeCloseTo(60.6, 10);
    expect(garl.m16!.mean).toBeCloseTo(37.8, 10);
    expect(t.rows[1]!.cells[1]).toEqual({ p1: null, p16: null, m16: null, runs: 0, incomplete: 1 });
    const md = studyTableMarkdownCells(t);
    expect(md.columns).toEqual([
      'method',
      'n',
      'FinQA p@1',
      'FinQA p@16',
      'FinQA m@16',
      'MuSiQue p@1',
      'MuSiQue p@16',
      'MuSiQue m@16',
    ]);
    expect(md.rows[0]).toEqual(['GRPO', '1', '0.0', '0.0', '0.0', '–', '–', '–']);
    expect(md.rows[1]).toEqual([
      'GARL q=0.75',
      '2',
      '30.0 ± 0.7',
      '60.6 ± 0.7',
      '37.8 ± 0.7',
      'incomplete',
      'incomplete',
      'incomplete',
    ]);
    expect(md.rows[2]).toEqual(['GARL q=1', '1', '21.9', '58.7', '33.5', '–', '–', '–']);
    const ci = studyTableCiMarkdownCells(t);
    expect(ci.rows[1]).toEqual([
      'GARL q=0.75',
      '2',
      '[23.6, 36.4]',
      '[54.2, 67.0]',
      '[31.4, 44.2]',
      'incomplete',
      'incomplete',
      'incomplete',
    ]);
    expect(ci.rows[2]).toEqual(['GARL q=1', '1', '21.9', '58.7', '33.5', '–', '–', '–']);
  });

  it('aggregates three seeds of a cell: mean ± sd, n, and the t interval of the mean', () => {
    const seeds = [
      { p1: 10, p16: 40, m16: 20 },
      { p1: 12, p16: 50, m16: 20 },
      { p1: 14, p16: 45, m16: 26 },
    ];
    const runs = [
      ...seeds.map((test, seed) => fakeRun({ task: 'finqa', method: 'garl', q: 0.5, seed, test })),
      fakeRun({ task: 'hotpotqa', method: 'garl', q: 0.5, seed: 0, test: seeds[0]! }),
      fakeRun({ task: 'musique', method: 'garl', q: 0.5, seed: 0 }),
    ];
    const t = studyTable(runs, 'cold');
    const c = t.rows[0]!.cells[0]!;
    // p1: mean 12, sd 2; p16: mean 45, sd 5; m16: mean 22, sd sqrt((4 + 4 + 16) / 2) = sqrt(12)
    expect([c.p1!.mean, c.p16!.mean, c.m16!.mean]).toEqual([12, 45, 22]);
    expect(c.p1!.sd).toBeCloseTo(2, 12);
    expect(c.p16!.sd).toBeCloseTo(5, 12);
    expect(c.m16!.sd).toBeCloseTo(Math.sqrt(12), 12);
    // half widths: 4.302653 * sd / sqrt(3) = 4.968276, 12.420689, 8.605306
    expect(c.p1!.ci95High).toBeCloseTo(12 + 4.968276, 5);
    expect(c.p16!.ci95Low).toBeCloseTo(45 - 12.420689, 5);
    expect(c.m16!.ci95High).toBeCloseTo(22 + 8.605306, 5);
    const incomplete = ['incomplete', 'incomplete', 'incomplete'];
    expect(studyTableMarkdownCells(t).rows[0]).toEqual([
      'GARL q=0.5',
      '3 / 1 / –',
      '12.0 ± 2.0',
      '45.0 ± 5.0',
      '22.0 ± 3.5',
      '10.0',
      '40.0',
      '20.0',
      ...incomplete,
    ]);
    expect(studyTableCiMarkdownCells(t).rows[0]).toEqual([
      'GARL q=0.5',
      '3 / 1 / –',
      '[7.0, 17.0]',
      '[32.6, 57.4]',
      '[13.4, 30.6]',
      '10.0',
      '40.0',
      '20.0',
      ...incomplete,
    ]);
    const csv = studyTablesCsv([t]);
    const row = Object.fromEntries(csv.columns.map((col, i) => [col, csv.rows[0]![i]]));
    expect(row['finqa m@16']).toBe(22);
    expect(row['finqa m@16 sd']).toBeCloseTo(Math.sqrt(12), 12);
    expect(row['finqa m@16 ci95_low']).toBeCloseTo(22 - 8.605306, 5);
    expect(row['finqa runs']).toBe(3);
    expect([row['hotpotqa p@1'], row['hotpotqa p@1 sd'], row['hotpotqa p@1 ci95_low']]).toEqual([10, '', '']);
  });

  it('warm start: the base model first, then GRPO, GARL, PAFT', () => {
    const md = studyTableMarkdownCells(studyTable(runs, 'warm'));
    expect(md.rows.map((r) => r[0])).toEqual(['Base model', 'GRPO', 'GARL q=1@0,0@2', 'PAFT q=0.25']);
    expect(md.columns.slice(1, 5)).toEqual(['n', 'FinQA p@1', 'FinQA p@16', 'FinQA m@16']);
    expect(md.rows[0]!.slice(1)).toEqual(['1', '10.0', '40.0', '12.6', '–', '–', '–']);
    expect(md.rows[3]!.slice(5)).toEqual(['40.0', '70.0', '47.0']);
  });

  it('lists every run, unfinished ones with their progress', () => {
    const t = runsTable(runs);
    expect(t.rows).toHaveLength(10);
    const status = Object.fromEntries(t.rows.map((r) => [r[0], r[5]]));
    expect(status['musique-cold-garl-q0.75-seed0']).toBe('incomplete (step 2 of 10)');
    // fixtures written before m16_abstain: an empty cell
    expect(t.columns.slice(10, 12)).toEqual(['test m@16', 'test m@16 abstain']);
    expect(t.rows.find((r) => r[0] === 'finqa-cold-garl-q1-seed0')!.slice(10, 12)).toEqual([33.5, '']);
    expect(status['finqa-cold-paft-q0.5-seed0']).toMatch(/^invalid: .*summary\.json: test\.p1/);
    expect(status['finqa-cold-garl-q1-seed0']).toBe('finished');
    // best step: the fixture's 0-based 3, the checkpoint after 4 steps
    expect(t.rows.find((r) => r[0] === 'finqa-cold-garl-q1-seed0')![t.columns.indexOf('best step')]).toBe(4);
  });
});

describe('run folders of an earlier version (steps from 0)', () => {
  let twin: string;
  beforeAll(async () => {
    twin = await mkdtemp(join(tmpdir(), 'tsallis-twin-'));
    await cp(RUNS, twin, { recursive: true });
    // The fixtures as this version writes them, shifted here by hand: steps + 1 in the CSVs' complete rows
    // (the step is their first column), and summary.json marked "step_base": 1 with its steps + 1.
    for (const dir of await findRunDirs([twin])) {
      for (const name of await readdir(dir)) {
        const file = join(dir, name);
        if (name.endsWith('.csv')) {
          const lines = (await readFile(file, 'utf8')).split('\n');
          const shifted = lines.map((l, i) =>
            i === 0 || i === lines.length - 1 || l === '' ? l : l.replace(/^\d+/, (n) => String(Number(n) + 1)),
          );
          await writeFile(file, shifted.join('\n'));
        } else if (name === 'summary.json') {
          const s = JSON.parse(await readFile(file, 'utf8'));
          const next = (x: number | null) => (x === null ? null : x + 1);
          await writeFile(
            file,
            JSON.stringify(
              {
                step_base: 1,
                ...s,
                best_step: next(s.best_step),
                test: { ...s.test, checkpoint_step: next(s.test.checkpoint_step) },
              },
              null,
              2,
            ),
          );
        }
      }
    }
  });
  afterAll(async () => {
    await rm(twin, { recursive: true, force: true });
  });

  it('are read as their 1-based twins: the same rows, tables, curves, summary and report', async () => {
    const legacy = await collectRuns([RUNS]);
    const current = await collectRuns([twin]);
    expect(current.every((r) => !r.legacySteps)).toBe(true);
    expect(legacy.filter((r) => r.legacySteps).map((r) => r.name)).toHaveLength(9); // all but the base model, which has no rows
    const same = (r: RunRecord) => ({
      ...r,
      dir: r.dir.slice(r.dir.lastIndexOf('/')),
      legacySteps: undefined,
      problem: r.problem?.replace(/^.*\//, ''),
    });
    expect(legacy.map(same)).toEqual(current.map(same));
    const text = (runs: RunRecord[], root: string) => {
      const files = [buildReport(runs, 'md'), buildReport(runs, 'csv')].flatMap((r) => [r.main, ...r.others]);
      return [...files.map((f) => `${f.name}\n${f.text}`), summaryCsv(runs)]
        .join('\n')
        .replaceAll(root.replace(/\/$/, ''), '<runs>');
    };
    expect(text(legacy, RUNS)).toBe(text(current, twin));
  });
});

describe('curves', () => {
  it('draw every cell with data, one line each (seeds averaged), per dataset and start', () => {
    const curves = buildCurves(runs);
    const byFile = Object.fromEntries(curves.map((c) => [c.file, c]));
    expect(Object.keys(byFile)).toEqual(
      expect.arrayContaining([
        'curves-finqa-cold-reward.svg',
        'curves-finqa-cold-loss.svg',
        'curves-finqa-cold-grad-norm.svg',
        'curves-finqa-cold-mean-w.svg',
        'curves-finqa-cold-length.svg',
        'curves-finqa-cold-validation-p1.svg',
        'curves-finqa-cold-validation-p16.svg',
        'curves-finqa-cold-validation-m16.svg',
        'curves-musique-cold-reward.svg',
        'curves-finqa-warm-reward.svg',
        'curves-hotpotqa-warm-reward.svg',
        'curves-hotpotqa-warm-validation-m16.svg',
      ]),
    );
    // max c_m / M^q, entropy and log W are diagnostics, not curves
    expect(Object.keys(byFile).filter((f) => /max-scaled-c|entropy|log-w/.test(f))).toEqual([]);
    const reward = byFile['curves-finqa-cold-reward.svg']!;
    expect(reward.series).toEqual(['GRPO', 'GARL q=0.75 (2 seeds)', 'GARL q=1']);
    for (const name of reward.series) expect(reward.svg).toContain(`>${name}</text>`);
    // four steps: no smoothing, so no faint lines and no window in the title
    expect(reward.title).toBe('Mean reward, FinQA, cold start');
    expect(reward.svg).not.toContain('stroke-opacity');
    expect(byFile['curves-musique-cold-reward.svg']!.series).toEqual(['GARL q=0.75 (incomplete)']);
    // Every cell with metrics appears in some reward curve.
    const drawn = curves.filter((c) => c.file.endsWith('-reward.svg')).reduce((n, c) => n + c.series.length, 0);
    const cells = new Set(
      runs.filter((r) => r.status !== 'invalid' && r.metrics.length > 0).map((r) => `${r.task} ${r.start} ${r.label}`),
    );
    expect(drawn).toBe(cells.size);
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
    const { files } = await writeReport([at('table1'), at('warm')], {
      format: 'md',
      out: join(tmp, 'md', 'results.md'),
    });
    expect(files[0]).toBe(join(tmp, 'md', 'results.md'));
    const md = await readFile(files[0]!, 'utf8');
    const cold = mdTable(md, '## Cold start');
    expect(cold.find((r) => r['method'] === 'GARL q=1')!['FinQA m@16']).toBe('33.5');
    expect(cold.find((r) => r['method'] === 'GARL q=0.75')!['FinQA m@16']).toBe('37.8 ± 0.7');
    const coldCi = mdTable(md, '### Cold start, 95% confidence intervals');
    expect(coldCi.find((r) => r['method'] === 'GARL q=0.75')!['FinQA p@1']).toBe('[23.6, 36.4]');
    // the warm runs have one seed each: no interval table
    expect(md).not.toContain('### Warm start, 95%');
    // old fixtures log only max_scaled_c of the diagnostics: that figure alone, with its reading
    expect(md).toContain('## Diagnostics');
    expect(md).toContain('](diagnostics-finqa-cold-max-scaled-c.svg)');
    expect(md).not.toContain('diagnostics-finqa-cold-entropy.svg');
    expect(md).toMatch(/- max c_m \/ M\^q is the largest GARL coefficient/);
    expect(cold.find((r) => r['method'] === 'GARL q=0.75')!['MuSiQue p@1']).toBe('incomplete');
    const warm = mdTable(md, '## Warm start');
    expect(warm.find((r) => r['method'] === 'GRPO')!['HotPotQA m@16']).toBe('33.5');
    const listed = mdTable(md, '## Runs').map((r) => r['run']);
    expect(listed).toContain('musique-cold-garl-q0.75-seed0');
    expect(listed).toHaveLength(9);
    const svgs = (await readdir(join(tmp, 'md'))).filter((f) => f.endsWith('.svg'));
    expect(svgs.length).toBeGreaterThanOrEqual(7);
    for (const f of svgs) expect(md).toContain(`](${f})`);
    for (const f of ['loss', 'grad-norm', 'mean-w', 'length', 'validation-p1', 'validation-p16', 'validation-m16'])
      expect(md).toContain(`](curves-finqa-cold-${f}.svg)`);
    expect(md).toContain('a method and q has the same colour in every figure');
    // no run directory is written to without --per-run
    expect(files.some((f) => f.endsWith('report.svg'))).toBe(false);
    expect(await readdir(at('table1', 'finqa-cold-grpo-seed0'))).not.toContain('report.svg');
  });

  it('with perRun, writes the figure of each run into its directory', async () => {
    const copy = join(tmp, 'runs');
    await cp(at('table1'), copy, { recursive: true });
    const { files } = await writeReport([copy], { format: 'md', out: join(tmp, 'per-run'), perRun: true });
    const figures = files.filter((f) => f.endsWith('report.svg')).map((f) => f.slice(copy.length + 1));
    expect(figures).toEqual([
      'finqa-cold-garl-q0.75-seed0/report.svg',
      'finqa-cold-garl-q0.75-seed1/report.svg',
      'finqa-cold-garl-q1-seed0/report.svg',
      'finqa-cold-grpo-seed0/report.svg',
      'musique-cold-garl-q0.75-seed0/report.svg',
    ]);
    const svg = await readFile(join(copy, 'finqa-cold-garl-q1-seed0', 'report.svg'), 'utf8');
    expect(svg).toContain('finqa-cold-garl-q1-seed0: GARL q=1, FinQA, cold start, seed 0</text>');
    expect(svg).toContain('>Validation m@k</text>');
    expect(svg).toContain(`stroke="${qColor(1)}"`);
  });

  it('CSV: one table with a start column, full precision, and runs.csv beside it', async () => {
    const { files } = await writeReport([RUNS], { format: 'csv', out: join(tmp, 'csv') });
    expect(files.slice(0, 2)).toEqual([join(tmp, 'csv', 'tables.csv'), join(tmp, 'csv', 'runs.csv')]);
    const rows = parse(await readFile(files[0]!, 'utf8'), { columns: true }) as Record<string, string>[];
    const garl = rows.find((r) => r['start'] === 'cold' && r['method'] === 'GARL q=0.75')!;
    expect(Number(garl['finqa p@16'])).toBeCloseTo(60.6, 10);
    expect(Number(garl['finqa p@16 sd'])).toBeCloseTo(Math.SQRT1_2, 10);
    expect(Number(garl['finqa p@16 ci95_high'])).toBeCloseTo(60.6 + 6.353103, 5);
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
