/**
 * The study's tables from finished runs: one table per start (cold, warm), rows "method and q"
 * (GRPO, GARL q=0.75, PAFT q=0.25, ...), columns the datasets, each with p@1 / p@k / m@k of the test
 * evaluation (the checkpoint with the best validation m@k). Several runs of one cell (seeds) are
 * averaged; the cell says how many. Pure: runs in, tables out.
 */
import type { Table } from '../plot/table.js';
import type { RunRecord } from './runs.js';

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
const METHOD_ORDER = ['base', 'grpo', 'rloo', 'garl', 'paft', 'sft'];

export function taskTitle(task: string | null): string {
  return task === null ? 'unknown task' : (TASK_TITLES[task] ?? task);
}

export function compareTasks(a: string, b: string): number {
  const ia = TASK_ORDER.indexOf(a), ib = TASK_ORDER.indexOf(b);
  return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
}

/** Row order: base model, GRPO, RLOO, GARL by q, PAFT by q, SFT; schedules after constant q. */
export function compareRuns(a: Pick<RunRecord, 'method' | 'q' | 'label'>, b: Pick<RunRecord, 'method' | 'q' | 'label'>): number {
  const ma = METHOD_ORDER.indexOf(a.method ?? ''), mb = METHOD_ORDER.indexOf(b.method ?? '');
  if (ma !== mb) return (ma < 0 ? 99 : ma) - (mb < 0 ? 99 : mb);
  const qa = a.q ?? Infinity, qb = b.q ?? Infinity;
  if (qa !== qb) return qa - qb;
  return a.label.localeCompare(b.label);
}

/** One cell of a study table: the mean of the finished runs, how many there were, and the incomplete ones. */
export interface Cell {
  p1: number | null;
  p16: number | null;
  m16: number | null;
  /** Finished runs averaged. */
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
      const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
      return {
        p1: mean(done.map((t) => t.p1)),
        p16: mean(done.map((t) => t.p16)),
        m16: mean(done.map((t) => t.m16)),
        runs: done.length,
        incomplete: here.length - done.length,
      };
    }),
  }));
  return { start, k: ks.size === 1 ? String([...ks][0]) : ks.size === 0 ? '16' : 'k', tasks, rows };
}

/** The table for people: one decimal, as in the paper; "n=3" when seeds were averaged; "running" for cells with no finished run. */
export function studyTableMarkdownCells(t: StudyTable): Table {
  const columns = ['method', ...t.tasks.flatMap((task) => ['p@1', `p@${t.k}`, `m@${t.k}`].map((m) => `${taskTitle(task)} ${m}`))];
  const rows = t.rows.map((r) => [
    r.label,
    ...r.cells.flatMap((c) => {
      if (c.runs === 0) return c.incomplete > 0 ? ['incomplete', 'incomplete', 'incomplete'] : ['–', '–', '–'];
      const note = c.runs > 1 ? ` (n=${c.runs})` : '';
      return [c.p1, c.p16, c.m16].map((v) => `${v!.toFixed(1)}${note}`);
    }),
  ]);
  return { columns, rows };
}

/**
 * The tables for machines, as one CSV: a `start` column, then per dataset p@1, p@k, m@k at full
 * precision, the number of finished runs averaged and of incomplete ones. Empty cells: no run.
 */
export function studyTablesCsv(tables: readonly StudyTable[]): Table {
  const tasks = [...new Set(tables.flatMap((t) => t.tasks))].sort(compareTasks);
  const k = [...new Set(tables.map((t) => t.k))].length === 1 ? tables[0]?.k ?? '16' : 'k';
  const columns = ['start', 'method', ...tasks.flatMap((task) => [`${task} p@1`, `${task} p@${k}`, `${task} m@${k}`, `${task} runs`, `${task} incomplete`])];
  const rows = tables.flatMap((t) =>
    t.rows.map((r) => [
      t.start,
      r.label,
      ...tasks.flatMap((task) => {
        const i = t.tasks.indexOf(task);
        const c = i >= 0 ? r.cells[i]! : { p1: null, p16: null, m16: null, runs: 0, incomplete: 0 };
        return [c.p1 ?? '', c.p16 ?? '', c.m16 ?? '', c.runs, c.incomplete];
      }),
    ]),
  );
  return { columns, rows };
}

/** Every run, one row each, finished or not: where it stands and its test numbers. */
export function runsTable(runs: readonly RunRecord[]): Table {
  const columns = ['run', 'task', 'start', 'method', 'seed', 'status', 'steps', 'best step', 'test p@1', 'test p@16', 'test m@16', 'wall s', 'dir'];
  const sorted = [...runs].sort((a, b) => compareTasks(a.task ?? '', b.task ?? '') || (a.start ?? '').localeCompare(b.start ?? '') || compareRuns(a, b) || (a.seed ?? 0) - (b.seed ?? 0) || a.dir.localeCompare(b.dir));
  const rows = sorted.map((r) => {
    const s = r.summary;
    const lastStep = r.metrics.length ? r.metrics[r.metrics.length - 1]!.step + 1 : 0;
    const status = r.status === 'invalid' ? `invalid: ${r.problem}` : r.status === 'incomplete' ? `incomplete (step ${lastStep}${r.plannedSteps !== null ? ` of ${r.plannedSteps}` : ''})` : 'finished';
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
      s ? s.wall_s : '',
      r.dir,
    ];
  });
  return { columns, rows };
}
