/**
 * The training loop of `tsallis-run train`: steps, validation m@k every `train.eval_every` steps (and
 * after the last), the best checkpoint by validation m@k (the study's selection rule), checkpoints
 * for exact resume, and the final evaluation of the selected checkpoint. See src/run-dir/paths.ts for
 * the run directory.
 *
 * Steps count from 1 (src/run-dir/step-numbering.ts): step N is the state after N optimizer steps. The
 * console's "step N/T" is the step being run; metrics.csv row N describes it; validation.csv row N and
 * checkpoints/checkpoint-N were taken after it. The schedules (lr, q) see the steps done before it, N - 1.
 *
 * Checkpoints: checkpoints/checkpoint-<N> is written after every validation, every `checkpoint_every`
 * steps, after the last step and when the run is interrupted; only the newest one and those at
 * multiples of `checkpoint_every` are kept. checkpoints/best holds the best validation so far.
 * Each holds everything `--resume` needs to continue bit for bit (trainer-checkpoint.ts). A run folder
 * of an earlier version (steps from 0, checkpoints/step-K) is renumbered once by --resume (renumber-run.ts).
 *
 * Interruption (`signal`, SIGINT in the CLI): the current step finishes (with its validation, if
 * one is due), a checkpoint is written, and the result says `interrupted`.
 */
import { readFile } from 'node:fs/promises';
import { configDifferences, RESUME_FREE_FIELDS } from '../config/compare.js';
import { parseConfig, resolvedConfigYaml } from '../config/load.js';
import { aggregationOf, algorithmOf, clipRangeOf, klBetaOf, lrScheduleOf, optimizerEps, optimizerOf, qScheduleOf, type Config } from '../config/schema.js';
import { UserError } from '../errors.js';
import { loadModel, type LoadedModel } from '../model/checkpoint.js';
import { resolveModelPath, type ResolvedModel } from '../model/download.js';
import type { WriteDtype } from '../model/safetensors.js';
import { ALGORITHMS } from '../objectives/algorithm.js';
import { createOptimizer, isNormOrBias, lrSchedule } from '../runtime/optimizer.js';
import { Policy } from '../runtime/policy.js';
import { stopTokensFor } from '../runtime/stop-tokens.js';
import type { TaskRecord } from '../tasks/record.js';
import { pathExists, writeFileAtomic } from '../util/atomic-write.js';
import { DataOrder } from './data-order.js';
import { evalSettingsOf, evaluateRecords } from './eval/evaluate.js';
import { evalSummaryOf } from './eval/summary.js';
import { questionItem, sftPairItem, sftRecordItem } from './items.js';
import { openMetricsCsv, openValidationCsv, truncateCsvAfterStep } from '../run-dir/csv.js';
import { readRunSummary, writeEvalSummary, writePredictions, writeRunSummary, type EvalSummary, type RunSummary } from '../run-dir/json.js';
import { claimRunDir, type RunPaths } from '../run-dir/paths.js';
import { createRunLogger } from './logging.js';
import { renumberLegacyRun } from './renumber-run.js';
import { STEP_BASE, TRAINER_STATE_VERSION } from '../run-dir/step-numbering.js';
import { acquireRunLock } from './run-lock.js';
import { appendRolloutLog, rolloutLogRows, truncateRolloutLogAfterStep } from './rollout-log.js';
import { evalProgress, ProgressBar } from './progress.js';
import { collectProvenance, provenanceLine } from './provenance.js';
import { EventsWriter } from './tensorboard.js';
import { trainingStep, type RolloutSettings, type StepContext, type StepItem, type StepResult } from './step.js';
import { RandomStreams } from './streams.js';
import { checkInputLimits, type LimitedInputs } from './input-limits.js';
import { loadSftPairs, loadSplit, loadTaskContext, splitPath, type SftPair } from './task-data.js';
import { latestCheckpoint, pruneCheckpoints, readTrainerCheckpoint, resolveCheckpointDir, tidyCheckpoints, writeTrainerCheckpoint, type TrainerState } from './trainer-checkpoint.js';

