/**
 * The flat summaries of a set of runs (`report --summary FILE`), for scripts and spreadsheets rather
 * than people. FILE: one CSV row per finished run (one per seed),
 *
 *   task,start,method,q,seed,p1,p16,m16,best_step,steps,wall_s,m16_abstain
 *
 * method as in summary.json (grpo, garl, paft, ...); q empty where the run has no constant q (GRPO,
 * RLOO, SFT, the base model, q schedules); p1 / p16 / m16 the test numbers in percent at full
 * precision; best_step the tested checkpoint's steps (counted from 1: checkpoint-<best_step>; a run of an
 * earlier version, which counted from 0, is read shifted), empty without validation; wall_s the run's
 * wall time rounded to 0.1 s;
 * m16_abstain the test m@k with empty answers abstaining (empty for runs evaluated before it existed).
 * Rows sorted by task, start, method (each by code point), q (empty first, then ascending), q
 * schedule, seed, then run directory. Incomplete and invalid runs are left out.
 *
 * Beside it, <FILE base>-seeds.csv: one row per (task, start, method, q) over the seeds,
 *
 *   task,start,method,q,q_schedule,n,p1_mean,p1_sd,p1_ci95_low,p1_ci95_high,p16_...,m16_...
 *
 * q_schedule the schedule (report's notation, "1@0,0@100") of runs with one, which group by it;
 * n the finished runs; sd with n - 1; ci95 the Student-t interval of the mean (stats.ts). sd and
 * the interval are empty for n = 1. Same order as FILE.
 */
import { mkdir } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { RunSummary } from '../run-dir/json.js';
import { toCsv, type Table } from '../plot/table.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { scheduleText, type RunRecord } from './runs.js';
import { seedStats } from './stats.js';
import { statsCells, STUDY_METRICS } from './tables.js';

export const SUMMARY_COLUMNS = [
  'task',
  'start',
  'method',
  'q',
  'seed',
  'p1',
  'p16',
  'm16',
  'best_step',
  'steps',
  'wall_s',
  'm16_abstain',
] as const;

export const SUMMARY_SEEDS_COLUMNS = [
  'task',
  'start',
  'method',
  'q',
  'q_schedule',
  'n',
  ...STUDY_METRICS.flatMap((m) => ['mean', 'sd', 'ci95_low', 'ci95_high'].map((x) => `${m}_${x}`)),
] as const;

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Finished runs, sorted as the summary's rows. */
function finishedSorted(runs: readonly RunRecord[]): { dir: string; s: RunSummary }[] {
  const done = runs.flatMap((r) =>
    r.status === 'finished' && r.summary !== null ? [{ dir: r.dir, s: r.summary }] : [],
  );
  return done.sort(
    (a, b) =>
      byCodePoint(a.s.task, b.s.task) ||
      byCodePoint(a.s.start, b.s.start) ||
      byCodePoint(a.s.method, b.s.method) ||
      (a.s.q ?? -Infinity) - (b.s.q ?? -Infinity) ||
      byCodePoint(schedule(a.s), schedule(b.s)) ||
      a.s.seed - b.s.seed ||
      byCodePoint(a.dir, b.dir),
  );
}

function schedule(s: RunSummary): string {
  return s.q_schedule === undefined ? '' : scheduleText(s.q_schedule);
}

/** The summary as a table (finished runs only, sorted). */
export function summaryTable(runs: readonly RunRecord[]): Table {
  const rows = finishedSorted(runs).map(({ s }) => [
    s.task,
    s.start,
    s.method,
    s.q ?? '',
    s.seed,
    s.test.p1,
    s.test.p16,
    s.test.m16,
    s.best_step ?? '',
    s.steps,
    (Math.round(s.wall_s * 10) / 10).toFixed(1),
    s.test.m16_abstain ?? '',
  ]);
  return { columns: SUMMARY_COLUMNS, rows };
}

/** The seeds summary as a table: one row per (task, start, method, q, schedule). */
export function summarySeedsTable(runs: readonly RunRecord[]): Table {
  const groups = new Map<string, RunSummary[]>();
  for (const { s } of finishedSorted(runs)) {
    const key = JSON.stringify([s.task, s.start, s.method, s.q, schedule(s)]);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const rows = [...groups.values()].map((g) => {
    const s = g[0]!;
    return [
      s.task,
      s.start,
      s.method,
      s.q ?? '',
      schedule(s),
      g.length,
      ...STUDY_METRICS.flatMap((m) => statsCells(seedStats(g.map((r) => r.test[m])))),
    ];
  });
  return { columns: SUMMARY_SEEDS_COLUMNS, rows };
}

/** The summary CSV text, header included. */
export function summaryCsv(runs: readonly RunRecord[]): string {
  return toCsv(summaryTable(runs));
}

/** The seeds summary CSV text, header included. */
export function summarySeedsCsv(runs: readonly RunRecord[]): string {
  return toCsv(summarySeedsTable(runs));
}

/** Where the seeds summary goes: beside the summary, "<base>-seeds.csv" (summary.csv -> summary-seeds.csv). */
export function seedsSummaryPath(summaryPath: string): string {
  return join(dirname(summaryPath), `${basename(summaryPath, extname(summaryPath))}-seeds.csv`);
}

/**
 * Writes the summary CSV and the seeds summary beside it, each atomically (a reader sees the old
 * file or the new one), creating their folder. Returns the two paths.
 */
export async function writeSummaryCsv(path: string, runs: readonly RunRecord[]): Promise<string[]> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, summaryCsv(runs));
  const seeds = seedsSummaryPath(path);
  await writeFileAtomic(seeds, summarySeedsCsv(runs));
  return [path, seeds];
}
