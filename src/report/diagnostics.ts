/**
 * The study's diagnostic figures, per (dataset, start) that has GARL runs, against step, from
 * metrics.csv (src/run-dir/csv.ts METRICS_COLUMNS): one line per GARL q, the mean over its seeds
 * (at each step, over the runs that logged it),
 *   max-scaled-c  max_m c_m / M^q (log axis)
 *   above-eps     share of gradient coordinates above the optimizer's eps
 *   log-w         median over questions of log W, shaded from p10 to p90
 * and one line per method (every method of the dataset and start) for
 *   entropy       the rollouts' mean token entropy.
 * A cell has the same colour in every figure (colours.ts); PAFT lines are dashed in GARL's colour of their q.
 * A figure whose column no run logged (runs of older versions) is left out.
 */
import { linePlot, type Series } from '../plot/svg.js';
import { cellLines, type CellLine } from './cells.js';
import { slug } from './slug.js';
import type { RunRecord } from './runs.js';
import { columnPoints, type Column } from './quantities.js';
import { meanAcross } from './seed-series.js';
import { compareTasks, taskTitle } from './tables.js';

export type DiagnosticKind = 'max-scaled-c' | 'above-eps' | 'log-w' | 'entropy';

export interface Diagnostic {
  /** File name, e.g. "diagnostics-finqa-cold-max-scaled-c.svg". */
  file: string;
  kind: DiagnosticKind;
  title: string;
  task: string;
  start: string;
  /** The series drawn, points and colours included. */
  series: Series[];
  svg: string;
}

/** What each figure shows, one sentence each (report.md's Diagnostics section). */
export const DIAGNOSTIC_READINGS: Record<DiagnosticKind, string> = {
  'max-scaled-c':
    'max c_m / M^q is the largest GARL coefficient of a step: near 1 the best rollout of a question gets a full-size update, while a line orders of magnitude lower (q near 0 at cold start, where every w_m is tiny) means the learning signal has all but vanished.',
  'above-eps':
    "The share of gradient coordinates above the optimizer's eps: near 1, AdamW's step is sign-like and about the same size for every q, so q changes only its direction; near 0 it is SGD at lr/eps and shrinks with the gradient.",
  'log-w':
    'The median over questions of log W (the mean probability of the gold answer after a rollout, natural log), shaded from the 10th to the 90th percentile: a rising line is the policy learning to reach the answer, and a band far below 0 is where small q gets little signal.',
  entropy:
    "The rollouts' mean per-token entropy (nats) for every method: a fast fall is the policy committing to few rationales, a flat line continued exploration.",
};

/** A column's mean over runs at each step, over the runs that logged a value there; steps ascending. */
export function meanOverSeeds(runs: readonly RunRecord[], column: Column): [number, number][] {
  return meanAcross(runs.map((r) => columnPoints(r, column)));
}

/** The diagnostic figures of a set of runs (invalid runs and runs without task or start left out). */
export function buildDiagnostics(runs: readonly RunRecord[]): Diagnostic[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) {
    if (r.status === 'invalid' || r.task === null || r.start === null) continue;
    const key = JSON.stringify([r.task, r.start]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const keys = [...groups.keys()]
    .map((k) => JSON.parse(k) as [string, string])
    .sort(([ta, sa], [tb, sb]) => compareTasks(ta, tb) || sa.localeCompare(sb));
  const out: Diagnostic[] = [];
  for (const [task, start] of keys) {
    const group = groups.get(JSON.stringify([task, start]))!;
    const garl = cellLines(
      group.filter((r) => r.method === 'garl'),
      { withMethod: false },
    );
    if (garl.length === 0) continue;
    const where = `${taskTitle(task)}, ${start} start`;
    const along = (ls: CellLine[], column: Column): Series[] =>
      ls.map((l) => ({ name: l.name, color: l.color, dashed: l.dashed, points: meanOverSeeds(l.runs, column) }));
    const logW = garl.map((l) => {
      const lo = new Map(meanOverSeeds(l.runs, 'log_W_p10')),
        hi = new Map(meanOverSeeds(l.runs, 'log_W_p90'));
      const band = [...lo.keys()]
        .filter((step) => hi.has(step))
        .map((step) => [step, lo.get(step)!, hi.get(step)!] as const);
      return { name: l.name, color: l.color, points: meanOverSeeds(l.runs, 'log_W_p50'), band };
    });
    const figures: { kind: DiagnosticKind; title: string; yLabel: string; log?: boolean; series: Series[] }[] = [
      {
        kind: 'max-scaled-c',
        title: `GARL max c_m / M^q, ${where}`,
        yLabel: 'max over m of c_m / M^q',
        log: true,
        series: along(garl, 'max_scaled_c'),
      },
      {
        kind: 'above-eps',
        title: `GARL gradient share above eps, ${where}`,
        yLabel: "share of |g| > the optimizer's eps",
        series: along(garl, 'above_eps'),
      },
      { kind: 'log-w', title: `GARL log W (median, p10-p90), ${where}`, yLabel: 'log W over questions', series: logW },
      {
        kind: 'entropy',
        title: `Token entropy, ${where}`,
        yLabel: 'mean token entropy (nats)',
        series: along(cellLines(group), 'entropy'),
      },
    ];
    for (const f of figures) {
      const series = f.series.filter((s) => s.points.length > 0);
      if (series.length === 0) continue;
      out.push({
        file: `diagnostics-${slug(task)}-${slug(start)}-${f.kind}.svg`,
        kind: f.kind,
        title: f.title,
        task,
        start,
        series,
        svg: linePlot({ title: f.title, xLabel: 'step', yLabel: f.yLabel, yScale: f.log ? 'log' : 'linear', series }),
      });
    }
  }
  return out;
}
