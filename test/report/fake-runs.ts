/** In-memory RunRecords for the report's pure functions (tables, diagnostics). */
import { METRICS_COLUMNS, type MetricsRow } from '../../src/run-dir/csv.js';
import type { Method } from '../../src/run-dir/json.js';
import { methodLabel, type RunRecord } from '../../src/report/runs.js';

export interface FakeRunSpec {
  task: string;
  start?: 'cold' | 'warm';
  method: Method;
  q?: number;
  seed: number;
  /** Test numbers of a finished run; without them the run is incomplete. */
  test?: { p1: number; p16: number; m16: number };
  /** metrics.csv rows: the step and the columns given, the rest null. */
  metrics?: ({ step: number } & Partial<MetricsRow>)[];
}

export function metricsRow(row: { step: number } & Partial<MetricsRow>): MetricsRow {
  const empty = Object.fromEntries(METRICS_COLUMNS.map((c) => [c, null])) as unknown as MetricsRow;
  return { ...empty, ...row };
}

export function fakeRun(r: FakeRunSpec): RunRecord {
  const start = r.start ?? 'cold',
    q = r.q ?? null;
  const name = `${r.task}-${start}-${r.method}${q === null ? '' : `-q${q}`}-seed${r.seed}`;
  return {
    dir: `/runs/${name}`,
    name,
    task: r.task,
    start,
    method: r.method,
    q,
    qSchedule: null,
    seed: r.seed,
    plannedSteps: 4,
    label: methodLabel(r.method, q),
    status: r.test ? 'finished' : 'incomplete',
    problem: null,
    summary: r.test
      ? {
          step_base: 1,
          name,
          task: r.task,
          start,
          method: r.method,
          q,
          seed: r.seed,
          steps: 4,
          best_step: 4,
          best_validation_m16: 10,
          test: { split: 'test', checkpoint_step: 4, n: 10, k: 16, ...r.test, wall_s: 1 },
          wall_s: 1,
          finished_at: '2026-05-01T00:00:00.000Z',
        }
      : null,
    metrics: (r.metrics ?? []).map(metricsRow),
    validation: [],
    legacySteps: false,
  };
}
