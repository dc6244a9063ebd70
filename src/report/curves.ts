/**
 * Training curves, one SVG per (dataset, start) and quantity, one line per run (finished or not):
 * mean reward against step (metrics.csv), validation m@k against step (validation.csv), and, where
 * GARL runs logged it, max_m c_m / M^q against step (the paper's cold-start diagnostic).
 */
import { linePlot, type Series } from '../plot/svg.js';
import type { MetricsRow } from '../experiment/layout.js';
import type { RunRecord } from './runs.js';
import { compareRuns, compareTasks, taskTitle } from './tables.js';

export interface Curve {
  /** File name, e.g. "curves-finqa-cold-reward.svg". */
  file: string;
  title: string;
  task: string;
  start: string;
  /** Legend entries, one per run, in the order drawn. */
  series: string[];
  svg: string;
}

/** The curves of a set of runs (invalid runs and runs without data are left out of a plot). */
export function buildCurves(runs: readonly RunRecord[]): Curve[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) {
    if (r.status === 'invalid') continue;
    const key = `${r.task ?? 'unknown'}\u0000${r.start ?? 'unknown'}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const keys = [...groups.keys()].sort((a, b) => {
    const [ta, sa] = a.split('\u0000'), [tb, sb] = b.split('\u0000');
    return compareTasks(ta!, tb!) || sa!.localeCompare(sb!);
  });
  const out: Curve[] = [];
  for (const key of keys) {
    const [task, start] = key.split('\u0000') as [string, string];
    const group = [...groups.get(key)!].sort((a, b) => compareRuns(a, b) || (a.seed ?? 0) - (b.seed ?? 0) || a.dir.localeCompare(b.dir));
    const names = legendNames(group);
    const where = `${taskTitle(task === 'unknown' ? null : task)}, ${start} start`;
    const fromMetrics = (col: keyof MetricsRow) =>
      group.map((r, i) => ({ name: names[i]!, points: r.metrics.filter((m) => m[col] !== null).map((m) => [m.step, m[col]!] as const) }));
    const plots: { suffix: string; title: string; yLabel: string; series: { name: string; points: (readonly [number, number])[] }[] }[] = [
      { suffix: 'reward', title: `Mean reward, ${where}`, yLabel: 'mean exact-match reward', series: fromMetrics('mean_reward') },
      {
        suffix: 'validation-m16',
        title: `Validation m@k, ${where}`,
        yLabel: 'validation m@k (%)',
        series: group.map((r, i) => ({ name: names[i]!, points: r.validation.map((v) => [v.step, v.m16] as const) })),
      },
      { suffix: 'max-scaled-c', title: `max c_m / M^q, ${where}`, yLabel: 'max over m of c_m / M^q', series: fromMetrics('max_scaled_c') },
    ];
    for (const p of plots) {
      const series: Series[] = p.series.filter((s) => s.points.length > 0);
      if (series.length === 0) continue;
      const file = `curves-${slug(task)}-${slug(start)}-${p.suffix}.svg`;
      out.push({ file, title: p.title, task, start, series: series.map((s) => s.name), svg: linePlot({ title: p.title, xLabel: 'step', yLabel: p.yLabel, series }) });
    }
  }
  return out;
}

/** Legend names: the row label, with the seed (or the run name) where labels repeat; "(incomplete)" for unfinished runs. */
function legendNames(group: readonly RunRecord[]): string[] {
  const count = new Map<string, number>();
  for (const r of group) count.set(r.label, (count.get(r.label) ?? 0) + 1);
  const names = group.map((r) => (count.get(r.label)! > 1 ? `${r.label} ${r.seed !== null ? `seed ${r.seed}` : r.name}` : r.label));
  const seen = new Map<string, number>();
  return names.map((n, i) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    const unique = k > 1 ? `${n} (${group[i]!.name})` : n;
    return group[i]!.status === 'incomplete' ? `${unique} (incomplete)` : unique;
  });
}

/** A file-name-safe form of a task or start name. */
export function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_');
}
