/**
 * The flat summary of a set of runs (`report --summary FILE`): one CSV row per finished run, for
 * scripts and spreadsheets rather than people.
 *
 *   task,start,method,q,seed,p1,p16,m16,best_step,steps,wall_s
 *
 * method as in summary.json (grpo, garl, paft, ...); q empty where the run has no constant q (GRPO,
 * RLOO, SFT, the base model, q schedules); p1 / p16 / m16 the test numbers in percent at full
 * precision; best_step empty without validation; wall_s the run's wall time rounded to 0.1 s.
 * Rows sorted by task, start, method (each by code point), q (empty first, then ascending), seed,
 * then run directory. Incomplete and invalid runs are left out.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { toCsv, type Table } from '../plot/table.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { RunRecord } from './runs.js';

export const SUMMARY_COLUMNS = ['task', 'start', 'method', 'q', 'seed', 'p1', 'p16', 'm16', 'best_step', 'steps', 'wall_s'] as const;

/** The summary as a table (finished runs only, sorted). */
export function summaryTable(runs: readonly RunRecord[]): Table {
  const done = runs.flatMap((r) => (r.status === 'finished' && r.summary !== null ? [{ dir: r.dir, s: r.summary }] : []));
  const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  done.sort(
    (a, b) =>
      byCodePoint(a.s.task, b.s.task) ||
      byCodePoint(a.s.start, b.s.start) ||
      byCodePoint(a.s.method, b.s.method) ||
      (a.s.q ?? -Infinity) - (b.s.q ?? -Infinity) ||
      a.s.seed - b.s.seed ||
      byCodePoint(a.dir, b.dir),
  );
  const rows = done.map(({ s }) => [
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
  ]);
  return { columns: SUMMARY_COLUMNS, rows };
}

/** The summary CSV text, header included. */
export function summaryCsv(runs: readonly RunRecord[]): string {
  return toCsv(summaryTable(runs));
}

/** Writes the summary CSV atomically (a reader sees the old file or the new one), creating its folder. */
export async function writeSummaryCsv(path: string, runs: readonly RunRecord[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, summaryCsv(runs));
}
