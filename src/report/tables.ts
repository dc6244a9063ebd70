/**
 * The study's tables from finished runs: one table per start (cold, warm), rows "method and q"
 * (GRPO, GARL q=0.75, PAFT q=0.25, ...), columns the datasets, each with p@1 / p@k / m@k of the test
 * evaluation (the checkpoint with the best validation m@k). Several runs of one cell (seeds) are
 * aggregated: mean, sd and the 95% confidence interval of the mean (stats.ts), with n per row. Pure:
 * runs in, tables out.
 */
import type { Table } from '../plot/table.js';
import { METHODS } from '../run-dir/json.js';
import type { RunRecord } from './runs.js';
import { seedStats, type SeedStats } from './stats.js';

export type Start = 'cold' | 'warm';
export const STARTS: readonly Start[] = ['cold', 'warm'];

const TASK_ORDER = ['finqa', 'hotpotqa', 'musique', 'mini-finqa', 'mini-hotpotqa', 'mini-musique'];
const TASK_TITLES: Record<string, string> = {
  finqa: 'FinQA',
  hotpotqa: 'HotPotQA',
  musique: 'MuSiQue',
  'mini-finqa': 'mini-FinQA',
  'mini-hotpotqa': 'mini-HotPotQA',
  'mini-musique': 'mini-MuSiQue',
};
/** The base model, then the algorithms in their rows' order (src/objectives/algorithm.ts). */
const METHOD_ORDER: readonly string[] = METHODS;

export function taskTitle(task: string | null): string {
  return task === null ? 'unknown task' : (TASK_TITLES[task] ?? task);
}

export function compareTasks(a: string, b: string): number {
  const ia = TASK_ORDER.indexOf(a),
    ib = TASK_ORDER.indexOf(b);
  return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
}

/** Row order: base model, GRPO, RLOO, GARL by q, PAFT by q, SFT; schedules after constant q. */
export function compareRuns(
  a: Pick<RunRecord, 'method' | 'q' | 'label'>,
  b: Pick<RunRecord, 'method' | 'q' | 'label'>,
): number {
  const ma = METHOD_ORDER.indexOf(a.method ?? ''),
    mb = METHOD_ORDER.indexOf(b.method ?? '');
  if (ma !== mb) return (ma < 0 ? 99 : ma) - (mb < 0 ? 99 : mb);
  const qa = a.q ?? Infinity,
    qb = b.q ?? Infinity;
  if (qa !== qb) return qa - qb;
  return a.label.localeCompare(b.label);
}

/** The study's three metrics, as named in summary.json's test evaluation. */
export const STUDY_METRICS = ['p1', 'p16', 'm16'] as const;
export type StudyMetric = (typeof STUDY_METRICS)[number];

/** One cell of a study table: each metric over the finished runs (seeds), and the incomplete ones. */
export interface Cell {
  /** Mean, sd and 95% interval over the finished runs; null when none has finished. */
  p1: SeedStats | null;
  p16: SeedStats | null;
  m16: SeedStats | null;
  /** Finished runs aggregated (n, the seeds). */
  runs: number;
  /** Runs of this cell without test numbers yet. */
  incomplete: number;
}

export interface StudyTable {
  start: Start;
  /** k of p@k and m@k (16 in the study; "k" when runs differ). */
  k: string;
  tasks: string[];
  rows: { label: string; cells: Cell[] }[];
}

/** The study's table for one start, from every run (finished runs fill cells; others are counted). */
export function studyTable(runs: readonly RunRecord[], start: Start): StudyTable {
  const mine = runs.filter((r) => r.start === start && r.task !== null && r.status !== 'invalid');
  const tasks = [...new Set(mine.map((r) => r.task!))].sort(compareTasks);
  const rowRuns = [...mine].sort(compareRuns);
  const labels = [...new Set(rowRuns.map((r) => r.label))];
  const ks = new Set(mine.flatMap((r) => (r.summary ? [r.summary.test.k] : [])));
  const rows = labels.map((label) => ({
    label,
    cells: tasks.map((task) => {
      const here = mine.filter((r) => r.label === label && r.task === task);
      const done = here.filter((r) => r.summary !== null).map((r) => r.summary!.test);
      return {
        p1: seedStats(done.map((t) => t.p1)),
        p16: seedStats(done.map((t) => t.p16)),
        m16: seedStats(done.map((t) => t.m16)),
        runs: done.length,
        incomplete: here.length - done.length,
      };
    }),
  }));
  return { start, k: ks.size === 1 ? String([...ks][0]) : ks.size === 0 ? '16' : 'k', tasks, rows };
}

/** n of a row: one number when every dataset with finished runs has as many, else "3 / – / 2" in column order. */
function rowSeeds(cells: readonly Cell[]): string {
  const ns = [...new Set(cells.filter((c) => c.runs > 0).map((c) => c.runs))];
  if (ns.length <= 1) return String(ns[0] ?? 0);
  return cells.map((c) => (c.runs > 0 ? String(c.runs) : '–')).join(' / ');
}

