/**
 * The run directory: what the trainer writes and `report` reads. One run, one directory (its
 * config's `output.dir`); runs of a sweep share a parent but never a file.
 *
 *   <run>/
 *     config.yaml                     the resolved config (config/load.ts resolvedConfigYaml); written first
 *     metrics.csv                     one row per training step (METRICS_COLUMNS)
 *     rollouts.jsonl                  train.log_rollouts of each step's rollouts, with text, answer, reward, log W (rollout-log.ts)
 *     validation.csv                  one row per validation (VALIDATION_COLUMNS): p@1, p@k, m@k in percent
 *     events.out.tfevents.*           TensorBoard scalars of both CSVs, one file per session (tensorboard.ts)
 *     eval/<split>.json               EvalSummary of the final evaluation on a split
 *     eval/<split>.predictions.jsonl  one PredictionRecord per question, with each sample's answer and completion
 *     checkpoints/checkpoint-<N>/     the state after N optimizer steps: Hugging Face layout, plus the trainer's state
 *     checkpoints/best/               the checkpoint with the best validation m@k (the study's selection rule)
 *     log.jsonl                       pino log lines
 *     .renumber/                      only while --resume renumbers a folder of an earlier version (renumber-run.ts)
 *     summary.json                    RunSummary, written last: its presence marks a finished run; with its provenance
 *     run.lock                        pid and host of the process training here (run-lock.ts); absent when none
 *     report.svg                      the run's curves, written only by `report --per-run` (src/report/run-figure.ts)
 *
 * Safety under concurrent runs writing into one results directory:
 * - `claimRunDir` creates the run directory with a non-recursive mkdir, so two runs given the same
 *   directory cannot both start: the second gets a UserError; with --resume, run.lock keeps out a
 *   second process while one trains there.
 * - CSV rows are appended one line per write with O_APPEND (`CsvAppender`), so a crash leaves at
 *   most a partial last line, which readers drop and `CsvAppender.open` cuts off before appending.
 * - JSON artefacts (eval summaries, summary.json) are written whole to a temporary file and renamed
 *   into place (`writeJsonAtomic`): a reader sees the old file or the new one, never half of one.
 * - Readers keep the last row for each step, so rows re-appended after `--resume` replace the rows
 *   they repeat (`truncateCsvAfterStep` also lets the trainer drop them on resume).
 *
 * Steps count optimizer steps from 1 (step-numbering.ts): step N in every file is the state after N
 * steps. Folders of earlier versions counted from 0; the readers here (readRunCsvs, readRunSummary,
 * readEvalSummary) shift them in memory, and `train --resume` renumbers them on disk.
 */
