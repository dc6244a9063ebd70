/**
 * What a run reads before it starts and what its steps run on: the task, its splits and the starting
 * model, loaded and checked against the model's limits before the run directory is created
 * (loadRunInputs); the training items (trainItems); and the step context over a set of weights
 * (createStepContext). train.ts runs them; bench and probe reuse them.
 */
import {
  aggregationOf,
  algorithmOf,
  clipRangeOf,
  klBetaOf,
  lrScheduleOf,
  optimizerEps,
  optimizerOf,
  type Config,
} from '../config/schema.js';
import { loadModel, type LoadedModel } from '../model/checkpoint.js';
import { resolveModelPath, type ResolvedModel } from '../model/download.js';
import { ALGORITHMS } from '../objectives/algorithm.js';
import { createOptimizer, isNormOrBias, lrSchedule } from '../runtime/optimizer.js';
import { Policy } from '../runtime/policy.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { stopTokensFor } from '../runtime/stop-tokens.js';
import type { TaskRecord } from '../tasks/record.js';
import { checkInputLimits, type LimitedInputs } from './input-limits.js';
import { questionItem, sftPairItem, sftRecordItem } from './items.js';
import type { RolloutSettings, StepContext, StepItem } from './step.js';
import type { RandomStreams } from './streams.js';
import { loadSftPairs, loadSplit, loadTaskContext, splitPath, type SftPair } from './task-data.js';
import { resolveCheckpointDir } from './trainer-checkpoint.js';

/** The sampling settings of a config's training rollouts. */
export function rolloutSettingsOf(config: Config): RolloutSettings {
  return {
    temperature: config.rollout.temperature,
    topP: config.rollout.top_p,
    topK: config.rollout.top_k,
    samplesPerPrompt: config.rollout.m,
    maxNewTokens: config.rollout.max_new_tokens,
    thinkingBudget: config.rollout.thinking_budget,
    answerBudget: config.rollout.answer_budget,
  };
}

/** What a run reads before it starts: loaded (and checked) before its run directory is created. */
export interface RunInputs {
  task: Awaited<ReturnType<typeof loadTaskContext>>;
  sftPairs: SftPair[] | null;
  trainRecords: TaskRecord[];
  valRecords: TaskRecord[];
  finalRecords: TaskRecord[];
  start: LoadedModel;
  /** Where model.path led: a local directory, or a snapshot in the Hugging Face cache. */
  model: ResolvedModel;
}

/** Loads the task, its data and the starting model; any error here leaves no run directory behind. */
export async function loadRunInputs(config: Config): Promise<RunInputs> {
  const task = await loadTaskContext(config);
  const a = config.algorithm;
  const onTargets = ALGORITHMS[a.name].sequences === 'target';
  const sftPairs = a.name === 'sft' && a.data !== undefined ? await loadSftPairs(a.data) : null;
  const trainRecords = sftPairs ? [] : await loadSplit(task, 'train');
  const validation = config.train.eval_every > 0 ? await loadSplit(task, 'validation') : [];
  const valRecords = config.train.eval_questions > 0 ? validation.slice(0, config.train.eval_questions) : validation;
  const finalAll = await loadSplit(task, config.eval.split);
  const finalRecords = config.eval.questions > 0 ? finalAll.slice(0, config.eval.questions) : finalAll;
  // A local folder (a checkpoint under either of its names) wins; else a Hub id in the Hugging Face cache.
  const model = await resolveModelPath(await resolveCheckpointDir(config.model.path), 'model.path');
  const start = await loadModel(model.dir);
  // Every input must fit the model and a micro-batch before anything is written or trained.
  const maxPositions = start.config.maxPositionEmbeddings;
  const limits = { tokenizer: start.tokenizer, task, maxPositions, maxNewTokens: config.rollout.max_new_tokens };
  const trainInputs: LimitedInputs = sftPairs
    ? { kind: 'sft-pairs', file: (a as { data: string }).data, pairs: sftPairs }
    : { kind: onTargets ? 'sft-records' : 'questions', file: splitPath(task, 'train'), records: trainRecords };
  await checkInputLimits(trainInputs, { ...limits, microBatchTokens: config.train.micro_batch_tokens });
  await checkInputLimits({ kind: 'questions', file: splitPath(task, 'validation'), records: valRecords }, limits);
  const finalFile = splitPath(task, config.eval.split);
  await checkInputLimits({ kind: 'questions', file: finalFile, records: finalRecords }, limits);
  return { task, sftPairs, trainRecords, valRecords, finalRecords, start, model };
}

/** The training items of a run (SFT pairs, SFT records or questions): how many, and item i. */
export function trainItems(config: Config, inputs: RunInputs): { count: number; item: (i: number) => StepItem } {
  const { task, sftPairs, trainRecords, start } = inputs;
  const tokenizer = start.tokenizer;
  const onTargets = ALGORITHMS[config.algorithm.name].sequences === 'target';
  return {
    count: sftPairs ? sftPairs.length : trainRecords.length,
    item: (i) =>
      sftPairs
        ? sftPairItem(tokenizer, task, sftPairs[i]!)
        : onTargets
          ? sftRecordItem(tokenizer, task, trainRecords[i]!)
          : questionItem(tokenizer, task, trainRecords[i]!),
  };
}

/**
 * What sampling and scoring rollouts take from the config, for the trainer's step context and the
 * probe alike (so the probe samples exactly as step 1 does).
 */
export function rolloutContext(
  config: Config,
  tokenizer: Tokenizer,
  task: RunInputs['task'],
  streams: RandomStreams,
): Pick<
  StepContext,
  | 'tokenizer'
  | 'task'
  | 'scoring'
  | 'stop'
  | 'rollout'
  | 'microBatchTokens'
  | 'sharedPrompt'
  | 'cachedScoring'
  | 'streams'
> {
  return {
    tokenizer,
    task: task.task,
    scoring: task.scoring,
    stop: stopTokensFor(tokenizer),
    rollout: rolloutSettingsOf(config),
    microBatchTokens: config.train.micro_batch_tokens,
    sharedPrompt: config.train.shared_prompt,
    cachedScoring: config.train.cached_scoring,
    streams,
  };
}

/**
 * The step context of a run over `weights`: a policy on them, a fresh optimizer, the clip range of an
 * algorithm that clips, and for one that allows a KL term (GRPO) with kl_beta > 0 a frozen reference
 * on a copy of the starting weights.
 */
export function createStepContext(
  config: Config,
  inputs: RunInputs,
  weights: Map<string, Float32Array>,
  streams: RandomStreams,
): StepContext {
  const { task, start } = inputs;
  const session = { device: config.device, threads: config.threads || undefined };
  const klBeta = klBetaOf(config);
  const copy = () => new Map([...start.weights].map(([k, v]) => [k, Float32Array.from(v)]));
  const reference = klBeta > 0 ? new Policy(start.config, copy(), session) : undefined;
  const optimizer = createOptimizer([...weights], { ...optimizerOf(config), noDecay: isNormOrBias });
  return {
    ...rolloutContext(config, start.tokenizer, task, streams),
    algorithm: algorithmOf(config),
    aggregation: aggregationOf(config),
    clip: clipRangeOf(config),
    kl: reference ? { reference, beta: klBeta } : undefined,
    policy: new Policy(start.config, weights, session),
    optimizer,
    lr: config.train.steps > 0 ? lrSchedule(lrScheduleOf(config)) : () => 0,
    gradClip: config.optimizer.grad_clip,
    eps: optimizerEps(config),
    updatesPerBatch: config.train.updates_per_batch,
  };
}
