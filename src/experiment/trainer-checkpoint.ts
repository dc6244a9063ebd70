/**
 * Trainer checkpoints: a model directory in Hugging Face layout (model/checkpoint.ts saveModel) plus
 * what an exact resume needs:
 *
 *   trainer_state.json         TrainerState: steps done, optimizer scalars, RNG stream states, data order, best so far
 *   optimizer.safetensors      the optimizer's per-parameter buffers (exp_avg, exp_avg_sq / momentum_buffer)
 *   weights.f32.safetensors    the float32 weights, only when model.save_dtype is not f32 (so a resume
 *                              continues from the exact weights, not their bf16/f16 rounding)
 *
 * A checkpoint is written whole into `<dir>.partial-<pid>` and renamed into place (an existing `dir`
 * is moved aside first and deleted after), so a directory named checkpoint-N or best is always complete.
 * A killed process can leave those side directories behind; tidyCheckpoints removes them.
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import type { ModelConfig } from '../model/config.js';
import { LOAD_NON_FINITE, loadModel, SAVE_NON_FINITE, saveModel } from '../model/checkpoint.js';
import { readSafetensors, writeSafetensors, type Tensor, type WriteDtype } from '../model/safetensors.js';
import type { Optimizer, OptimizerScalarState } from '../runtime/optimizer.js';
import { pathExists, replaceDirectory, syncDirectory, writeFileAtomic } from '../util/atomic-write.js';
import { assertFinite } from '../util/finite.js';
import type { DataOrderState } from './data-order.js';
import type { RunPaths } from '../run-dir/paths.js';
import {
  checkpointStep,
  fromLegacyTrainerState,
  legacyCheckpointStep,
  otherCheckpointName,
  TRAINER_STATE_VERSION,
} from '../run-dir/step-numbering.js';
import type { StreamStates } from './streams.js';

export const TRAINER_STATE_FILE = 'trainer_state.json';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const FULL_WEIGHTS_FILE = 'weights.f32.safetensors';

export interface TrainerState {
  /** 2: steps count from 1 (src/run-dir/step-numbering.ts); version 1 files counted from 0 and are read shifted. */
  version: typeof TRAINER_STATE_VERSION;
  /** Optimizer steps done: the checkpoint is checkpoint-<step>, and the next step to run is step + 1. */
  step: number;
  optimizer: OptimizerScalarState;
  rng: StreamStates;
  /** The order over the training items (questions, or SFT pairs). */
  data_order: DataOrderState;
  /** Best validation so far (m@k in percent, and its step: checkpoints/best holds that many steps); null before the first validation. */
  best: { step: number; m16: number } | null;
  /** Wall-clock seconds of training so far, summed over resumed sessions. */
  elapsed_s: number;
}

export interface CheckpointModel {
  config: ModelConfig;
  weights: ReadonlyMap<string, Float32Array>;
  /** The directory whose tokenizer files are copied (the starting model's). */
  tokenizerDir: string;
  hfConfig?: Record<string, unknown>;
  dtype: WriteDtype;
}

/**
 * Writes a complete checkpoint at `dir` (replacing one that is there). Non-finite weights or
 * optimizer state are refused (NonFiniteError) before anything is written.
 */
export async function writeTrainerCheckpoint(
  dir: string,
  model: CheckpointModel,
  state: TrainerState,
  optimizer: Optimizer,
): Promise<void> {
  const target = resolve(dir);
  const partial = `${target}.partial-${process.pid}`;
  const optimizerTensors = optimizer.stateTensors();
  for (const [name, w] of model.weights) assertFinite(name, w, `${target}: not saved`, SAVE_NON_FINITE);
  for (const [name, t] of optimizerTensors)
    assertFinite(name, t.data, `${target}: not saved (optimizer state)`, SAVE_NON_FINITE);
  await rm(partial, { recursive: true, force: true });
  try {
    await saveModel(partial, {
      config: model.config,
      weights: model.weights,
      tokenizerDir: model.tokenizerDir,
      hfConfig: model.hfConfig,
      dtype: model.dtype,
    });
    await writeSafetensors(join(partial, OPTIMIZER_FILE), optimizerTensors);
    if (model.dtype !== 'F32') {
      const tensors = new Map<string, Tensor>();
      for (const [name, w] of model.weights) tensors.set(name, { shape: [w.length], data: w });
      await writeSafetensors(join(partial, FULL_WEIGHTS_FILE), tensors);
    }
    await writeFileAtomic(join(partial, TRAINER_STATE_FILE), JSON.stringify(state) + '\n');
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    throw err;
  }
  await replaceDirectory(partial, target);
}

