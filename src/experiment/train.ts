/**
 * The training loop of `tsallis-run train`: steps, validation m@k every `train.eval_every` steps (and
 * after the last), the best checkpoint by validation m@k (the study's selection rule), checkpoints
 * for exact resume, and the final evaluation of the selected checkpoint. See src/run-dir/paths.ts for
 * the run directory.
 *
 * A session (runTraining) claims and locks the run directory, then runs its phases: openRun (the
 * checkpoint to resume from, the sessions, the step files), runSteps, and once every step is done
 * finalEvaluation and writeSummary.
 *
 * Steps count from 1 (src/run-dir/step-numbering.ts): step N is the state after N optimizer steps. The
 * console's "step N/T" is the step being run; metrics.csv row N describes it; validation.csv row N and
 * checkpoints/checkpoint-N were taken after it. The schedules (lr, q) see the steps done before it, N - 1.
 *
 * Checkpoints: checkpoints/checkpoint-<N> is written after every validation, every `checkpoint_every`
 * steps, after the last step and when the run is interrupted; only the newest one and those at
 * multiples of `checkpoint_every` are kept. checkpoints/best holds the best validation so far.
 * Each holds everything `--resume` needs to continue bit for bit (trainer-checkpoint.ts). A run folder
 * of an earlier version (steps from 0, checkpoints/step-K) is renumbered once by --resume
 * (renumber-run.ts).
 *
 * Interruption (`signal`, SIGINT in the CLI): the current step finishes (with its validation, if
 * one is due), a checkpoint is written, and the result says `interrupted`.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import { configDifferences, keepRunFields, RESUME_FREE_FIELDS, type ConfigDifference } from '../config/compare.js';
import { parseConfig, resolvedConfigYaml } from '../config/load.js';
import { qScheduleOf, type Config } from '../config/schema.js';
import { UserError } from '../errors.js';
import { loadModel, type LoadedModel } from '../model/checkpoint.js';
import type { WriteDtype } from '../model/safetensors.js';
import { openMetricsCsv, openValidationCsv, truncateCsvAfterStep } from '../run-dir/csv.js';
import { readRunSummary, writeEvalSummary, writePredictions, writeRunSummary } from '../run-dir/json.js';
import type { EvalSummary, Provenance, RunSummary } from '../run-dir/json.js';
import { claimRunDir, runPaths, type RunPaths } from '../run-dir/paths.js';
import { STEP_BASE, TRAINER_STATE_VERSION } from '../run-dir/step-numbering.js';
import { Policy } from '../runtime/policy.js';
import { pathExists, writeFileAtomic } from '../util/atomic-write.js';
import { DataOrder } from './data-order.js';
import { evalSettingsOf, evaluateRecords } from './eval/evaluate.js';
import { evalSummaryOf } from './eval/summary.js';
import { createRunLogger } from './logging.js';
import { evalProgress, ProgressBar } from './progress.js';
import { collectProvenance, provenanceLine, staleBuild } from './provenance.js';
import { renumberLegacyRun } from './renumber-run.js';
import { appendRolloutLog, rolloutLogRows, truncateRolloutLogAfterStep } from './rollout-log.js';
import { acquireRunLock } from './run-lock.js';
import { createStepContext, loadRunInputs, trainItems, type RunInputs } from './run-inputs.js';
import { trainingStep, type StepContext, type StepItem, type StepResult } from './step.js';
import { RandomStreams } from './streams.js';
import { EventsWriter } from './tensorboard.js';
import {
  latestCheckpoint,
  pruneCheckpoints,
  readTrainerCheckpoint,
  tidyCheckpoints,
  writeTrainerCheckpoint,
  type TrainerState,
} from './trainer-checkpoint.js';

export interface TrainOptions {
  /** Continue the run in config.output.dir from its newest checkpoint (or start it, if it has none). */
  resume?: boolean;
  /** Aborting finishes the current step, writes a checkpoint and returns `interrupted`. */
  signal?: AbortSignal;
  /** Stop like an interruption after this many steps of this session (for tests and smoke runs). */
  stopAfterSteps?: number;
  /** Called after each step's metrics are written (before its validation and checkpoint), with its number (from 1). */
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

