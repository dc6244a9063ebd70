/**
 * `tsallis-run eval`: one checkpoint (or any model directory) on one split: k samples per question,
 * p@1 / p@k / m@k with the relaxed match, the task's official EM/F1 (FinQA: execution accuracy) of
 * the voted answer, and every question's samples and vote in a predictions file:
 *   <out>/eval/<split>.json, <out>/eval/<split>.predictions.jsonl
 */
import { resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { loadModel } from '../model/checkpoint.js';
import { Policy } from '../runtime/policy.js';
import { evalSummaryOf, evaluateRecords } from './evaluate.js';
import { runPaths, writeEvalSummary, writePredictions, type EvalSummary, type Split } from './layout.js';
import { checkInputLimits } from './input-limits.js';
import { loadSplit, loadTaskContext, splitPath } from './task-data.js';
import { readTrainerState } from './trainer-checkpoint.js';
import { evalSettingsOf } from './train.js';

export interface EvalOptions {
  /** A trainer checkpoint or a plain model directory (the base model). */
  checkpoint: string;
  /** Default: config.eval.split. */
  split?: Split;
  /** Samples per question; default config.eval.samples. */
  samples?: number;
  /** Directory that receives eval/<split>.json and the predictions; default config.output.dir. */
  out?: string;
  /** Evaluate only the first n questions (default: the config's eval.questions; 0: all). */
  limit?: number;
}

export interface EvalRunResult {
  summary: EvalSummary;
  summaryPath: string;
  predictionsPath: string;
}

export async function runEvaluation(config: Config, o: EvalOptions): Promise<EvalRunResult> {
  const split = o.split ?? config.eval.split;
  const task = await loadTaskContext(config);
  const all = await loadSplit(task, split);
  const limit = o.limit ?? config.eval.questions;
  const records = limit > 0 ? all.slice(0, limit) : all;
  const model = await loadModel(o.checkpoint);
  await checkInputLimits(
    { kind: 'questions', file: splitPath(task, split), records },
    { tokenizer: model.tokenizer, task, maxPositions: model.config.maxPositionEmbeddings, maxNewTokens: config.rollout.max_new_tokens },
  );
  const state = await readTrainerState(o.checkpoint);
  const policy = new Policy(model.config, model.weights, { device: config.device, threads: config.threads || undefined });
  const result = await evaluateRecords(policy, model.tokenizer, task, records, evalSettingsOf(config, o.samples ?? config.eval.samples));
  const summary = evalSummaryOf(split, state ? state.step : null, result);
  const paths = runPaths(resolve(o.out ?? config.output.dir));
  await writeEvalSummary(paths, summary);
  await writePredictions(paths.predictions(split), result.records);
  return { summary, summaryPath: paths.evalSummary(split), predictionsPath: paths.predictions(split) };
}
