/**
 * Training curves, one SVG per (dataset, start) and quantity (quantities.ts), one line per table
 * cell (method and q) in the cell's style (colours.ts): the mean over the cell's seeds, shaded from
 * the lowest to the highest seed where it has several. Training quantities are drawn as a trailing
 * moving average (smooth.ts; the window is in the title) with the per-step mean faint behind;
 * validation p@1, p@k and m@k point by point. Invalid runs are left out; unfinished ones drawn, marked
 * "(incomplete)".
 */
import { linePlot, type Series } from '../plot/svg.js';
import { cellLines, type CellLine } from './cells.js';
import { QUANTITIES, type Quantity } from './quantities.js';
import type { RunRecord } from './runs.js';
import { meanAcross, rangeAcross } from './seed-series.js';
import { slug } from './slug.js';
import { movingAverage, smoothingWindow } from './smooth.js';
import { compareTasks, taskTitle } from './tables.js';

export interface Curve {
  /** File name, e.g. "curves-finqa-cold-reward.svg". */
  file: string;
  title: string;
  task: string;
  start: string;
  /** Legend entries, one per cell, in the order drawn. */
  series: string[];
  svg: string;
}

/** The series of one cell for one quantity: the (smoothed) mean, its seeds' range, and the raw mean faint behind. */
export function cellSeries(
  line: Pick<CellLine, 'name' | 'runs' | 'color' | 'dashed'>,
  q: Quantity,
  window: number,
): Series[] {
  const perSeed = line.runs.map((r) => q.points(r)).filter((p) => p.length > 0);
  if (perSeed.length === 0) return [];
  const w = q.smooth ? window : 1;
  const smooth = (p: readonly (readonly [number, number])[]) => (w > 1 ? movingAverage(p, w) : p);
  const raw = meanAcross(perSeed);
  const main: Series = {
    name: line.name,
    color: line.color,
    dashed: line.dashed,
    markers: !q.smooth,
    points: smooth(raw),
  };
  if (perSeed.length > 1) main.band = rangeAcross(perSeed.map(smooth));
  return w > 1
    ? [{ name: `${line.name} per step`, color: line.color, faint: true, markers: false, points: raw }, main]
    : [main];
}

/** "(mean of the last 5 steps; faint: each step)" for smoothed figures; "" without smoothing. */
export function smoothingNote(q: Quantity, window: number): string {
  return q.smooth && window > 1 ? ` (mean of the last ${window} steps; faint: each step)` : '';
}

/** The curves of a set of runs (invalid runs and runs without data are left out of a plot). */
export function buildCurves(runs: readonly RunRecord[]): Curve[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) {
    if (r.status === 'invalid') continue;
    const key = JSON.stringify([r.task ?? 'unknown', r.start ?? 'unknown']);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const keys = [...groups.keys()]
    .map((k) => JSON.parse(k) as [string, string])
    .sort(([ta, sa], [tb, sb]) => compareTasks(ta, tb) || sa.localeCompare(sb));
  const out: Curve[] = [];
  for (const [task, start] of keys) {
    const group = groups.get(JSON.stringify([task, start]))!;
    const lines = cellLines(group, { markIncomplete: true });
    const steps = Math.max(0, ...group.flatMap((r) => r.metrics.map((m) => m.step)));
    const window = smoothingWindow(steps);
    const where = `${taskTitle(task === 'unknown' ? null : task)}, ${start} start`;
    for (const q of QUANTITIES.filter((q) => q.inCurves)) {
      const series = lines.flatMap((l) => cellSeries(l, q, window));
      if (series.length === 0) continue;
      const title = `${q.title}, ${where}${smoothingNote(q, window)}`;
      out.push({
        file: `curves-${slug(task)}-${slug(start)}-${q.key}.svg`,
        title,
        task,
        start,
        series: series.filter((s) => !s.faint).map((s) => s.name),
        svg: linePlot({
          title,
          xLabel: 'step',
          yLabel: q.yLabel,
          yScale: q.log ? 'log' : 'linear',
          series,
          width: 900,
        }),
      });
    }
  }
  return out;
}
