/**
 * `tsallis-run eval`: one checkpoint (or any model directory) on one split: k samples per question,
 * p@1 / p@k / m@k with the relaxed match, the task's official EM/F1 (FinQA: execution accuracy) of
 * the voted answer, and every question's samples and vote in a predictions file:
 *   <out>/eval/<split>.json, <out>/eval/<split>.predictions.jsonl
 *
 * It never touches a training run's own files unless told to: <out> defaults to a folder of its own
 * inside the config's run directory, <output.dir>/eval-<checkpoint folder name>, refused when that
 * already holds this split's files (unless `force`) or when the run directory does not exist (creating
 * it would make `train` refuse it). An explicit `out` writes there, replacing what it holds.
 *
 * A checkpoint is found by either name (checkpoint-N, or step-(N-1) of earlier versions:
 * resolveCheckpointDir), and its checkpoint_step is the steps it holds, whichever version wrote it.
 */
import { basename, join, resolve } from 'node:path';
import type { Config } from '../../config/schema.js';
import { UserError } from '../../errors.js';
import { loadModel } from '../../model/checkpoint.js';
import { writeEvalSummary, writePredictions, type EvalSummary } from '../../run-dir/json.js';
import { runPaths, type Split } from '../../run-dir/paths.js';
import { Policy } from '../../runtime/policy.js';
import { pathExists } from '../../util/atomic-write.js';
import { checkInputLimits } from '../input-limits.js';
import { loadSplit, loadTaskContext, splitPath } from '../task-data.js';
import { readTrainerState, resolveCheckpointDir } from '../trainer-checkpoint.js';
import { evalSettingsOf, evaluateRecords, type EvalProgressCallback } from './evaluate.js';
import { evalSummaryOf } from './summary.js';

export interface EvalOptions {
  /** A trainer checkpoint or a plain model directory (the base model). */
  checkpoint: string;
  /** Default: config.eval.split. */
  split?: Split;
  /** Samples per question; default config.eval.samples. */
  samples?: number;
  /** Receives eval/<split>.json and the predictions; default <output.dir>/eval-<checkpoint folder name>. */
  out?: string;
  /** Replace this split's files in the default folder. */
  force?: boolean;
  /** Evaluate only the first n questions (default: the config's eval.questions; 0: all). */
  limit?: number;
  /** Follows the questions done (evaluate.ts). */
  onProgress?: EvalProgressCallback;
}

export interface EvalRunResult {
  summary: EvalSummary;
  /** The checkpoint folder evaluated: `checkpoint`, or the same checkpoint under its other name. */
  checkpoint: string;
  /** The folder written to (`out`, or the default one). */
  dir: string;
  summaryPath: string;
  predictionsPath: string;
}

export async function runEvaluation(config: Config, o: EvalOptions): Promise<EvalRunResult> {
  const split = o.split ?? config.eval.split;
  const task = await loadTaskContext(config);
  const all = await loadSplit(task, split);
  const limit = o.limit ?? config.eval.questions;
  const records = limit > 0 ? all.slice(0, limit) : all;
  const checkpoint = await resolveCheckpointDir(o.checkpoint);
  const model = await loadModel(checkpoint);
  const maxPositions = model.config.maxPositionEmbeddings;
  await checkInputLimits(
    { kind: 'questions', file: splitPath(task, split), records },
    { tokenizer: model.tokenizer, task, maxPositions, maxNewTokens: config.rollout.max_new_tokens },
  );
  const paths = runPaths(await outDir(config, { ...o, checkpoint }, split));
  const state = await readTrainerState(checkpoint);
  const policy = new Policy(model.config, model.weights, {
    device: config.device,
    threads: config.threads || undefined,
  });
  const settings = evalSettingsOf(config, o.samples ?? config.eval.samples);
  const result = await evaluateRecords(policy, model.tokenizer, task, records, settings, undefined, o.onProgress);
  const summary = evalSummaryOf(split, state ? state.step : null, result);
  await writeEvalSummary(paths, summary);
  await writePredictions(paths.predictions(split), result.records);
  const summaryPath = paths.evalSummary(split),
    predictionsPath = paths.predictions(split);
  return { summary, checkpoint, dir: paths.dir, summaryPath, predictionsPath };
}

/** Where an evaluation writes; checked before any evaluation work (see the head of this file). */
export async function outDir(
  config: Config,
  o: Pick<EvalOptions, 'checkpoint' | 'out' | 'force'>,
  split: Split,
): Promise<string> {
  if (o.out !== undefined) return resolve(o.out);
  const run = resolve(config.output.dir);
  if (!(await pathExists(run))) {
    throw new UserError(
      `${run}: the config's run directory does not exist, and eval writing there would make train refuse it; pass --out DIR`,
    );
  }
  const dir = join(run, `eval-${basename(resolve(o.checkpoint))}`);
  const paths = runPaths(dir);
  for (const file of [paths.evalSummary(split), paths.predictions(split)]) {
    if (!o.force && (await pathExists(file))) {
      throw new UserError(
        `${file} exists from an earlier eval; pass --force to replace it, or --out DIR to write elsewhere`,
      );
    }
  }
  return dir;
}