/** Refuses a resume whose config differs, as values, from the one the run started with (RESUME_FREE_FIELDS aside). */
async function checkResumeConfig(path: string, config: Config): Promise<void> {
  const before = parseConfig(await readFile(path, 'utf8'), path);
  const diffs = configDifferences(before, config);
  if (diffs.length === 0) return;
  const show = (v: unknown) => (v === undefined ? '(absent)' : JSON.stringify(v));
  const list = diffs
    .slice(0, 5)
    .map((d) => `${d.field}: ${show(d.before)} in the run, ${show(d.now)} now`)
    .join('; ');
  throw new UserError(
    `${path}: --resume needs the config the run started with; ` +
      `${diffs.length} field${diffs.length === 1 ? '' : 's'} differ: ${list}${diffs.length > 5 ? '; ...' : ''}` +
      ` (free to differ: ${RESUME_FREE_FIELDS.join(', ')})`,
  );
}

/** On resume, the config with the run's own values of RUN_KEPT_FIELDS (see config/compare.ts). */
async function keptFromRun(config: Config, resume: boolean): Promise<{ config: Config; kept: ConfigDifference[] }> {
  const path = runPaths(config.output.dir).config;
  if (!resume || !(await pathExists(path))) return { config, kept: [] };
  return keepRunFields(config, parseYaml(await readFile(path, 'utf8')));
}