export interface TrainOptions {
  /** Continue the run in config.output.dir from its newest checkpoint (or start it, if it has none). */
  resume?: boolean;
  /** Aborting finishes the current step, writes a checkpoint and returns `interrupted`. */
  signal?: AbortSignal;
  /** Stop like an interruption after this many steps of this session (for tests and smoke runs). */
  stopAfterSteps?: number;
  /** Called after each step's metrics are written (and before its validation and checkpoint), with the step's number (from 1). */
  onStep?: (step: number, result: StepResult) => void;
  /** Readable log lines on stderr (default true). */
  console?: boolean;
  /** The progress bar (default: when stderr is a terminal). */
  progress?: boolean;
}

export interface TrainResult {
  paths: RunPaths;
  /** Optimizer steps completed so far (all sessions). */
  completedSteps: number;
  interrupted: boolean;
  /** summary.json, once the run has finished. */
  summary: RunSummary | null;
}

const SAVE_DTYPE: Record<Config['model']['save_dtype'], WriteDtype> = { f32: 'F32', f16: 'F16', bf16: 'BF16' };


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
  const limits = { tokenizer: start.tokenizer, task, maxPositions: start.config.maxPositionEmbeddings, maxNewTokens: config.rollout.max_new_tokens };
  const trainInputs: LimitedInputs = sftPairs
    ? { kind: 'sft-pairs', file: (a as { data: string }).data, pairs: sftPairs }
    : { kind: onTargets ? 'sft-records' : 'questions', file: splitPath(task, 'train'), records: trainRecords };
  await checkInputLimits(trainInputs, { ...limits, microBatchTokens: config.train.micro_batch_tokens });
  await checkInputLimits({ kind: 'questions', file: splitPath(task, 'validation'), records: valRecords }, limits);
  await checkInputLimits({ kind: 'questions', file: splitPath(task, config.eval.split), records: finalRecords }, limits);
  return { task, sftPairs, trainRecords, valRecords, finalRecords, start, model };
}

/** The training items of a run (SFT pairs, SFT records or questions): how many, and item i. */
export function trainItems(config: Config, inputs: RunInputs): { count: number; item: (i: number) => StepItem } {
  const { task, sftPairs, trainRecords, start } = inputs;
  const tokenizer = start.tokenizer;
  const onTargets = ALGORITHMS[config.algorithm.name].sequences === 'target';
  return {
    count: sftPairs ? sftPairs.length : trainRecords.length,
    item: (i) => (sftPairs ? sftPairItem(tokenizer, task, sftPairs[i]!) : onTargets ? sftRecordItem(tokenizer, task, trainRecords[i]!) : questionItem(tokenizer, task, trainRecords[i]!)),
  };
}

/**
 * The step context of a run over `weights`: a policy on them, a fresh optimizer, the clip range of an
 * algorithm that clips, and for one that allows a KL term (GRPO) with kl_beta > 0 a frozen reference
 * on a copy of the starting weights.
 */
export function createStepContext(config: Config, inputs: RunInputs, weights: Map<string, Float32Array>, streams: RandomStreams): StepContext {
  const { task, start } = inputs;
  const session = { device: config.device, threads: config.threads || undefined };
  const klBeta = klBetaOf(config);
  const reference = klBeta > 0 ? new Policy(start.config, new Map([...start.weights].map(([k, v]) => [k, Float32Array.from(v)])), session) : undefined;
  const optimizer = createOptimizer([...weights], { ...optimizerOf(config), noDecay: isNormOrBias });
  const tokenizer = start.tokenizer;
  return {
    algorithm: algorithmOf(config),
    aggregation: aggregationOf(config),
    clip: clipRangeOf(config),
    kl: reference ? { reference, beta: klBeta } : undefined,
    policy: new Policy(start.config, weights, session),
    optimizer,
    lr: config.train.steps > 0 ? lrSchedule(lrScheduleOf(config)) : () => 0,
    gradClip: config.optimizer.grad_clip,
    tokenizer,
    task: task.task,
    scoring: task.scoring,
    stop: stopTokensFor(tokenizer),
    rollout: rolloutSettingsOf(config),
    microBatchTokens: config.train.micro_batch_tokens,
    streams,
    eps: optimizerEps(config),
    updatesPerBatch: config.train.updates_per_batch,
  };
}

