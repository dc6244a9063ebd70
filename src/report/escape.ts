/**
 * Escape steps of a run from its metrics rows: the first step (from 1) at which the trailing mean of a
 * column over `window` steps reaches a threshold. results/mini's pre-registrations define two:
 * - the reward criterion: trailing 5-step mean training reward >= 0.05 (`REWARD_ESCAPE`);
 * - T(q), the log W criterion: trailing 5-step mean of the median log W >= -12 (`LOG_W_ESCAPE`); a step
 *   without log W (no teacher-forced scoring) counts as -Infinity, so it never escapes by it.
 */
import type { MetricsRow } from '../run-dir/csv.js';

export interface EscapeCriterion {
  column: Exclude<keyof MetricsRow, 'step'>;
  threshold: number;
  /** The value of a step whose column is empty. */
  missing: number;
  window: number;
}

export const REWARD_ESCAPE: EscapeCriterion = { column: 'mean_reward', threshold: 0.05, missing: 0, window: 5 };
export const LOG_W_ESCAPE: EscapeCriterion = { column: 'log_W_p50', threshold: -12, missing: -Infinity, window: 5 };

/** The first step whose trailing `window`-step mean of the column is at least the threshold; null if none. */
export function escapeStep(metrics: readonly MetricsRow[], c: EscapeCriterion): number | null {
  // A window mean per step, not a running sum: a running sum cannot take -Infinity back out.
  for (let i = c.window - 1; i < metrics.length; i++) {
    const window = metrics.slice(i + 1 - c.window, i + 1);
    const mean = window.reduce((s, r) => s + (r[c.column] ?? c.missing), 0) / c.window;
    if (mean >= c.threshold) return metrics[i]!.step;
  }
  return null;
}
