/** Evaluation results as the artefact the run directory keeps (EvalSummary) and as a table for people. */
import type { EvalSummary, Split } from '../experiment/layout.js';
import { STEP_BASE } from '../experiment/step-numbering.js';
import type { Table } from '../plot/table.js';
import type { SamplingMetrics } from './sampling-metrics.js';

/** The task's official metrics as fractions in [0, 1] (src/tasks/score.ts Scores), when computed. */
export interface OfficialRates {
  em?: number | null;
  f1?: number | null;
  exe_acc?: number | null;
}

/** An EvalSummary (percent throughout) from the sampling metrics and, optionally, the official rates. */
export function evalSummary(split: Split, checkpointStep: number | null, m: SamplingMetrics, wallS: number, official: OfficialRates = {}): EvalSummary {
  const out: EvalSummary = { step_base: STEP_BASE, split, checkpoint_step: checkpointStep, n: m.n, k: m.k, p1: m.p1, p16: m.pk, m16: m.mk, m16_abstain: m.mk_abstain, wall_s: wallS };
  for (const key of ['em', 'f1', 'exe_acc'] as const) {
    const v = official[key];
    if (v !== null && v !== undefined) out[key] = 100 * v;
  }
  return out;
}

/**
 * One row per summary: split, checkpoint, n, p@1, p@k, m@k, then whichever of m@k abstaining (absent
 * from older files) and the official metrics are present.
 */
export function evalSummaryTable(summaries: readonly EvalSummary[]): Table {
  const k = summaries[0]?.k ?? 16;
  const extra = (['m16_abstain', 'em', 'f1', 'exe_acc'] as const).filter((key) => summaries.some((s) => s[key] !== undefined));
  const names = { m16_abstain: `m@${k} abstain`, em: 'em', f1: 'f1', exe_acc: 'exe_acc' };
  return {
    columns: ['split', 'checkpoint', 'n', 'p@1', `p@${k}`, `m@${k}`, ...extra.map((key) => names[key])],
    rows: summaries.map((s) => [s.split, s.checkpoint_step === null ? 'base' : `step ${s.checkpoint_step}`, s.n, s.p1, s.p16, s.m16, ...extra.map((key) => s[key] ?? '')]),
  };
}