import { appendFile, mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { ALGORITHM_NAMES, type AlgorithmName } from '../objectives/algorithm.js';
import { qScheduleSchema } from '../objectives/schedule.js';
import { parseWith } from '../tasks/record.js';
import { addErrorPath, writeFileAtomic } from '../util/atomic-write.js';
import { checkpointName, fromLegacyEvalSummary, fromLegacyRows, fromLegacyRunSummary, STEP_BASE } from './step-numbering.js';

// ---------------------------------------------------------------------------------------------
// File names.

export const RUN_FILES = {
  config: 'config.yaml',
  metrics: 'metrics.csv',
  rollouts: 'rollouts.jsonl',
  validation: 'validation.csv',
  summary: 'summary.json',
  log: 'log.jsonl',
  evalDir: 'eval',
  checkpoints: 'checkpoints',
} as const;

export type Split = 'validation' | 'test';

/** Every path of a run directory. */
export interface RunPaths {
  dir: string;
  config: string;
  metrics: string;
  rollouts: string;
  validation: string;
  summary: string;
  log: string;
  evalDir: string;
  checkpoints: string;
  best: string;
  /** eval/<split>.json */
  evalSummary(split: Split): string;
  /** eval/<split>.predictions.jsonl */
  predictions(split: Split): string;
  /** checkpoints/checkpoint-<N>: the state after N optimizer steps. */
  checkpoint(step: number): string;
}

export function runPaths(dir: string): RunPaths {
  const evalDir = join(dir, RUN_FILES.evalDir);
  const checkpoints = join(dir, RUN_FILES.checkpoints);
  return {
    dir,
    config: join(dir, RUN_FILES.config),
    metrics: join(dir, RUN_FILES.metrics),
    rollouts: join(dir, RUN_FILES.rollouts),
    validation: join(dir, RUN_FILES.validation),
    summary: join(dir, RUN_FILES.summary),
    log: join(dir, RUN_FILES.log),
    evalDir,
    checkpoints,
    best: join(checkpoints, 'best'),
    evalSummary: (split) => join(evalDir, `${split}.json`),
    predictions: (split) => join(evalDir, `${split}.predictions.jsonl`),
    checkpoint: (step) => join(checkpoints, checkpointName(step)),
  };
}


/**
 * Creates the run directory (and its parents). Fails with a UserError when it already exists, unless
 * `resume`: two runs can therefore never share a directory, even when started at the same moment.
 */
export async function claimRunDir(dir: string, options: { resume?: boolean } = {}): Promise<RunPaths> {
  await mkdir(dirname(dir), { recursive: true });
  try {
    await mkdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    if (!options.resume) throw new UserError(`${dir}: the run directory already exists; pass --resume to continue that run, or set output.dir or name to start another`);
  }
  await mkdir(join(dir, RUN_FILES.evalDir), { recursive: true });
  await mkdir(join(dir, RUN_FILES.checkpoints), { recursive: true });
  return runPaths(dir);
}

// ---------------------------------------------------------------------------------------------
// CSV artefacts.

/** Per-step training metrics, in column order. Times in seconds; `q` empty for algorithms without one. */
export const METRICS_COLUMNS = [
  'step',
  'q',
  'mean_reward',
  'mean_W',
  'no_success_share',
  'max_scaled_c',
  'loss',
  'grad_norm',
  'kl',
  'mean_rationale_tokens',
  'tokens_per_s',
  't_generate',
  't_score',
  't_train',
  't_optimizer',
  'lr',
  'entropy',
  'log_W_p10',
  'log_W_p50',
  'log_W_p90',
  'above_eps',
] as const;

export type MetricsColumn = (typeof METRICS_COLUMNS)[number];

/**
 * One training step. Empty cells (null) are measurements that do not apply (mean_W and max_scaled_c
 * for GRPO, kl without a KL term, q for GRPO/RLOO/SFT).
 *   step                   the step: the row describes the N-th optimizer step, after which N are done (from 1)
 *   q                      q in effect at this step (GARL, PAFT)
 *   mean_reward            mean exact-match reward of the step's rollouts (every algorithm)
 *   mean_W                 mean over questions of W = mean_m w_m (GARL, PAFT)
 *   no_success_share       share of questions none of whose rollouts got reward 1
 *   max_scaled_c           max over the step of max_m c_m / M^q (GARL: the paper's cold-start diagnostic)
 *   loss, grad_norm        the loss and the global gradient norm before clipping
 *   kl                     mean k3 KL to the reference (GRPO with kl_beta > 0)
 *   mean_rationale_tokens  mean rationale length of the rollouts
 *   tokens_per_s           generated tokens per second of generation
 *   t_generate, t_score, t_train, t_optimizer   seconds spent in each phase
 *   lr                     learning rate of the step
 *   entropy                mean over the rollouts' sampled tokens of -log p under the sampling distribution
 *                          (an unbiased estimate of the policy's per-token entropy, nats; forced tokens excluded)
 *   log_W_p10, log_W_p50, log_W_p90   quantiles over the step's questions of log W (natural log; GARL, PAFT)
 *   above_eps              share of gradient coordinates with |g| > the optimizer's eps after clipping (1e-8 under
 *                          SGD): near 1, AdamW's step is sign-like and the same for every q; near 0, it is SGD at lr/eps
 * With train.updates_per_batch > 1 a row is one batch: loss, grad_norm, kl and above_eps are those of its first
 * (on-policy) update, the times those of all its updates. The PPO clip fraction is not a column (see README).
 */
export type MetricsRow = { step: number } & { [K in Exclude<MetricsColumn, 'step'>]: number | null };

export const VALIDATION_COLUMNS = ['step', 'p1', 'p16', 'm16'] as const;

/** One validation: after step `step` (that many optimizer steps), p@1, p@k and m@k in percent (k = eval.samples, 16 in the study). */
export interface ValidationRow {
  step: number;
  p1: number;
  p16: number;
  m16: number;
}

type Row<C extends string> = { [K in C]: number | null };

/** A cell: shortest round-trip form for numbers, empty for null. */
export function csvNumber(v: number | null | undefined): string {
  return v === null || v === undefined ? '' : String(v);
}

/** A CSV line of the given columns (numbers only, so no quoting is ever needed). */
export function csvLine<C extends string>(columns: readonly C[], row: Row<C>): string {
  return columns.map((c) => {
    const v = row[c];
    if (v !== null && typeof v !== 'number') throw new TypeError(`csv column ${c}: expected a number or null, got ${typeof v}`);
    return csvNumber(v);
  }).join(',') + '\n';
}

/**
 * Appends rows to a CSV file of its own run, one write per line. Opening creates the file with its
 * header (exclusively: never two headers), or checks the existing header and cuts off a partial last
 * line left by a crash.
 */
export class CsvAppender<C extends string> {
  private constructor(readonly path: string, readonly columns: readonly C[]) {}

  static async open<C extends string>(path: string, columns: readonly C[]): Promise<CsvAppender<C>> {
    const header = columns.join(',') + '\n';
    try {
      await writeFile(path, header, { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const text = await readFile(path, 'utf8');
      const first = text.slice(0, text.indexOf('\n') + 1);
      if (first !== header) throw new UserError(`${path}: its columns (${first.trim() || 'none'}) are not this version's (${header.trim()}); move the file away to continue`);
      if (!text.endsWith('\n')) {
        const handle = await open(path, 'r+');
        try {
          await handle.truncate(Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)));
        } finally {
          await handle.close();
        }
      }
    }
    return new CsvAppender(path, columns);
  }

  /** Appends one row as one write (O_APPEND): whole lines, never interleaved. */
  async append(row: Row<C>): Promise<void> {
    try {
      await appendFile(this.path, csvLine(this.columns, row));
    } catch (err) {
      addErrorPath(err, this.path);
      throw err;
    }
  }
}

/** Opens metrics.csv for appending. */
export function openMetricsCsv(paths: Pick<RunPaths, 'metrics'>): Promise<CsvAppender<MetricsColumn>> {
  return CsvAppender.open(paths.metrics, METRICS_COLUMNS);
}

/** Opens validation.csv for appending. */
export function openValidationCsv(paths: Pick<RunPaths, 'validation'>): Promise<CsvAppender<(typeof VALIDATION_COLUMNS)[number]>> {
  return CsvAppender.open(paths.validation, VALIDATION_COLUMNS);
}

/**
 * Reads a numeric CSV written by CsvAppender: drops a partial last line, keeps the last row for each
 * step (rows re-appended after a resume win), sorts by step. Unknown columns are ignored; missing
 * ones read as null. Errors name the file and the line.
 */
export function parseStepCsv<C extends string>(text: string, columns: readonly C[], where: string): Row<C>[] {
  const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
  if (complete.trim() === '') return [];
  const records = parse(complete, { columns: true, skip_empty_lines: true, relax_column_count: true }) as Record<string, string>[];
  const byStep = new Map<number, Row<C>>();
  records.forEach((rec, i) => {
    const row = {} as Row<C>;
    for (const c of columns) {
      const cell = rec[c];
      if (cell === undefined || cell === '') row[c] = null;
      else {
        const v = Number(cell);
        if (Number.isNaN(v) && cell !== 'NaN') throw new UserError(`${where}:${i + 2}: ${c}: expected a number, got "${cell}"`);
        row[c] = v;
      }
    }
    const step = (row as Record<string, number | null>)['step'];
    if (step === null || step === undefined || !Number.isInteger(step)) throw new UserError(`${where}:${i + 2}: step: expected an integer, got "${rec['step'] ?? ''}"`);
    byStep.set(step, row);
  });
  return [...byStep.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r);
}

/** metrics.csv as rows, or [] when the file does not exist yet. */
export async function readMetricsCsv(path: string): Promise<MetricsRow[]> {
  const text = await readIfExists(path);
  return text === null ? [] : (parseStepCsv(text, METRICS_COLUMNS, path) as MetricsRow[]);
}

/** validation.csv as rows, or [] when the file does not exist yet. */
export async function readValidationCsv(path: string): Promise<ValidationRow[]> {
  const text = await readIfExists(path);
  if (text === null) return [];
  return parseStepCsv(text, VALIDATION_COLUMNS, path).map((r, i) => {
    for (const c of ['p1', 'p16', 'm16'] as const) if (r[c] === null) throw new UserError(`${path}: row ${i + 1}: ${c}: expected a number, got an empty cell`);
    return r as ValidationRow;
  });
}

/**
 * A run folder's metrics.csv and validation.csv in this version's numbering (a legacy folder's are
 * shifted: step-numbering.ts), and whether they were legacy.
 */
export async function readRunCsvs(paths: Pick<RunPaths, 'metrics' | 'validation'>): Promise<{ metrics: MetricsRow[]; validation: ValidationRow[]; legacy: boolean }> {
  return fromLegacyRows(await readMetricsCsv(paths.metrics), await readValidationCsv(paths.validation));
}

/** Drops the rows after `step` (for --resume from a checkpoint at `step`), atomically. */
export async function truncateCsvAfterStep(path: string, step: number): Promise<void> {
  const text = await readIfExists(path);
  if (text === null) return;
  const lines = text.split('\n');
  const header = lines[0]!;
  const stepIndex = header.split(',').indexOf('step');
  if (stepIndex < 0) throw new UserError(`${path}: no step column`);
  const kept = lines.slice(1).filter((l, i, all) => {
    if (l === '' || (i === all.length - 1 && !text.endsWith('\n'))) return false;
    return Number(l.split(',')[stepIndex]) <= step;
  });
  await writeFileAtomic(path, [header, ...kept].join('\n') + '\n');
}

// ---------------------------------------------------------------------------------------------
// JSON artefacts. Percentages throughout (p@1 30.5 means 30.5%).

const percent = z.number().min(0).max(100);
const count = z.number().int().min(0);

/** The final evaluation of one checkpoint on one split: eval/<split>.json. */
export const evalSummarySchema = z.object({
  /** 1: steps count from 1 (step-numbering.ts). Written at the top of every file; absent in files of earlier versions, which counted from 0. */
  step_base: z.literal(STEP_BASE).optional(),
  split: z.enum(['validation', 'test']),
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

/** One question of eval/<split>.predictions.jsonl (src/eval/sampling-metrics.ts writes these). */
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
  await writeJsonAtomic(paths.evalSummary(summary.split), evalSummarySchema.parse({ step_base: STEP_BASE, ...summary }));
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
  const text = await readIfExists(path);
  if (text === null) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  return parseWith(schema, raw, path);
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
