/**
 * The run directory's JSON artefacts (paths.ts): eval/<split>.json, summary.json and the predictions
 * file, as zod schemas (the type and the validator), with writers that write whole files and readers
 * that name the file and field in their errors. Percentages throughout (p@1 30.5 means 30.5%).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { ALGORITHM_NAMES, type AlgorithmName } from '../objectives/algorithm.js';
import { qScheduleSchema } from '../objectives/schedule.js';
import { parseWith } from '../tasks/record.js';
import { readTextIfExists, writeFileAtomic } from '../util/atomic-write.js';
import type { RunPaths } from './paths.js';
import { fromLegacyEvalSummary, fromLegacyRunSummary, STEP_BASE } from './step-numbering.js';

const percent = z.number().min(0).max(100);
const count = z.number().int().min(0);

/** The final evaluation of one checkpoint on one split: eval/<split>.json. */
export const evalSummarySchema = z.object({
  /** 1: steps count from 1 (step-numbering.ts). Written at the top of every file; absent in files of earlier versions, which counted from 0. */
  step_base: z.literal(STEP_BASE).optional(),
  split: z.enum(['train', 'validation', 'test']),
  /** The evaluated checkpoint's step (optimizer steps done); null for the untrained model (a "base model" row). */
  checkpoint_step: count.nullable(),
  /** Questions evaluated. */
  n: count,
  /** Samples per question (p16 and m16 are p@k and m@k for this k; 16 in the study). */
  k: z.number().int().min(1),
  p1: percent,
  p16: percent,
  /** m@k with every sample voting (an unparsable answer votes for "no answer", never correct). */
  m16: percent,
  /** m@k with unparsable answers abstaining (the earlier rule, kept for comparison); absent in files written before it. */
  m16_abstain: percent.optional(),
  /** The task's official metrics of the majority-voted answer, in percent: EM and F1 (HotPotQA, MuSiQue), execution accuracy (FinQA). */
  em: percent.optional(),
  f1: percent.optional(),
  exe_acc: percent.optional(),
  wall_s: z.number().min(0),
});
export type EvalSummary = z.infer<typeof evalSummarySchema>;

/**
 * Where and with what a run was made (provenance.ts collects it): the session that finished the run;
 * log.jsonl has one `provenance` line per session (a resumed run has several).
 */
export const provenanceSchema = z.object({
  /** HEAD of the tsallis-run repository and whether tracked files differed from it; null outside a git checkout (an npm install). */
  git: z.object({ commit: z.string(), dirty: z.boolean() }).nullable(),
  /**
   * The commit the running code (dist/) was built from (dist/build-info.json, written by `npm run build`);
   * null when the code ran from the sources or the file is missing; absent in files of earlier versions.
   */
  build: z.object({ commit: z.string().nullable(), dirty: z.boolean() }).nullable().optional(),
  tsallis_run: z.string().nullable(),
  node: z.string(),
  onnxruntime: z.string().nullable(),
  device: z.string(),
  /** config.threads (0: onnxruntime's default) and the CPUs Node sees. */
  threads: count,
  cpus: count,
  host: z.string(),
  /** ISO 8601 start of this session and end of the run. */
  started_at: z.string(),
  finished_at: z.string().optional(),
  /** The scheduler's job, where one is set (SLURM_JOB_ID, SLURM_ARRAY_TASK_ID). */
  slurm_job_id: z.string().optional(),
  slurm_array_task_id: z.string().optional(),
});
export type Provenance = z.infer<typeof provenanceSchema>;

/** What trained a run: an algorithm (src/objectives/algorithm.ts, in its rows' order), or "base" for the untrained model. */
export type Method = 'base' | AlgorithmName;
export const METHODS: readonly Method[] = ['base', ...ALGORITHM_NAMES];