/** Refuses a resume whose config differs, as values, from the one the run started with (RESUME_FREE_FIELDS aside). */
async function checkResumeConfig(path: string, config: Config): Promise<void> {
  const before = parseConfig(await readFile(path, 'utf8'), path);
  const diffs = configDifferences(before, config);
  if (diffs.length === 0) return;
  const show = (v: unknown) => (v === undefined ? '(absent)' : JSON.stringify(v));
  const list = diffs.slice(0, 5).map((d) => `${d.field}: ${show(d.before)} in the run, ${show(d.now)} now`).join('; ');
  throw new UserError(
    `${path}: --resume needs the config the run started with; ${diffs.length} field${diffs.length === 1 ? '' : 's'} differ: ${list}${diffs.length > 5 ? '; ...' : ''}` +
      ` (free to differ: ${RESUME_FREE_FIELDS.join(', ')})`,
  );
}

export async function runTraining(config: Config, options: TrainOptions = {}): Promise<TrainResult> {
  const t0 = performance.now();
  const inputs = await loadRunInputs(config);
  const startsFresh = options.resume === true && !(await pathExists(config.output.dir));
  const paths = await claimRunDir(config.output.dir, { resume: options.resume });
  const lock = await acquireRunLock(paths.dir);
  try {
    if (options.resume && (await pathExists(paths.config))) {
      await checkResumeConfig(paths.config, config);
      const done = await readRunSummary(paths.summary);
      if (done) return { paths, completedSteps: done.steps, interrupted: false, summary: done };
    } else {
      await writeFileAtomic(paths.config, resolvedConfigYaml(config));
    }

    const run = createRunLogger({ file: paths.log, console: options.console ?? true });
    const log = run.logger;
    if (startsFresh) log.info({ run: paths.dir }, `--resume: ${paths.dir} did not exist; starting the run fresh`);
    if (lock.tookOverFrom) log.warn({ lock: lock.tookOverFrom }, `took over the run lock of process ${lock.tookOverFrom.pid}, which is gone`);
    // Leftovers of a killed writer: half-written folders go, a checkpoint moved aside and not replaced comes back.
    await tidyCheckpoints(paths, (message) => log.warn(message));
    // A folder of an earlier version (steps from 0) is renumbered before anything reads its steps.
    if (options.resume) {
      const renumbered = await renumberLegacyRun(paths);
      if (renumbered) log.info({ renumbered }, renumbered.message);
    }
    const progress = new ProgressBar(config.train.steps, 0, options.progress ?? process.stderr.isTTY === true, config.eval.samples);
    if (progress.enabled) run.setConsoleWriter((line) => progress.log(line));
    try {
      return await trainLoop(config, options, inputs, paths, run.logger, t0, progress, () => {
        progress.stop();
        run.setConsoleWriter(undefined);
      });
    } catch (err) {
      log.error({ err }, 'training failed');
      throw err;
    } finally {
      progress.stop();
      run.close();
    }
  } finally {
    await lock.release();
  }
}