export interface LoadedCheckpoint {
  dir: string;
  state: TrainerState;
  /** Exact float32 weights (from the model file, or weights.f32.safetensors when the model file is rounded). */
  weights: Map<string, Float32Array>;
  optimizerTensors: Map<string, Tensor>;
}

/** trainer_state.json of a checkpoint directory, in this version's numbering (version 1 shifted), or null when it has none (a plain model directory). */
export async function readTrainerState(dir: string): Promise<TrainerState | null> {
  let text: string;
  try {
    text = await readFile(join(dir, TRAINER_STATE_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let state: Omit<TrainerState, 'version'> & { version: number };
  try {
    state = JSON.parse(text) as typeof state;
  } catch (err) {
    throw new UserError(`${join(dir, TRAINER_STATE_FILE)}: not valid JSON (${(err as Error).message})`);
  }
  if ((state.version !== 1 && state.version !== TRAINER_STATE_VERSION) || !Number.isInteger(state.step))
    throw new UserError(`${join(dir, TRAINER_STATE_FILE)}: not a trainer state of this version`);
  return fromLegacyTrainerState(state);
}

export async function readTrainerCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const state = await readTrainerState(dir);
  if (!state) throw new UserError(`${dir}: no ${TRAINER_STATE_FILE}; not a trainer checkpoint`);
  let weights: Map<string, Float32Array>;
  const full = join(dir, FULL_WEIGHTS_FILE);
  if (await pathExists(full)) {
    weights = new Map([...(await readSafetensors(full))].map(([name, t]) => [name, t.data]));
    for (const [name, w] of weights) assertFinite(name, w, full, LOAD_NON_FINITE);
  } else {
    weights = (await loadModel(dir)).weights;
  }
  const optimizerPath = join(dir, OPTIMIZER_FILE);
  const optimizerTensors = await readSafetensors(optimizerPath);
  for (const [name, t] of optimizerTensors)
    assertFinite(
      name,
      t.data,
      optimizerPath,
      'the optimizer state must be finite (the file is corrupt or was saved from a diverged run)',
    );
  return { dir, state, weights, optimizerTensors };
}

/**
 * A checkpoint folder by either of its names: `dir` when it exists, else the same checkpoint under its
 * other name (checkpoint-N for step-(N-1), the name of an earlier version, and step-(N-1) for
 * checkpoint-N in a folder not yet renumbered), else `dir` (whose loader then reports it missing).
 */
export async function resolveCheckpointDir(dir: string): Promise<string> {
  if (await pathExists(dir)) return dir;
  const other = otherCheckpointName(basename(resolve(dir)));
  if (other === null) return dir;
  const there = join(dirname(resolve(dir)), other);
  return (await pathExists(there)) ? there : dir;
}

/** The checkpoint with the highest step among checkpoints/checkpoint-N that hold a trainer state, or null. */
export async function latestCheckpoint(
  paths: Pick<RunPaths, 'checkpoints' | 'checkpoint'>,
): Promise<{ dir: string; step: number } | null> {
  let names: string[];
  try {
    names = await readdir(paths.checkpoints);
  } catch {
    return null;
  }
  const steps = names
    .map(checkpointStep)
    .filter((s): s is number => s !== null)
    .sort((a, b) => b - a);
  for (const step of steps) {
    const dir = paths.checkpoint(step);
    if (await pathExists(join(dir, TRAINER_STATE_FILE))) return { dir, step };
  }
  return null;
}

/** Deletes checkpoints/checkpoint-N directories other than those `keep` accepts. */
export async function pruneCheckpoints(
  paths: Pick<RunPaths, 'checkpoints' | 'checkpoint'>,
  keep: (step: number) => boolean,
): Promise<void> {
  for (const name of await readdir(paths.checkpoints)) {
    const step = checkpointStep(name);
    if (step !== null && !keep(step)) await rm(paths.checkpoint(step), { recursive: true, force: true });
  }
}

export interface TidyResult {
  /** Leftovers of processes that are gone, deleted (absolute paths). */
  removed: string[];
  /** Checkpoints put back from `<name>.old-<pid>` where `<name>` was missing (absolute paths of `<name>`). */
  restored: string[];
}

/** `<name>.partial-<pid>` (writeTrainerCheckpoint), `.tmp-<pid>` (saveModel), `.old-<pid>` (replaceDirectory). */
const LEFTOVER_DIR = /^(.+)\.(partial|tmp|old)-(\d+)$/;
/** writeFileAtomic's temporary file: `.<name>.tmp-<pid>-<hex>`. */
const LEFTOVER_FILE = /^\..+\.tmp-(\d+)-[0-9a-f]+$/;

/**
 * Cleans checkpoints/ after killed processes; the trainer calls it at start and on resume, before it
 * writes a checkpoint. Where `best` or `checkpoint-N` (or an earlier version's `step-K`, which --resume
 * then renumbers) is missing but `<name>.old-<pid>` is there (a kill between the two renames of
 * replaceDirectory), the old directory, which is complete, is renamed back. Then `.partial-<pid>`, `.tmp-<pid>` and `.old-<pid>` directories, and writeFileAtomic
 * temporary files in checkpoints/ and its checkpoint directories, are deleted when process <pid> is
 * gone. Those of this process and of live processes are left alone.
 */
export async function tidyCheckpoints(
  paths: Pick<RunPaths, 'checkpoints'>,
  log?: (message: string) => void,
): Promise<TidyResult> {
  const result: TidyResult = { removed: [], restored: [] };
  let entries: Dirent[];
  try {
    entries = await readdir(paths.checkpoints, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return result;
    throw err;
  }
  const present = new Set(entries.map((e) => e.name));
  const remove = async (path: string, pid: number) => {
    await rm(path, { recursive: true, force: true });
    result.removed.push(path);
    log?.(`removed ${path}, left by process ${pid}, which is gone`);
  };
  const removeTempFiles = async (dir: string) => {
    for (const name of await readdir(dir)) {
      const m = LEFTOVER_FILE.exec(name);
      if (m && isGone(Number(m[1]))) await remove(join(dir, name), Number(m[1]));
    }
  };

  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(paths.checkpoints, entry.name);
    if (!entry.isDirectory()) continue;
    const m = LEFTOVER_DIR.exec(entry.name);
    if (!m) {
      await removeTempFiles(path);
      continue;
    }
    const base = m[1]!;
    const pid = Number(m[3]);
    if (!isGone(pid)) continue;
    if (
      m[2] === 'old' &&
      !present.has(base) &&
      (base === 'best' || checkpointStep(base) !== null || legacyCheckpointStep(base) !== null)
    ) {
      const target = join(paths.checkpoints, base);
      await rename(path, target);
      await syncDirectory(paths.checkpoints);
      present.add(base);
      result.restored.push(target);
      log?.(`restored ${target} from ${entry.name}, left by process ${pid}, which is gone`);
    } else {
      await remove(path, pid);
    }
  }
  await removeTempFiles(paths.checkpoints);
  return result;
}

/** True when no process `pid` exists (kill(pid, 0) fails with ESRCH); this process is never gone. */
function isGone(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