/** summary.json: written last (atomically), so its presence marks a finished run. */
export const runSummarySchema = z.object({
  /** 1: steps count from 1 (step-numbering.ts); absent in files of earlier versions, which counted from 0. */
  step_base: z.literal(STEP_BASE).optional(),
  name: z.string().min(1),
  /** Task name as in the config (finqa, hotpotqa, musique, mini-*). */
  task: z.string().min(1),
  start: z.enum(['cold', 'warm']),
  /** The algorithm; "base" for an evaluation of the untrained model. */
  method: z.enum(METHODS as readonly [Method, ...Method[]]),
  /** Constant q (GARL, PAFT); null otherwise, and for a q schedule (then in q_schedule). */
  q: z.number().min(0).max(1).nullable(),
  q_schedule: qScheduleSchema.optional(),
  seed: count,
  /** Optimizer steps completed. */
  steps: count,
  /** Step of the checkpoint with the best validation m@k (the one tested; optimizer steps done); null without validation. */
  best_step: count.nullable(),
  best_validation_m16: percent.nullable(),
  /** The test evaluation of the selected checkpoint. */
  test: evalSummarySchema,
  /** The starting model on the same split (eval.compare_base). */
  base_test: evalSummarySchema.optional(),
  /** Wall-clock seconds of the whole run. */
  wall_s: z.number().min(0),
  /** ISO 8601 time the run finished. */
  finished_at: z.string(),
  /** Absent in files written before it. */
  provenance: provenanceSchema.optional(),
});
export type RunSummary = z.infer<typeof runSummarySchema>;

/** One question of eval/<split>.predictions.jsonl (src/experiment/eval/sampling-metrics.ts writes these). */
export const predictionRecordSchema = z.object({
  id: z.string(),
  /** Gold answer, then its aliases. */
  gold: z.array(z.string()),
  /** The extracted answer of each sample, in sampling order ("" when none could be extracted). */
  answers: z.array(z.string()),
  /** Relaxed match of each sample. */
  correct: z.array(z.boolean()),
  /** The majority-voted answer (the first sample's raw text with the winning normalised form); null when "no answer" won. */
  vote: z.string().nullable(),
  /** How many samples voted for it. */
  vote_count: count,
  vote_correct: z.boolean(),
  /** The vote with empty answers abstaining (null when every answer was empty), and whether it is correct; absent in older files. */
  vote_abstain: z.string().nullable().optional(),
  vote_abstain_correct: z.boolean().optional(),
  /** The decoded completion of each sample, in sampling order (what `answers` were extracted from); absent in older files. */
  completions: z.array(z.string()).optional(),
});
export type PredictionRecord = z.infer<typeof predictionRecordSchema>;

/** Writes JSON whole or not at all (temporary file, then rename). */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/** Writes eval/<split>.json, marked "step_base": 1. */
export async function writeEvalSummary(paths: Pick<RunPaths, 'evalSummary'>, summary: EvalSummary): Promise<void> {
  await writeJsonAtomic(
    paths.evalSummary(summary.split),
    evalSummarySchema.parse({ step_base: STEP_BASE, ...summary }),
  );
}

/** Writes summary.json, marked "step_base": 1 (its test and base_test follow the file's mark). */
export async function writeRunSummary(paths: Pick<RunPaths, 'summary'>, summary: RunSummary): Promise<void> {
  await writeJsonAtomic(paths.summary, runSummarySchema.parse({ step_base: STEP_BASE, ...summary }));
}

/** Writes the predictions file atomically (one JSON object a line). */
export async function writePredictions(path: string, records: readonly PredictionRecord[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, records.map((r) => JSON.stringify(r) + '\n').join(''));
}

/**
 * summary.json, validated, in this version's numbering (a legacy file's steps shifted); null when the
 * run has not finished (no file). Errors name the file and the field.
 */
export async function readRunSummary(path: string): Promise<RunSummary | null> {
  const s = await readJson(path, runSummarySchema);
  return s && fromLegacyRunSummary(s);
}

/** eval/<split>.json, validated, in this version's numbering; null when there is none. */
export async function readEvalSummary(path: string): Promise<EvalSummary | null> {
  const s = await readJson(path, evalSummarySchema);
  return s && fromLegacyEvalSummary(s);
}

export async function readPredictionRecords(path: string): Promise<PredictionRecord[]> {
  const text = await readFile(path, 'utf8');
  return text.split('\n').flatMap((line, i) => {
    if (line.trim() === '') return [];
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      throw new UserError(`${path}:${i + 1}: not valid JSON`);
    }
    return [parseWith(predictionRecordSchema, raw, `${path}:${i + 1}`)];
  });
}

async function readJson<T>(path: string, schema: z.ZodType<T>): Promise<T | null> {
  const text = await readTextIfExists(path);
  if (text === null) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  return parseWith(schema, raw, path);
}
