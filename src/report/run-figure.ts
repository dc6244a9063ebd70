/**
 * The figure of one run: every quantity it logged (quantities.ts) against step, small multiples in
 * one SVG, in the run's cell style (colours.ts), smoothed as the report's curves are. Written as
 * <run dir>/report.svg by `report --per-run` (report.ts).
 */
import { gridSvg } from '../plot/grid.js';
import { linePlot } from '../plot/svg.js';
import { cellStyle } from './colours.js';
import { cellSeries } from './curves.js';
import { QUANTITIES } from './quantities.js';
import type { RunRecord } from './runs.js';
import { smoothingWindow } from './smooth.js';
import { taskTitle } from './tables.js';

export const RUN_FIGURE = 'report.svg';

/** The run's figure; null for an invalid run or one with nothing to draw. */
export function runFigure(run: RunRecord): string | null {
  if (run.status === 'invalid') return null;
  const window = smoothingWindow(Math.max(0, ...run.metrics.map((m) => m.step)));
  const line = { name: run.label, runs: [run], ...cellStyle(run.method, run.q, run.label) };
  const panels = QUANTITIES.flatMap((q) => {
    const series = cellSeries(line, q, window);
    if (series.length === 0) return [];
    return [
      linePlot({
        title: q.title,
        xLabel: 'step',
        yLabel: q.yLabel,
        yScale: q.log ? 'log' : 'linear',
        series,
        width: 420,
        height: 280,
        legend: false,
      }),
    ];
  });
  if (panels.length === 0) return null;
  const where = [
    run.task === null ? null : taskTitle(run.task),
    run.start === null ? null : `${run.start} start`,
    run.seed === null ? null : `seed ${run.seed}`,
  ].filter((x) => x !== null);
  const smoothing = window > 1 ? `; training curves: mean of the last ${window} steps, faint: each step` : '';
  const status = run.status === 'incomplete' ? ' (incomplete)' : '';
  return gridSvg(`${run.name}: ${[run.label, ...where].join(', ')}${status}${smoothing}`, panels, {
    columns: 3,
    width: 420,
    height: 280,
  });
}
