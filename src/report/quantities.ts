/**
 * What the curves draw against step: the training quantities of metrics.csv (smoothed, raw faint
 * behind) and the validation metrics of validation.csv (every point, unsmoothed: they are few).
 */
import type { MetricsRow } from '../run-dir/csv.js';
import type { RunRecord } from './runs.js';
import type { Points } from './smooth.js';

export type Column = Exclude<keyof MetricsRow, 'step'>;

/** The [step, value] pairs of a metrics column, where the run logged one. */
export function columnPoints(run: RunRecord, column: Column): [number, number][] {
  return run.metrics.flatMap((m) => (m[column] === null ? [] : [[m.step, m[column]!] as [number, number]]));
}

export interface Quantity {
  /** File-name part, e.g. "reward" in curves-finqa-cold-reward.svg. */
  key: string;
  /** Figure title, before ", <dataset>, <start> start". */
  title: string;
  yLabel: string;
  log?: boolean;
  smooth: boolean;
  /** In the report's curves; false where a diagnostic figure already draws it (entropy, log W). */
  inCurves: boolean;
  points: (run: RunRecord) => Points;
}

const training = (
  key: string,
  column: Column,
  title: string,
  yLabel: string,
  more: Partial<Quantity> = {},
): Quantity => ({ key, title, yLabel, smooth: true, inCurves: true, points: (r) => columnPoints(r, column), ...more });
const validation = (key: 'p1' | 'p16' | 'm16', title: string): Quantity => ({
  key: `validation-${key}`,
  title: `Validation ${title}`,
  yLabel: `validation ${title} (%)`,
  smooth: false,
  inCurves: true,
  points: (r) => r.validation.map((v) => [v.step, v[key]] as const),
});

export const QUANTITIES: readonly Quantity[] = [
  training('reward', 'mean_reward', 'Mean reward', 'mean exact-match reward'),
  training('loss', 'loss', 'Loss', 'loss'),
  training('grad-norm', 'grad_norm', 'Gradient norm (before clipping)', 'gradient norm'),
  training('kl', 'kl', 'KL to the reference', 'mean k3 KL'),
  training('mean-w', 'mean_W', 'Mean W', 'mean W over questions', { log: true }),
  training('log-w-p50', 'log_W_p50', 'Median log W', 'log W, median over questions', { inCurves: false }),
  training('length', 'mean_rationale_tokens', 'Rationale length', 'mean rationale tokens'),
  training('entropy', 'entropy', 'Token entropy', 'mean token entropy (nats)', { inCurves: false }),
  validation('p1', 'p@1'),
  validation('p16', 'p@k'),
  validation('m16', 'm@k'),
];
