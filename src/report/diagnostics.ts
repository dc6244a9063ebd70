/**
 * The study's diagnostic figures, per (dataset, start) that has GARL runs, against step, from
 * metrics.csv (src/experiment/layout.ts METRICS_COLUMNS): one line per GARL q, the mean over its seeds
 * (at each step, over the runs that logged it),
 *   max-scaled-c  max_m c_m / M^q (log axis)
 *   above-eps     share of gradient coordinates above the optimizer's eps
 *   log-w         median over questions of log W, shaded from p10 to p90
 * and one line per method (every method of the dataset and start) for
 *   entropy       the rollouts' mean token entropy.
 * A q has the same colour in every figure (qColor); PAFT lines are dashed in GARL's colour of their q.
 * A figure whose column no run logged (runs of older versions) is left out.
 */
import type { MetricsRow } from '../experiment/layout.js';
import { linePlot, type Series } from '../plot/svg.js';
import { slug } from './curves.js';
import type { RunRecord } from './runs.js';
import { compareRuns, compareTasks, taskTitle } from './tables.js';

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

// The study's q grid, each its own colour; another q is interpolated between its neighbours.
const Q_STOPS: readonly (readonly [number, string])[] = [
  [0, '#1f77b4'],
  [0.25, '#2ca02c'],
  [0.5, '#ff7f0e'],
  [0.75, '#d62728'],
  [1, '#9467bd'],
];
const METHOD_COLOURS: Record<string, string> = { base: '#000000', grpo: '#7f7f7f', rloo: '#bcbd22', sft: '#17becf' };
const SCHEDULE_COLOURS = ['#8c564b', '#e377c2', '#17becf', '#bcbd22'];

/** The colour of q in [0, 1], the same in every figure. */
export function qColor(q: number): string {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`qColor: q must be in [0, 1], got ${q}`);
  const i = Q_STOPS.findIndex(([at]) => at >= q);
  const [q1, c1] = Q_STOPS[i]!;
  if (q1 === q) return c1;
  const [q0, c0] = Q_STOPS[i - 1]!;
  const t = (q - q0) / (q1 - q0);
  const rgb = (c: string) => [1, 3, 5].map((k) => parseInt(c.slice(k, k + 2), 16));
  const a = rgb(c0), b = rgb(c1);
  return '#' + a.map((v, k) => Math.round(v + t * (b[k]! - v)).toString(16).padStart(2, '0')).join('');
}

type Column = Exclude<keyof MetricsRow, 'step'>;

/** A column's mean over runs at each step, over the runs that logged a value there; steps ascending. */
export function meanOverSeeds(runs: readonly RunRecord[], column: Column): [number, number][] {
  const sums = new Map<number, { sum: number; n: number }>();
  for (const r of runs) {
    for (const m of r.metrics) {
      const v = m[column];
      if (v === null) continue;
      const s = sums.get(m.step) ?? { sum: 0, n: 0 };
      s.sum += v;
      s.n++;
      sums.set(m.step, s);
    }
  }
  return [...sums.entries()].sort((a, b) => a[0] - b[0]).map(([step, s]) => [step, s.sum / s.n]);
}

/** The runs of one table row (same label), in row order, with a legend name and a fixed style. */
interface Line {
  name: string;
  runs: RunRecord[];
  color: string;
  dashed: boolean;
}

function lines(runs: readonly RunRecord[], withMethod: boolean): Line[] {
  const byLabel = new Map<string, RunRecord[]>();
  for (const r of [...runs].sort(compareRuns)) byLabel.set(r.label, [...(byLabel.get(r.label) ?? []), r]);
  let schedules = 0;
  return [...byLabel.entries()].map(([label, group]) => {
    const { method, q } = group[0]!;
    const color = q !== null ? qColor(q) : method === 'garl' || method === 'paft' ? SCHEDULE_COLOURS[schedules++ % SCHEDULE_COLOURS.length]! : (METHOD_COLOURS[method ?? ''] ?? '#000000');
    const base = withMethod ? label : label.replace(/^GARL /, '');
    const name = group.length > 1 ? `${base} (${group.length} seeds)` : base;
    return { name, runs: group, color, dashed: method === 'paft' };
  });
}

/** The diagnostic figures of a set of runs (invalid runs and runs without task or start left out). */
export function buildDiagnostics(runs: readonly RunRecord[]): Diagnostic[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) {
    if (r.status === 'invalid' || r.task === null || r.start === null) continue;
    const key = JSON.stringify([r.task, r.start]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const keys = [...groups.keys()].map((k) => JSON.parse(k) as [string, string]).sort(([ta, sa], [tb, sb]) => compareTasks(ta, tb) || sa.localeCompare(sb));
  const out: Diagnostic[] = [];
  for (const [task, start] of keys) {
    const group = groups.get(JSON.stringify([task, start]))!;
    const garl = lines(group.filter((r) => r.method === 'garl'), false);
    if (garl.length === 0) continue;
    const where = `${taskTitle(task)}, ${start} start`;
    const along = (ls: Line[], column: Column): Series[] => ls.map((l) => ({ name: l.name, color: l.color, dashed: l.dashed, points: meanOverSeeds(l.runs, column) }));
    const logW = garl.map((l) => {
      const lo = new Map(meanOverSeeds(l.runs, 'log_W_p10')), hi = new Map(meanOverSeeds(l.runs, 'log_W_p90'));
      const band = [...lo.keys()].filter((step) => hi.has(step)).map((step) => [step, lo.get(step)!, hi.get(step)!] as const);
      return { name: l.name, color: l.color, points: meanOverSeeds(l.runs, 'log_W_p50'), band };
    });
    const figures: { kind: DiagnosticKind; title: string; yLabel: string; log?: boolean; series: Series[] }[] = [
      { kind: 'max-scaled-c', title: `GARL max c_m / M^q, ${where}`, yLabel: 'max over m of c_m / M^q', log: true, series: along(garl, 'max_scaled_c') },
      { kind: 'above-eps', title: `GARL gradient share above eps, ${where}`, yLabel: "share of |g| > the optimizer's eps", series: along(garl, 'above_eps') },
      { kind: 'log-w', title: `GARL log W (median, p10-p90), ${where}`, yLabel: 'log W over questions', series: logW },
      { kind: 'entropy', title: `Token entropy, ${where}`, yLabel: 'mean token entropy (nats)', series: along(lines(group, true), 'entropy') },
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
