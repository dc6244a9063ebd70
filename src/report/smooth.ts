/**
 * Smoothing per-step curves: a trailing moving average over steps, whose window grows with the
 * length of the run so that a figure shows about the same detail for 100 steps as for 2000.
 */

export type Points = readonly (readonly [number, number])[];

/**
 * At each point, the mean of the points whose step is in (step - window, step]: the last `window`
 * steps (fewer at the start, and where steps are missing). Points must be in ascending step order.
 */
export function movingAverage(points: Points, window: number): [number, number][] {
  if (!(Number.isInteger(window) && window >= 1))
    throw new RangeError(`movingAverage: window must be a positive integer, got ${window}`);
  const out: [number, number][] = [];
  let from = 0;
  for (let i = 0; i < points.length; i++) {
    const step = points[i]![0];
    while (points[from]![0] <= step - window) from++;
    // summed afresh, not as a running sum, so that rounding does not build up over a long run
    let sum = 0;
    for (let j = from; j <= i; j++) sum += points[j]![1];
    out.push([step, sum / (i - from + 1)]);
  }
  return out;
}

/** The window for runs of `steps` steps: a twentieth of them, at least 1. */
export function smoothingWindow(steps: number): number {
  return Math.max(1, Math.round(steps / 20));
}