/**
 * A table for people, one decimal as in the paper: each cell formatted by `show` (given a cell with
 * finished runs), "incomplete" for cells whose runs have not finished, "–" for none; n per row.
 */
function markdownCells(t: StudyTable, show: (s: SeedStats) => string): Table {
  const columns = [
    'method',
    'n',
    ...t.tasks.flatMap((task) => ['p@1', `p@${t.k}`, `m@${t.k}`].map((m) => `${taskTitle(task)} ${m}`)),
  ];
  const rows = t.rows.map((r) => [
    r.label,
    rowSeeds(r.cells),
    ...r.cells.flatMap((c) => {
      if (c.runs === 0) return c.incomplete > 0 ? ['incomplete', 'incomplete', 'incomplete'] : ['–', '–', '–'];
      return STUDY_METRICS.map((m) => show(c[m]!));
    }),
  ]);
  return { columns, rows };
}

/** Cells "mean ± sd" over seeds ("mean" alone for one seed). */
export function studyTableMarkdownCells(t: StudyTable): Table {
  return markdownCells(t, (s) => (s.sd === null ? s.mean.toFixed(1) : `${s.mean.toFixed(1)} ± ${s.sd.toFixed(1)}`));
}

/** Cells "[low, high]", the 95% confidence interval of the mean over seeds (the value alone for one seed). */
export function studyTableCiMarkdownCells(t: StudyTable): Table {
  return markdownCells(t, (s) =>
    s.ci95Low === null ? s.mean.toFixed(1) : `[${s.ci95Low.toFixed(1)}, ${s.ci95High!.toFixed(1)}]`,
  );
}

/**
 * The tables for machines, as one CSV: a `start` column, then per dataset and metric the mean, sd
 * and 95% interval over seeds at full precision, then the number of finished runs and of incomplete
 * ones. Empty cells: no run (sd and interval: fewer than two).
 */
export function studyTablesCsv(tables: readonly StudyTable[]): Table {
  const tasks = [...new Set(tables.flatMap((t) => t.tasks))].sort(compareTasks);
  const k = [...new Set(tables.map((t) => t.k))].length === 1 ? (tables[0]?.k ?? '16') : 'k';
  const names = { p1: 'p@1', p16: `p@${k}`, m16: `m@${k}` };
  const columns = [
    'start',
    'method',
    ...tasks.flatMap((task) => [
      ...STUDY_METRICS.flatMap((m) => ['', ' sd', ' ci95_low', ' ci95_high'].map((x) => `${task} ${names[m]}${x}`)),
      `${task} runs`,
      `${task} incomplete`,
    ]),
  ];
  const rows = tables.flatMap((t) =>
    t.rows.map((r) => [
      t.start,
      r.label,
      ...tasks.flatMap((task) => {
        const i = t.tasks.indexOf(task);
        const c: Cell = i >= 0 ? r.cells[i]! : { p1: null, p16: null, m16: null, runs: 0, incomplete: 0 };
        return [...STUDY_METRICS.flatMap((m) => statsCells(c[m])), c.runs, c.incomplete];
      }),
    ]),
  );
  return { columns, rows };
}

/** mean, sd, ci95_low, ci95_high as CSV cells, empty where absent. */
export function statsCells(s: SeedStats | null): (number | string)[] {
  return [s?.mean ?? '', s?.sd ?? '', s?.ci95Low ?? '', s?.ci95High ?? ''];
}

/** Every run, one row each, finished or not: where it stands and its test numbers. */
export function runsTable(runs: readonly RunRecord[]): Table {
  const columns = [
    'run',
    'task',
    'start',
    'method',
    'seed',
    'status',
    'steps',
    'best step',
    'test p@1',
    'test p@16',
    'test m@16',
    'test m@16 abstain',
    'wall s',
    'dir',
  ];
  const sorted = [...runs].sort(
    (a, b) =>
      compareTasks(a.task ?? '', b.task ?? '') ||
      (a.start ?? '').localeCompare(b.start ?? '') ||
      compareRuns(a, b) ||
      (a.seed ?? 0) - (b.seed ?? 0) ||
      a.dir.localeCompare(b.dir),
  );
  const rows = sorted.map((r) => {
    const s = r.summary;
    const lastStep = r.metrics.length ? r.metrics[r.metrics.length - 1]!.step : 0;
    const status =
      r.status === 'invalid'
        ? `invalid: ${r.problem}`
        : r.status === 'incomplete'
          ? `incomplete (step ${lastStep}${r.plannedSteps !== null ? ` of ${r.plannedSteps}` : ''})`
          : 'finished';
    return [
      r.name,
      r.task ?? '',
      r.start ?? '',
      r.label,
      r.seed ?? '',
      status,
      s ? s.steps : lastStep,
      s?.best_step ?? '',
      s ? s.test.p1 : '',
      s ? s.test.p16 : '',
      s ? s.test.m16 : '',
      s?.test.m16_abstain ?? '',
      s ? s.wall_s : '',
      r.dir,
    ];
  });
  return { columns, rows };
}