async function trainLoop(
  config: Config,
  options: TrainOptions,
  inputs: RunInputs,
  paths: RunPaths,
  log: ReturnType<typeof createRunLogger>['logger'],
  t0: number,
  progress: ProgressBar,
  endProgress: () => void,
): Promise<TrainResult> {
  const { task, valRecords, finalRecords, start } = inputs;
  const a = config.algorithm;
  const finalSplit = config.eval.split;
  const tokenizer = start.tokenizer;
  const { count: itemCount, item: makeItem } = trainItems(config, inputs);

  const ck = options.resume ? await latestCheckpoint(paths) : null;
  const loaded = ck ? await readTrainerCheckpoint(ck.dir) : null;
  const weights = loaded ? loaded.weights : start.weights;
  const streams = loaded ? RandomStreams.fromState(loaded.state.rng) : RandomStreams.fromSeed(config.seed);
  const order = loaded ? DataOrder.restore(loaded.state.data_order, itemCount, streams.data) : DataOrder.start(itemCount, streams.data);
  const ctx = createStepContext(config, inputs, weights, streams);
  const { policy, optimizer } = ctx;
  const reference = ctx.kl?.reference;
  if (loaded) {
    optimizer.loadStateTensors(loaded.optimizerTensors);
    optimizer.loadScalarState(loaded.state.optimizer);
  }
  let best = loaded?.state.best ?? null;
  const elapsedBefore = loaded?.state.elapsed_s ?? 0;
  // Steps done before this session: the checkpoint's step (checkpoint-N holds N).
  const done = loaded ? loaded.state.step : 0;
  if (options.resume) {
    await truncateCsvAfterStep(paths.metrics, done);
    await truncateCsvAfterStep(paths.validation, done);
    await truncateRolloutLogAfterStep(paths.rollouts, done);
  }

  const evalSettings = evalSettingsOf(config);
  const S = config.train.steps;
  const every = config.train.checkpoint_every;
  const kept = (s: number) => every > 0 && s % every === 0;

  const checkpointModel = () => ({ config: start.config, weights: weights as Map<string, Float32Array>, tokenizerDir: start.dir, hfConfig: start.hfConfig, dtype: SAVE_DTYPE[config.model.save_dtype] });
  const state = (step: number): TrainerState => ({
    version: TRAINER_STATE_VERSION,
    step,
    optimizer: optimizer.scalarState(),
    rng: streams.state(),
    data_order: order.state(),
    best,
    elapsed_s: elapsedBefore + (performance.now() - t0) / 1000,
  });

  const provenance = await collectProvenance(config, new Date(performance.timeOrigin + t0));
  log.info({ provenance }, provenanceLine(provenance));
  const hub = inputs.model.hub;
  if (hub) log.info({ model: { path: config.model.path, dir: start.dir, commit: hub.commit } }, `model.path ${config.model.path}: commit ${hub.commit} from the Hugging Face cache (${start.dir})`);
  log.info(
    { run: paths.dir, algorithm: a.name, task: config.task.name, start: config.task.start, steps: S, resumed_from: ck?.step ?? null, items: itemCount },
    ck ? `resuming ${config.name} after step ${ck.step}` : `training ${config.name}: ${a.name} on ${config.task.name} (${config.task.start}), ${S} steps`,
  );
  const metricsCsv = await openMetricsCsv(paths);
  const validationCsv = await openValidationCsv(paths);
  const events = await EventsWriter.open(paths.dir, done + 1);
  progress.update(done, { val: best?.m16 ?? null });

  let lastStep = done;
  let ranThisSession = 0;
  let skippedInARow = 0;
  let lastCheckpointStep: number | null = loaded ? loaded.state.step : null;
  const stopRequested = () => options.signal?.aborted === true || (options.stopAfterSteps !== undefined && ranThisSession >= options.stopAfterSteps);
  // `step` is the step being run (from 1); when it ends, `step` steps are done.
  for (let step = done + 1; step <= S && !stopRequested(); step++) {
    const items = order.next(config.train.questions_per_step).map(makeItem);
    const r = await trainingStep(ctx, step, items);
    await metricsCsv.append(r.metrics);
    await appendRolloutLog(paths.rollouts, rolloutLogRows(step, items, r, config.train.log_rollouts));
    await events.metrics(r.metrics);
    // Not a metrics.csv column: a new column would make the runs written before unresumable (CsvAppender checks the header).
    const clipFraction = r.clipFractions.length ? r.clipFractions.reduce((x, y) => x + y, 0) / r.clipFractions.length : null;
    await events.scalars(step, [['train/clip_fraction', clipFraction]]);
    lastStep = step;
    ranThisSession++;
    options.onStep?.(step, r);
    const m = r.metrics;
    const line = `step ${step}/${S}` + (m.mean_reward !== null ? ` reward ${m.mean_reward.toFixed(3)}` : '') + (m.mean_W !== null ? ` W ${m.mean_W.toExponential(2)}` : '') + ` loss ${m.loss?.toPrecision(4)} |g| ${m.grad_norm?.toPrecision(3)}` + (clipFraction !== null ? ` clip ${clipFraction.toFixed(3)}` : '');
    // clip_fractions: per update of the batch (the first is on-policy, near 0); clip_fraction is their mean.
    const logged = { metrics: m, ...(clipFraction !== null ? { clip_fraction: clipFraction, clip_fractions: r.clipFractions } : {}) };
    if (step % config.train.log_every === 0 || step === S) log.info(logged, line);
    else log.debug(logged, line);
    if (r.nonFiniteWeights !== null) {
      throw new UserError(
        `step ${step}: the update left non-finite weights (first: ${r.nonFiniteWeights}; loss ${m.loss}, gradient norm ${m.grad_norm}, lr ${m.lr}); ` +
          `stopped without writing them. Resume continues from the last checkpoint${lastCheckpointStep === null ? ' (none yet)' : ` (after step ${lastCheckpointStep})`}; ` +
          `try a lower optimizer.lr, optimizer.grad_clip > 0 or less weight decay`,
      );
    }
    skippedInARow = r.updated ? 0 : skippedInARow + 1;
    if (!r.updated) {
      log.warn({ step, skipped: r.skipped, loss: m.loss, grad_norm: m.grad_norm }, `step ${step}: the ${r.skipped} is not finite; the optimizer step was skipped`);
      if (skippedInARow >= config.train.max_nonfinite_steps) {
        throw new UserError(
          `steps ${step - skippedInARow + 1}-${step}: the loss or gradient norm was not finite ${skippedInARow} steps in a row (train.max_nonfinite_steps ${config.train.max_nonfinite_steps}); ` +
            `stopped. Try a lower optimizer.lr or optimizer.grad_clip > 0; resume continues from the last checkpoint`,
        );
      }
    } else if (r.skipped) {
      log.warn({ step, skipped: r.skipped, updates: r.updates }, `step ${step}: the ${r.skipped} of update ${r.updates + 1} of the batch is not finite; that update and the rest were skipped`);
    }
    progress.update(step, { reward: m.mean_reward, W: m.mean_W, tps: m.tokens_per_s });

    const last = step === S;
    const validate = config.train.eval_every > 0 && (step % config.train.eval_every === 0 || last);
    if (validate) {
      const v = await evaluateRecords(policy, tokenizer, task, valRecords, evalSettings);
      const vRow = { step, p1: v.metrics.p1, p16: v.metrics.pk, m16: v.metrics.mk };
      await validationCsv.append(vRow);
      await events.validation(vRow);
      const improved = best === null || v.metrics.mk > best.m16;
      log.info({ validation: { step, ...v.metrics, wall_s: v.wall_s } }, `validation after step ${step}: p@1 ${v.metrics.p1.toFixed(1)} p@${v.metrics.k} ${v.metrics.pk.toFixed(1)} m@${v.metrics.k} ${v.metrics.mk.toFixed(1)}${improved ? ' (best)' : ''}`);
      progress.update(step, { val: v.metrics.mk });
      if (improved) {
        best = { step, m16: v.metrics.mk };
        await writeTrainerCheckpoint(paths.best, checkpointModel(), state(step), optimizer);
      }
    }
    if (validate || kept(step) || last || stopRequested()) {
      await writeTrainerCheckpoint(paths.checkpoint(step), checkpointModel(), state(step), optimizer);
      await pruneCheckpoints(paths, (s) => s === step || kept(s));
      lastCheckpointStep = step;
      log.debug({ step }, `checkpoint after step ${step}`);
    }
  }

  endProgress();
  const completedSteps = lastStep;
  if (completedSteps < S) {
    log.info({ step: lastStep }, `interrupted ${lastStep === 0 ? 'before the first step' : `after step ${lastStep}`}; continue with --resume`);
    return { paths, completedSteps, interrupted: true, summary: null };
  }

  // The final evaluation of the selected checkpoint (the best by validation m@k, else the last).
  await policy.release();
  await reference?.release();
  // With 0 steps the starting model itself is tested: the "Base model" row.
  const base = S === 0;
  const selected = base ? null : best ? paths.best : paths.checkpoint(S);
  const selectedStep = base ? null : best ? best.step : S;
  const model = selected ? await loadModel(selected) : start;
  const testPolicy = new Policy(model.config, model.weights, { device: config.device, threads: config.threads || undefined });
  // A signal during the final test stops it: no summary, and --resume (all steps done) runs the test again.
  const stopped = () => {
    log.info({ step: lastStep }, `interrupted during the final ${finalSplit} evaluation; continue with --resume to run it`);
    return { paths, completedSteps, interrupted: true, summary: null };
  };
  const evaluateOrStop = async (p: Policy, tok: typeof tokenizer, label: string) => {
    // A bar on a terminal, else a log line each tenth of the questions.
    const shown = evalProgress(label, options.progress ?? process.stderr.isTTY === true, (line) => log.info(line));
    try {
      return await evaluateRecords(p, tok, task, finalRecords, evalSettings, options.signal, shown.update);
    } catch (err) {
      if (options.signal?.aborted) return null;
      throw err;
    } finally {
      shown.stop();
      await p.release();
    }
  };
  const result = await evaluateOrStop(testPolicy, model.tokenizer, `final ${finalSplit}`);
  if (!result) return stopped();
  const evalSummary = evalSummaryOf(finalSplit, selectedStep, result);
  await writeEvalSummary(paths, evalSummary);
  await writePredictions(paths.predictions(finalSplit), result.records);
  log.info({ eval: evalSummary }, `${finalSplit} (${selectedStep === null ? 'the starting model' : `checkpoint after step ${selectedStep}`}): p@1 ${evalSummary.p1.toFixed(1)} p@${evalSummary.k} ${evalSummary.p16.toFixed(1)} m@${evalSummary.k} ${evalSummary.m16.toFixed(1)}`);
  let baseTest: EvalSummary | undefined;
  if (config.eval.compare_base && !base) {
    // The same split, sampling and seed as the trained model's test: the two rows differ only in the weights
    // (read again: training updated start.weights in place).
    const initial = await loadModel(start.dir);
    const startPolicy = new Policy(initial.config, initial.weights, { device: config.device, threads: config.threads || undefined });
    const b = await evaluateOrStop(startPolicy, initial.tokenizer, `final ${finalSplit}, starting model`);
    if (!b) return stopped();
    baseTest = evalSummaryOf(finalSplit, null, b);
    log.info({ base_eval: baseTest }, `${finalSplit} (the starting model): p@1 ${baseTest.p1.toFixed(1)} p@${baseTest.k} ${baseTest.p16.toFixed(1)} m@${baseTest.k} ${baseTest.m16.toFixed(1)}`);
  }

  const q = base ? undefined : qScheduleOf(config);
  const finishedAt = new Date().toISOString();
  const summary: RunSummary = {
    step_base: STEP_BASE,
    name: config.name,
    task: config.task.name,
    start: config.task.start,
    method: base ? 'base' : a.name,
    q: typeof q === 'number' ? q : null,
    ...(q !== undefined && typeof q !== 'number' ? { q_schedule: q } : {}),
    seed: config.seed,
    steps: S,
    best_step: best?.step ?? null,
    best_validation_m16: best?.m16 ?? null,
    test: evalSummary,
    ...(baseTest ? { base_test: baseTest } : {}),
    wall_s: elapsedBefore + (performance.now() - t0) / 1000,
    finished_at: finishedAt,
    provenance: { ...provenance, finished_at: finishedAt },
  };
  await writeRunSummary(paths, summary);
  log.info({ summary: paths.summary }, `done: ${paths.dir}`);
  return { paths, completedSteps, interrupted: false, summary };
}
