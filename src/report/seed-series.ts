/**
 * Per-step series of a cell's seeds combined into one: their mean, and their range (min to max) for
 * a band. At each step, over the seeds with a value there.
 */
import type { Points } from './smooth.js';

function byStep(series: readonly Points[]): [number, number[]][] {
  const at = new Map<number, number[]>();
  for (const s of series) for (const [x, y] of s) at.set(x, [...(at.get(x) ?? []), y]);
  return [...at.entries()].sort((a, b) => a[0] - b[0]);
}

/** The mean over the series at each step; steps ascending. */
export function meanAcross(series: readonly Points[]): [number, number][] {
  return byStep(series).map(([x, ys]) => [x, ys.reduce((a, b) => a + b, 0) / ys.length]);
}

/** [step, min, max] over the series at each step; steps ascending. */
export function rangeAcross(series: readonly Points[]): [number, number, number][] {
  return byStep(series).map(([x, ys]) => [x, Math.min(...ys), Math.max(...ys)]);
}
