/** Evaluation results as the run directory keeps them (EvalSummary, eval/<split>.json) and as a table for people. */
import type { Table } from '../../plot/table.js';
import type { EvalSummary } from '../../run-dir/json.js';
import type { Split } from '../../run-dir/paths.js';
import { STEP_BASE } from '../../run-dir/step-numbering.js';
import type { Scores } from '../../tasks/score.js';
import type { SamplingMetrics } from './sampling-metrics.js';

/** What a summary is made of (an EvalResult): the metrics, the official rates (fractions; null: not computed), the time. */
export interface SummaryParts {
  metrics: SamplingMetrics;
  official: Pick<Scores, 'em' | 'f1' | 'exe_acc'>;
  wall_s: number;
}

/**
 * The eval/<split>.json summary of a result, in percent: the sampling metrics, then whichever of the
 * task's official rates (fractions in the result) were computed. `checkpointStep`: the optimizer steps
 * the checkpoint holds, null for the starting model.
 */
export function evalSummaryOf(split: Split, checkpointStep: number | null, r: SummaryParts): EvalSummary {
  const pct = (x: number | null | undefined) => (x === null || x === undefined ? undefined : 100 * x);
  const summary: EvalSummary = {
    step_base: STEP_BASE,
    split,
    checkpoint_step: checkpointStep,
    n: r.metrics.n,
    k: r.metrics.k,
    p1: r.metrics.p1,
    p16: r.metrics.pk,
    m16: r.metrics.mk,
    m16_abstain: r.metrics.mk_abstain,
    wall_s: r.wall_s,
  };
  const em = pct(r.official.em),
    f1 = pct(r.official.f1),
    exe = pct(r.official.exe_acc);
  if (em !== undefined) summary.em = em;
  if (f1 !== undefined) summary.f1 = f1;
  if (exe !== undefined) summary.exe_acc = exe;
  return summary;
}

/**
 * One row per summary: split, checkpoint, n, p@1, p@k, m@k, then whichever of m@k abstaining (absent
 * from older files) and the official metrics are present.
 */
export function evalSummaryTable(summaries: readonly EvalSummary[]): Table {
  const k = summaries[0]?.k ?? 16;
  const present = (key: 'm16_abstain' | 'em' | 'f1' | 'exe_acc') => summaries.some((s) => s[key] !== undefined);
  const extra = (['m16_abstain', 'em', 'f1', 'exe_acc'] as const).filter(present);
  const names = { m16_abstain: `m@${k} abstain`, em: 'em', f1: 'f1', exe_acc: 'exe_acc' };
  const checkpoint = (s: EvalSummary) => (s.checkpoint_step === null ? 'base' : `step ${s.checkpoint_step}`);
  return {
    columns: ['split', 'checkpoint', 'n', 'p@1', `p@${k}`, `m@${k}`, ...extra.map((key) => names[key])],
    rows: summaries.map((s) => [s.split, checkpoint(s), s.n, s.p1, s.p16, s.m16, ...extra.map((key) => s[key] ?? '')]),
  };
}
