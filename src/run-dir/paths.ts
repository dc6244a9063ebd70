/**
 * The run directory: what the trainer writes and `report` reads. One run, one directory (its
 * config's `output.dir`); runs of a sweep share a parent but never a file. This file names its files
 * and folders; csv.ts and json.ts read and write the artefacts, step-numbering.ts says what a step is.
 *
 *   <run>/
 *     config.yaml                     the resolved config (src/config/load.ts resolvedConfigYaml); written first
 *     metrics.csv                     one row per training step (METRICS_COLUMNS)
 *     rollouts.jsonl                  train.log_rollouts of the rollouts: text, answer, reward, log W (experiment/rollout-log.ts)
 *     validation.csv                  one row per validation (VALIDATION_COLUMNS): p@1, p@k, m@k in percent
 *     events.out.tfevents.*           TensorBoard scalars of both CSVs, one file per session (experiment/tensorboard.ts)
 *     eval/<split>.json               EvalSummary of the final evaluation on a split
 *     eval/<split>.predictions.jsonl  one PredictionRecord per question, with each sample's answer and completion
 *     checkpoints/checkpoint-<N>/     the state after N optimizer steps: Hugging Face layout, plus the trainer's state
 *     checkpoints/best/               the checkpoint with the best validation m@k (the study's selection rule)
 *     log.jsonl                       pino log lines
 *     .renumber/                      only while --resume renumbers a folder of an earlier version (experiment/renumber-run.ts)
 *     summary.json                    RunSummary, written last: its presence marks a finished run; with its provenance
 *     run.lock                        pid and host of the process training here (experiment/run-lock.ts); absent when none
 *     report.svg                      the run's curves, written only by `report --per-run` (src/report/run-figure.ts)
 *
 * Safety under concurrent runs writing into one results directory:
 * - `claimRunDir` creates the run directory with a non-recursive mkdir, so two runs given the same
 *   directory cannot both start: the second gets a UserError; with --resume, run.lock keeps out a
 *   second process while one trains there.
 * - CSV rows are appended one line per write with O_APPEND (`CsvAppender`), so a crash leaves at
 *   most a partial last line, which readers drop and `CsvAppender.open` cuts off before appending (csv.ts).
 * - JSON artefacts (eval summaries, summary.json) are written whole to a temporary file and renamed
 *   into place (`writeJsonAtomic`, json.ts): a reader sees the old file or the new one, never half of one.
 * - Readers keep the last row for each step, so rows re-appended after `--resume` replace the rows
 *   they repeat (`truncateCsvAfterStep` also lets the trainer drop them on resume).
 *
 * Steps count optimizer steps from 1 (step-numbering.ts): step N in every file is the state after N
 * steps. Folders of earlier versions counted from 0; the readers (csv.ts readRunCsvs, json.ts
 * readRunSummary and readEvalSummary) shift them in memory, and `train --resume` renumbers them on disk.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { checkpointName } from './step-numbering.js';

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

/** A split an evaluation reads ('train' only for `tsallis-run eval`: how a checkpoint does on the questions it trained on). */
export type Split = 'train' | 'validation' | 'test';

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
    if (!options.resume)
      throw new UserError(
        `${dir}: the run directory already exists; pass --resume to continue that run, or set output.dir or name to start another`,
      );
  }
  await mkdir(join(dir, RUN_FILES.evalDir), { recursive: true });
  await mkdir(join(dir, RUN_FILES.checkpoints), { recursive: true });
  return runPaths(dir);
}