export async function runTraining(requested: Config, options: TrainOptions = {}): Promise<TrainResult> {
  const t0 = performance.now();
  const { config, kept } = await keptFromRun(requested, options.resume === true);
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
    for (const k of kept) {
      log.info(
        { kept: k },
        `--resume: ${k.field} stays ${JSON.stringify(k.before)} as the run started (not ${JSON.stringify(k.now)})`,
      );
    }
    if (lock.tookOverFrom) {
      const pid = lock.tookOverFrom.pid;
      log.warn({ lock: lock.tookOverFrom }, `took over the run lock of process ${pid}, which is gone`);
    }
    // Leftovers of a killed writer: half-written folders go, a checkpoint moved aside and not replaced comes back.
    await tidyCheckpoints(paths, (message) => log.warn(message));
    // A folder of an earlier version (steps from 0) is renumbered before anything reads its steps.
    if (options.resume) {
      const renumbered = await renumberLegacyRun(paths);
      if (renumbered) log.info({ renumbered }, renumbered.message);
    }
    const showBar = options.progress ?? process.stderr.isTTY === true;
    const progress = new ProgressBar(config.train.steps, 0, showBar, config.eval.samples);
    if (progress.enabled) run.setConsoleWriter((line) => progress.log(line));
    const endProgress = () => {
      progress.stop();
      run.setConsoleWriter(undefined);
    };
    try {
      return await trainLoop({ config, options, inputs, paths, log, t0, progress, endProgress });
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

/** One session of a run, as runTraining sets it up: the run directory claimed and locked, its log, the bar. */
interface RunSession {
  config: Config;
  options: TrainOptions;
  inputs: RunInputs;
  paths: RunPaths;
  log: Logger;
  /** performance.now() at the session's start. */
  t0: number;
  progress: ProgressBar;
  /** Stops the bar and gives the console back to the log (before the final evaluation). */
  endProgress: () => void;
}

/** The phases of a session: open the run, run its steps, then (all steps done) the final evaluation and summary. */
async function trainLoop(s: RunSession): Promise<TrainResult> {
  const run = await openRun(s);
  const lastStep = await runSteps(s, run);
  s.endProgress();
  const completedSteps = lastStep;
  if (completedSteps < s.config.train.steps) {
    const when = lastStep === 0 ? 'before the first step' : `after step ${lastStep}`;
    s.log.info({ step: lastStep }, `interrupted ${when}; continue with --resume`);
    return { paths: s.paths, completedSteps, interrupted: true, summary: null };
  }
  const tested = await finalEvaluation(s, run);
  if (!tested) {
    // A signal during the final test stops it: no summary, and --resume (all steps done) runs the test again.
    const during = `the final ${s.config.eval.split} evaluation`;
    s.log.info({ step: lastStep }, `interrupted during ${during}; continue with --resume to run it`);
    return { paths: s.paths, completedSteps, interrupted: true, summary: null };
  }
  const summary = await writeSummary(s, run, tested);
  return { paths: s.paths, completedSteps, interrupted: false, summary };
}

/** The run as this session continues it: from its newest checkpoint (with --resume), else from the start. */
interface OpenRun {
  ctx: StepContext;
  weights: Map<string, Float32Array>;
  order: DataOrder;
  item: (i: number) => StepItem;
  /** Steps done before this session: the checkpoint's step (checkpoint-N holds N). */
  done: number;
  /** The best validation so far; runSteps updates it. */
  best: TrainerState['best'];
  /** Seconds of training in the sessions before this one. */
  elapsedBefore: number;
  lastCheckpointStep: number | null;
  provenance: Provenance;
  metricsCsv: Awaited<ReturnType<typeof openMetricsCsv>>;
  validationCsv: Awaited<ReturnType<typeof openValidationCsv>>;
  events: EventsWriter;
}

/**
 * Opens the run for this session: restores weights, optimizer, random streams, data order and the best
 * validation from the newest checkpoint (with --resume; rows after it are dropped from the step files),
 * builds the step context (policy, optimizer, reference) and opens the step files.
 */
async function openRun(s: RunSession): Promise<OpenRun> {
  const { config, options, inputs, paths, log } = s;
  const { count: itemCount, item } = trainItems(config, inputs);
  const ck = options.resume ? await latestCheckpoint(paths) : null;
  const loaded = ck ? await readTrainerCheckpoint(ck.dir) : null;
  const weights = loaded ? loaded.weights : inputs.start.weights;
  const streams = loaded ? RandomStreams.fromState(loaded.state.rng) : RandomStreams.fromSeed(config.seed);
  const order = loaded
    ? DataOrder.restore(loaded.state.data_order, itemCount, streams.data)
    : DataOrder.start(itemCount, streams.data);
  const ctx = createStepContext(config, inputs, weights, streams);
  if (loaded) {
    ctx.optimizer.loadStateTensors(loaded.optimizerTensors);
    ctx.optimizer.loadScalarState(loaded.state.optimizer);
  }
  const done = loaded ? loaded.state.step : 0;
  if (options.resume) {
    await truncateCsvAfterStep(paths.metrics, done);
    await truncateCsvAfterStep(paths.validation, done);
    await truncateRolloutLogAfterStep(paths.rollouts, done);
  }
  const best = loaded?.state.best ?? null;
  const provenance = await collectProvenance(config, new Date(performance.timeOrigin + s.t0));
  log.info({ provenance }, provenanceLine(provenance));
  if (staleBuild(provenance))
    log.warn(
      `the code running (dist/) was built from commit ${provenance.build!.commit!.slice(0, 12)}, not the checkout's ${provenance.git!.commit.slice(0, 12)}: \`npm run build\` rebuilds it`,
    );
  logStart(s, itemCount, ck);
  const metricsCsv = await openMetricsCsv(paths);
  const validationCsv = await openValidationCsv(paths);
  const events = await EventsWriter.open(paths.dir, done + 1);
  s.progress.update(done, { val: best?.m16 ?? null });
  const elapsedBefore = loaded?.state.elapsed_s ?? 0;
  const lastCheckpointStep = loaded ? loaded.state.step : null;
  const files = { metricsCsv, validationCsv, events };
  return { ctx, weights, order, item, done, best, elapsedBefore, lastCheckpointStep, provenance, ...files };
}

/** The session's first lines: where the model came from, and what is trained or resumed. */
function logStart(s: RunSession, items: number, ck: { step: number } | null): void {
  const { config, inputs, paths, log } = s;
  const a = config.algorithm,
    start = inputs.start;
  const hub = inputs.model.hub;
  if (hub) {
    const where = `model.path ${config.model.path}: commit ${hub.commit} from the Hugging Face cache (${start.dir})`;
    log.info({ model: { path: config.model.path, dir: start.dir, commit: hub.commit } }, where);
  }
  const { name: task, start: from } = config.task;
  const steps = config.train.steps;
  log.info(
    { run: paths.dir, algorithm: a.name, task, start: from, steps, resumed_from: ck?.step ?? null, items },
    ck
      ? `resuming ${config.name} after step ${ck.step}`
      : `training ${config.name}: ${a.name} on ${task} (${from}), ${steps} steps`,
  );
}

/** Writes the state after `step` steps to `dir` (a checkpoint, or checkpoints/best): everything --resume needs. */
async function saveCheckpoint(s: RunSession, run: OpenRun, dir: string, step: number): Promise<void> {
  const {
    config,
    inputs: { start },
  } = s;
  const model = {
    config: start.config,
    weights: run.weights,
    tokenizerDir: start.dir,
    hfConfig: start.hfConfig,
    dtype: SAVE_DTYPE[config.model.save_dtype],
  };
  const state: TrainerState = {
    version: TRAINER_STATE_VERSION,
    step,
    optimizer: run.ctx.optimizer.scalarState(),
    rng: run.ctx.streams.state(),
    data_order: run.order.state(),
    best: run.best,
    elapsed_s: run.elapsedBefore + (performance.now() - s.t0) / 1000,
  };
  await writeTrainerCheckpoint(dir, model, state, run.ctx.optimizer);
}

/**
 * Runs the steps after `run.done` up to train.steps, each with its validation and checkpoint when due,
 * until all are done or a stop is requested; returns the last step done.
 */
async function runSteps(s: RunSession, run: OpenRun): Promise<number> {
  const { config, options, paths, log, progress } = s;
  const { ctx, order, metricsCsv, events } = run;
  const S = config.train.steps;
  const every = config.train.checkpoint_every;
  const kept = (step: number) => every > 0 && step % every === 0;
  let lastStep = run.done;
  let ranThisSession = 0;
  let skippedInARow = 0;
  const stopAfter = options.stopAfterSteps;
  const stopRequested = () =>
    options.signal?.aborted === true || (stopAfter !== undefined && ranThisSession >= stopAfter);
  // `step` is the step being run (from 1); when it ends, `step` steps are done.
  for (let step = run.done + 1; step <= S && !stopRequested(); step++) {
    const items = order.next(config.train.questions_per_step).map(run.item);
    const r = await trainingStep(ctx, step, items);
    await metricsCsv.append(r.metrics);
    await appendRolloutLog(paths.rollouts, rolloutLogRows(step, items, r, config.train.log_rollouts));
    await events.metrics(r.metrics);
    // Not a metrics.csv column: a new column would make the runs written before unresumable
    // (CsvAppender checks the header).
    const clips = r.clipFractions;
    const clipFraction = clips.length ? clips.reduce((x, y) => x + y, 0) / clips.length : null;
    await events.scalars(step, [['train/clip_fraction', clipFraction]]);
    lastStep = step;
    ranThisSession++;
    options.onStep?.(step, r);
    const m = r.metrics;
    logStep(s, step, r, clipFraction);
    if (r.nonFiniteWeights !== null) throw nonFiniteWeightsError(step, r, run.lastCheckpointStep);
    skippedInARow = r.updated ? 0 : skippedInARow + 1;
    if (!r.updated) {
      const line = `step ${step}: the ${r.skipped} is not finite; the optimizer step was skipped`;
      log.warn({ step, skipped: r.skipped, loss: m.loss, grad_norm: m.grad_norm }, line);
      if (skippedInARow >= config.train.max_nonfinite_steps) throw nonFiniteStepsError(config, step, skippedInARow);
    } else if (r.skipped) {
      const line =
        `step ${step}: the ${r.skipped} of update ${r.updates + 1} of the batch is not finite; ` +
        `that update and the rest were skipped`;
      log.warn({ step, skipped: r.skipped, updates: r.updates }, line);
    }
    progress.update(step, { reward: m.mean_reward, W: m.mean_W, tps: m.tokens_per_s });

    const last = step === S;
    const validate = config.train.eval_every > 0 && (step % config.train.eval_every === 0 || last);
    if (validate) await validateStep(s, run, step);
    if (validate || kept(step) || last || stopRequested()) {
      await saveCheckpoint(s, run, paths.checkpoint(step), step);
      await pruneCheckpoints(paths, (k) => k === step || kept(k));
      run.lastCheckpointStep = step;
      log.debug({ step }, `checkpoint after step ${step}`);
    }
  }
  return lastStep;
}

/** The step's log line: info every train.log_every steps and at the last, debug otherwise. */
function logStep(s: RunSession, step: number, r: StepResult, clipFraction: number | null): void {
  const S = s.config.train.steps;
  const m = r.metrics;
  const line =
    `step ${step}/${S}` +
    (m.mean_reward !== null ? ` reward ${m.mean_reward.toFixed(3)}` : '') +
    (m.mean_W !== null ? ` W ${m.mean_W.toExponential(2)}` : '') +
    ` loss ${m.loss?.toPrecision(4)} |g| ${m.grad_norm?.toPrecision(3)}` +
    (clipFraction !== null ? ` clip ${clipFraction.toFixed(3)}` : '');
  // clip_fractions: per update of the batch (the first is on-policy, near 0); clip_fraction is their mean.
  const clip = clipFraction !== null ? { clip_fraction: clipFraction, clip_fractions: r.clipFractions } : {};
  const logged = { metrics: m, ...clip };
  if (step % s.config.train.log_every === 0 || step === S) s.log.info(logged, line);
  else s.log.debug(logged, line);
}

function nonFiniteWeightsError(step: number, r: StepResult, lastCheckpointStep: number | null): UserError {
  const m = r.metrics;
  const from = lastCheckpointStep === null ? ' (none yet)' : ` (after step ${lastCheckpointStep})`;
  return new UserError(
    `step ${step}: the update left non-finite weights (first: ${r.nonFiniteWeights}; loss ${m.loss}, ` +
      `gradient norm ${m.grad_norm}, lr ${m.lr}); stopped without writing them. ` +
      `Resume continues from the last checkpoint${from}; ` +
      `try a lower optimizer.lr, optimizer.grad_clip > 0 or less weight decay`,
  );
}

function nonFiniteStepsError(config: Config, step: number, skippedInARow: number): UserError {
  const max = config.train.max_nonfinite_steps;
  return new UserError(
    `steps ${step - skippedInARow + 1}-${step}: the loss or gradient norm was not finite ${skippedInARow} steps ` +
      `in a row (train.max_nonfinite_steps ${max}); stopped. Try a lower optimizer.lr or optimizer.grad_clip > 0; ` +
      `resume continues from the last checkpoint`,
  );
}

/** Validation after `step`: a validation.csv row, and checkpoints/best when its m@k is the best so far. */
async function validateStep(s: RunSession, run: OpenRun, step: number): Promise<void> {
  const { task, valRecords, start } = s.inputs;
  const v = await evaluateRecords(run.ctx.policy, start.tokenizer, task, valRecords, evalSettingsOf(s.config));
  const vRow = { step, p1: v.metrics.p1, p16: v.metrics.pk, m16: v.metrics.mk };
  await run.validationCsv.append(vRow);
  await run.events.validation(vRow);
  const improved = run.best === null || v.metrics.mk > run.best.m16;
  const { p1, pk, mk, k } = v.metrics;
  const line = `validation after step ${step}: p@1 ${p1.toFixed(1)} p@${k} ${pk.toFixed(1)} m@${k} ${mk.toFixed(1)}`;
  s.log.info({ validation: { step, ...v.metrics, wall_s: v.wall_s } }, `${line}${improved ? ' (best)' : ''}`);
  s.progress.update(step, { val: v.metrics.mk });
  if (improved) {
    run.best = { step, m16: v.metrics.mk };
    await saveCheckpoint(s, run, s.paths.best, step);
  }
}

/** The final evaluation's summaries: the selected checkpoint's, and the starting model's (eval.compare_base). */
interface Tested {
  test: EvalSummary;
  baseTest?: EvalSummary;
}

/**
 * Tests the selected checkpoint (the best by validation m@k, else the last; with 0 steps the starting
 * model, the "Base model" row) on eval.split, loaded from disk, and with eval.compare_base the starting
 * model beside it. Writes eval/<split>.json and its predictions; null when a signal stopped it.
 */
async function finalEvaluation(s: RunSession, run: OpenRun): Promise<Tested | null> {
  const { config, options, inputs, paths, log } = s;
  const { task, finalRecords, start } = inputs;
  const split = config.eval.split;
  const S = config.train.steps;
  await run.ctx.policy.release();
  await run.ctx.kl?.reference.release();
  const base = S === 0;
  const selected = base ? null : run.best ? paths.best : paths.checkpoint(S);
  const selectedStep = base ? null : run.best ? run.best.step : S;
  const runtime = { device: config.device, threads: config.threads || undefined };
  const evaluateOrStop = async (model: LoadedModel, label: string) => {
    const policy = new Policy(model.config, model.weights, runtime);
    // A bar on a terminal, else a log line each tenth of the questions.
    const shown = evalProgress(label, options.progress ?? process.stderr.isTTY === true, (line) => log.info(line));
    try {
      const settings = evalSettingsOf(config);
      return await evaluateRecords(policy, model.tokenizer, task, finalRecords, settings, options.signal, shown.update);
    } catch (err) {
      if (options.signal?.aborted) return null;
      throw err;
    } finally {
      shown.stop();
      await policy.release();
    }
  };
  const result = await evaluateOrStop(selected ? await loadModel(selected) : start, `final ${split}`);
  if (!result) return null;
  const test = evalSummaryOf(split, selectedStep, result);
  await writeEvalSummary(paths, test);
  await writePredictions(paths.predictions(split), result.records);
  const what = selectedStep === null ? 'the starting model' : `checkpoint after step ${selectedStep}`;
  log.info({ eval: test }, `${split} (${what}): ${rates(test)}`);
  if (!config.eval.compare_base || base) return { test };
  // The same split, sampling and seed as the trained model's test: the two rows differ only in the weights
  // (read again: training updated start.weights in place).
  const b = await evaluateOrStop(await loadModel(start.dir), `final ${split}, starting model`);
  if (!b) return null;
  const baseTest = evalSummaryOf(split, null, b);
  log.info({ base_eval: baseTest }, `${split} (the starting model): ${rates(baseTest)}`);
  return { test, baseTest };
}

/** "p@1 30.5 p@16 61.1 m@16 38.3" */
function rates(e: EvalSummary): string {
  return `p@1 ${e.p1.toFixed(1)} p@${e.k} ${e.p16.toFixed(1)} m@${e.k} ${e.m16.toFixed(1)}`;
}

/** Writes summary.json, last: its presence marks the run finished. */
async function writeSummary(s: RunSession, run: OpenRun, tested: Tested): Promise<RunSummary> {
  const { config, paths } = s;
  const base = config.train.steps === 0;
  const q = base ? undefined : qScheduleOf(config);
  const finishedAt = new Date().toISOString();
  const summary: RunSummary = {
    step_base: STEP_BASE,
    name: config.name,
    task: config.task.name,
    start: config.task.start,
    method: base ? 'base' : config.algorithm.name,
    q: typeof q === 'number' ? q : null,
    ...(q !== undefined && typeof q !== 'number' ? { q_schedule: q } : {}),
    seed: config.seed,
    steps: config.train.steps,
    best_step: run.best?.step ?? null,
    best_validation_m16: run.best?.m16 ?? null,
    test: tested.test,
    ...(tested.baseTest ? { base_test: tested.baseTest } : {}),
    wall_s: run.elapsedBefore + (performance.now() - s.t0) / 1000,
    finished_at: finishedAt,
    provenance: { ...run.provenance, finished_at: finishedAt },
  };
  await writeRunSummary(paths, summary);
  s.log.info({ summary: paths.summary }, `done: ${paths.dir}`);
  return summary;
}
