/**
 * Step numbering: one definition for every line, file and folder of a run.
 *
 * Step N is the state after N optimizer steps, N = 1..train.steps, as Hugging Face's Trainer counts
 * (its global_step and its checkpoint-N folders):
 *   console, log.jsonl        "step N/T" is the step being run; when it ends N steps are done;
 *                             "validation after step N", "interrupted after step N" (checkpoint-N holds it)
 *   metrics.csv, rollouts.jsonl, TensorBoard   row / point N describes the N-th step
 *   validation.csv            row N was taken after step N (with eval_every E: at E, 2E, ..., and T)
 *   checkpoints/checkpoint-N  exactly N steps (its trainer_state.json's step is N); with checkpoint_every C
 *                             checkpoint-C, checkpoint-2C, ... are kept
 *   summary.json, eval/*.json best_step and checkpoint_step name such a checkpoint (null: the starting model)
 * With train.updates_per_batch K > 1 a step is one batch of rollouts and K updates on it. The schedules
 * (learning rate, a q schedule) are functions of the steps done before a step: step N runs at position
 * N - 1, 0 for the first, as Hugging Face's learning-rate schedulers count.
 *
 * Earlier versions counted from 0: their step K (and checkpoints/step-K) was the state after K + 1
 * steps. Their files are told apart by this rule, and read shifted by one:
 *   metrics.csv, validation.csv,  a run folder whose metrics.csv starts at step 0 (this version's start at 1);
 *   rollouts.jsonl                one without metrics rows by its validation.csv (or rollouts.jsonl) starting at 0
 *   summary.json, eval/<split>.json   no "step_base": 1 at the top (every file this version writes has it):
 *                                 best_step and the checkpoint_step of the file (and of its test, base_test) shift,
 *                                 null stays null
 *   trainer_state.json            version 1 (this version writes 2): step and best.step shift
 *   checkpoints/step-K            the folder checkpoint-(K + 1)
 * `train --resume` renumbers such a folder once, on disk (src/experiment/renumber-run.ts); log.jsonl
 * keeps its earlier lines as they were written, above a line that says so. A folder whose renumbering
 * was killed part-way through its commit (.renumber/COMMIT is there) may read wrong until --resume
 * finishes it.
 */
import type { MetricsRow, ValidationRow } from './csv.js';
import type { EvalSummary, RunSummary } from './json.js';

/** The first step's number; files written by this version say so as "step_base": 1. */
export const STEP_BASE = 1;

/** checkpoint-<N>: the folder of the state after N optimizer steps (N >= 1). */
export function checkpointName(step: number): string {
  if (!(Number.isInteger(step) && step >= 1))
    throw new RangeError(`a checkpoint's step must be a positive integer (steps done), got ${step}`);
  return `checkpoint-${step}`;
}

/** The step of a checkpoint folder name of this version ("checkpoint-40" -> 40), or null for another name ("best", "step-39"). */
export function checkpointStep(name: string): number | null {
  const m = /^checkpoint-(\d+)$/.exec(name);
  return m && Number(m[1]) >= 1 ? Number(m[1]) : null;
}

/** The step, in this version's numbering, of a legacy checkpoint folder name ("step-39" -> 40), or null. */
export function legacyCheckpointStep(name: string): number | null {
  const m = /^step-(\d+)$/.exec(name);
  return m ? Number(m[1]) + 1 : null;
}

/** The other name of the same checkpoint: checkpoint-N <-> step-(N-1); null for another name. */
export function otherCheckpointName(name: string): string | null {
  const now = checkpointStep(name);
  if (now !== null) return `step-${now - 1}`;
  const legacy = legacyCheckpointStep(name);
  return legacy !== null ? checkpointName(legacy) : null;
}

/** Whether a run folder's step files count from 0: by its metrics.csv's first step, else its other files' (see the head of this file). */
export function legacyStepFiles(firstSteps: { metrics?: number; validation?: number; rollouts?: number }): boolean {
  const first = firstSteps.metrics ?? firstSteps.validation ?? firstSteps.rollouts;
  return first === 0;
}

/** Rows of a legacy file in this version's numbering. */
export function shiftSteps<T extends { step: number }>(rows: readonly T[]): T[] {
  return rows.map((r) => ({ ...r, step: r.step + 1 }));
}

/** metrics.csv and validation.csv rows of one run folder, in this version's numbering, and whether they were legacy. */
export function fromLegacyRows(
  metrics: readonly MetricsRow[],
  validation: readonly ValidationRow[],
): { metrics: MetricsRow[]; validation: ValidationRow[]; legacy: boolean } {
  const legacy = legacyStepFiles({ metrics: metrics[0]?.step, validation: validation[0]?.step });
  return legacy
    ? { metrics: shiftSteps(metrics), validation: shiftSteps(validation), legacy }
    : { metrics: [...metrics], validation: [...validation], legacy };
}

const next = (step: number | null): number | null => (step === null ? null : step + 1);

/** Whether a summary.json or eval/<split>.json (parsed) was written before steps counted from 1. */
export function isLegacySummary(raw: { step_base?: number }): boolean {
  return raw.step_base !== STEP_BASE;
}

/** An eval/<split>.json in this version's numbering (marked "step_base": 1). */
export function fromLegacyEvalSummary(s: EvalSummary): EvalSummary {
  if (!isLegacySummary(s)) return s;
  return { ...s, step_base: STEP_BASE, checkpoint_step: next(s.checkpoint_step) };
}

/** A summary.json in this version's numbering (marked "step_base": 1). */
export function fromLegacyRunSummary(s: RunSummary): RunSummary {
  if (!isLegacySummary(s)) return s;
  const evalOf = (e: EvalSummary): EvalSummary => ({ ...e, checkpoint_step: next(e.checkpoint_step) });
  return {
    ...s,
    step_base: STEP_BASE,
    best_step: next(s.best_step),
    test: evalOf(s.test),
    ...(s.base_test ? { base_test: evalOf(s.base_test) } : {}),
  };
}

/** The trainer_state.json version of this numbering; version 1 counted from 0. */
export const TRAINER_STATE_VERSION = 2;

/** The fields of a trainer_state.json (src/experiment/trainer-checkpoint.ts TrainerState) that carry a step. */
export interface NumberedTrainerState {
  version: number;
  step: number;
  best: { step: number } | null;
}

/** A trainer state of either version in this version's numbering (its other fields as they are). */
export function fromLegacyTrainerState<S extends NumberedTrainerState>(
  state: S,
): S & { version: typeof TRAINER_STATE_VERSION } {
  if (state.version === TRAINER_STATE_VERSION) return state as S & { version: typeof TRAINER_STATE_VERSION };
  const best = state.best ? { ...state.best, step: state.best.step + 1 } : null;
  return { ...state, version: TRAINER_STATE_VERSION, step: state.step + 1, best };
}
