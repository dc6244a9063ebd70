/**
 * `train --resume` on a run folder of an earlier version, whose steps counted from 0: renumbered once,
 * on disk, to this version's steps from 1 (src/run-dir/step-numbering.ts) before the run continues.
 *
 *   metrics.csv, validation.csv   step + 1 (every other cell byte for byte; a partial last line dropped)
 *   rollouts.jsonl                step + 1
 *   events.out.tfevents.*         the step of every scalar and session-start event + 1
 *   eval/<split>.json             checkpoint_step + 1 and "step_base": 1 (a run stopped during its final test)
 *   checkpoints/<each>/trainer_state.json   version 2: step + 1, best.step + 1 (best's too)
 *   checkpoints/step-K            renamed checkpoints/checkpoint-(K + 1): it holds K + 1 optimizer steps
 * log.jsonl stays as it was written: the trainer logs, after its earlier lines, the line that says what
 * was renumbered. summary.json is never renumbered: a finished run is not resumed (readers shift it).
 * Folders written by `eval` (eval-<checkpoint>/) keep their names and files; readers shift those too.
 *
 * Crash safety: nothing in the folder changes until everything is staged.
 *   1. Stage: the renumbered files are written under <run>/.renumber/ at their own relative paths, each
 *      atomically, then .renumber/COMMIT (atomically) lists the moves. Until COMMIT exists the folder is
 *      as it was: a kill leaves .renumber/ behind, which the next --resume deletes before staging again.
 *   2. Commit: each staged file is renamed over its original (one rename each), then each step-K folder
 *      is renamed checkpoint-(K + 1). A move is made only while its source is there, so the next --resume
 *      after a kill, finding COMMIT, makes the moves that are left and nothing twice.
 *   3. COMMIT is deleted, then .renumber/.
 * A kill at any point leaves a folder that --resume continues: unchanged, renumbered, or part-way
 * through a commit that COMMIT says how to finish.
 */
import { mkdir, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { UserError } from '../errors.js';
import { pathExists, readTextIfExists, syncDirectory, writeFileAtomic } from '../util/atomic-write.js';
import type { RunPaths, Split } from '../run-dir/paths.js';
import {
  checkpointName,
  checkpointStep,
  fromLegacyTrainerState,
  legacyCheckpointStep,
  legacyStepFiles,
  STEP_BASE,
} from '../run-dir/step-numbering.js';
import { EVENTS_FILE_PREFIX, shiftEventSteps } from './tensorboard.js';
import { TRAINER_STATE_FILE } from './trainer-checkpoint.js';

/** The staging folder inside the run directory, and its commit mark. */
export const RENUMBER_DIR = '.renumber';
export const RENUMBER_COMMIT = 'COMMIT';

/** What a renumbering did (paths relative to the run directory). */
export interface Renumbered {
  /** Files rewritten with their steps moved by one. */
  files: string[];
  /** Checkpoint folders renamed, [from, to]. */
  checkpoints: [string, string][];
  /** The line the trainer logs. */
  message: string;
}

interface CommitPlan {
  /** [staged, original], relative to the run directory. */
  files: [string, string][];
  /** [legacy folder, new folder], relative to the run directory. */
  checkpoints: [string, string][];
}

type Paths = Pick<RunPaths, 'dir' | 'metrics' | 'validation' | 'rollouts' | 'checkpoints' | 'evalSummary'>;

export interface RenumberOptions {
  /** Called before each change on disk, naming it (tests throw here to simulate a kill at that point). */
  before?: (change: string) => void;
}

/**
 * Renumbers the run folder when it is of an earlier version (or finishes a renumbering a kill
 * interrupted); null when there is nothing to do. Call it with the run lock held, after tidyCheckpoints.
 */
export async function renumberLegacyRun(paths: Paths, options: RenumberOptions = {}): Promise<Renumbered | null> {
  const before = options.before ?? (() => {});
  const staging = join(paths.dir, RENUMBER_DIR);
  const commitPath = join(staging, RENUMBER_COMMIT);
  let plan: CommitPlan;
  if (await pathExists(commitPath)) {
    plan = JSON.parse(await readFile(commitPath, 'utf8')) as CommitPlan;
  } else {
    if (await pathExists(staging)) {
      before(`delete ${RENUMBER_DIR}, left by a renumbering killed before its commit`);
      await rm(staging, { recursive: true, force: true });
    }
    if (!(await isLegacyRun(paths))) return null;
    plan = await stage(paths, staging, before);
    before(`write ${RENUMBER_COMMIT}`);
    await writeFileAtomic(commitPath, JSON.stringify(plan, null, 1) + '\n');
  }
  await commit(paths.dir, plan, before);
  before(`delete ${RENUMBER_COMMIT}`);
  await unlink(commitPath);
  await syncDirectory(staging);
  before(`delete ${RENUMBER_DIR}`);
  await rm(staging, { recursive: true, force: true });
  await syncDirectory(paths.dir);
  const files = plan.files.map(([, original]) => original);
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const named = files.filter((f) => !basename(f).startsWith(EVENTS_FILE_PREFIX) && basename(f) !== TRAINER_STATE_FILE);
  const events = files.filter((f) => basename(f).startsWith(EVENTS_FILE_PREFIX)).length;
  const states = files.filter((f) => basename(f) === TRAINER_STATE_FILE).length;
  return {
    files,
    checkpoints: plan.checkpoints,
    message:
      `renumbered ${paths.dir} (an earlier version's, steps from 0) to steps from 1, step N = after N optimizer steps: ` +
      (plan.checkpoints.length
        ? `${plan.checkpoints.map(([a, b]) => `${basename(a)} -> ${basename(b)}`).join(', ')}; `
        : '') +
      `steps + 1 in ${[...named, ...(events ? [count(events, 'events file')] : []), ...(states ? [count(states, 'trainer state')] : [])].join(', ') || 'no file'}; ` +
      `log.jsonl's lines before this one count from 0`,
  };
}

/**
 * Whether the folder is of an earlier version (src/run-dir/step-numbering.ts); refuses one with
 * checkpoints of both versions.
 */
export async function isLegacyRun(paths: Paths): Promise<boolean> {
  const names = await checkpointNames(paths);
  const legacyFolders = names.filter((n) => legacyCheckpointStep(n) !== null);
  const newFolders = names.filter((n) => checkpointStep(n) !== null);
  const state = await readJsonIfExists<{ version?: number }>(join(paths.checkpoints, 'best', TRAINER_STATE_FILE));
  const legacy =
    legacyFolders.length > 0 ||
    state?.version === 1 ||
    legacyStepFiles({
      metrics: await firstCsvStep(paths.metrics),
      validation: await firstCsvStep(paths.validation),
      rollouts: await firstRolloutStep(paths.rollouts),
    });
  if (legacy && newFolders.length > 0) {
    throw new UserError(
      `${paths.checkpoints}: holds checkpoints of two versions (${legacyFolders[0] ?? 'best with steps from 0'} and ${newFolders[0]}); move one kind away to resume`,
    );
  }
  return legacy;
}

async function stage(paths: Paths, staging: string, before: (change: string) => void): Promise<CommitPlan> {
  const plan: CommitPlan = { files: [], checkpoints: [] };
  const put = async (original: string, contents: string | Uint8Array) => {
    const rel = relative(paths.dir, original);
    const staged = join(staging, rel);
    before(`stage ${rel}`);
    await mkdir(dirname(staged), { recursive: true });
    await writeFileAtomic(staged, contents);
    plan.files.push([join(RENUMBER_DIR, rel), rel]);
  };

  for (const csv of [paths.metrics, paths.validation]) {
    const text = await readTextIfExists(csv);
    if (text !== null) await put(csv, shiftCsvSteps(text, csv));
  }
  const rollouts = await readTextIfExists(paths.rollouts);
  if (rollouts !== null) await put(paths.rollouts, shiftRolloutSteps(rollouts, paths.rollouts));
  for (const name of (await readdir(paths.dir)).filter((n) => n.startsWith(EVENTS_FILE_PREFIX)).sort()) {
    const file = join(paths.dir, name);
    await put(file, shiftEventSteps(await readFile(file), 1));
  }
  for (const split of ['validation', 'test'] as Split[]) {
    const summary = await readJsonIfExists<{ step_base?: number; checkpoint_step?: number | null }>(
      paths.evalSummary(split),
    );
    if (summary && summary.step_base !== STEP_BASE) {
      const step = summary.checkpoint_step;
      await put(
        paths.evalSummary(split),
        JSON.stringify(
          { step_base: STEP_BASE, ...summary, checkpoint_step: typeof step === 'number' ? step + 1 : (step ?? null) },
          null,
          2,
        ) + '\n',
      );
    }
  }
  for (const name of await checkpointNames(paths)) {
    const legacy = legacyCheckpointStep(name);
    if (legacy === null && name !== 'best') continue;
    const stateFile = join(paths.checkpoints, name, TRAINER_STATE_FILE);
    const state = await readJsonIfExists<Parameters<typeof fromLegacyTrainerState>[0]>(stateFile);
    if (state && state.version === 1) await put(stateFile, JSON.stringify(fromLegacyTrainerState(state)) + '\n');
    if (legacy !== null)
      plan.checkpoints.push([
        relative(paths.dir, join(paths.checkpoints, name)),
        relative(paths.dir, join(paths.checkpoints, checkpointName(legacy))),
      ]);
  }
  await syncDirectory(staging);
  return plan;
}

async function commit(dir: string, plan: CommitPlan, before: (change: string) => void): Promise<void> {
  const touched = new Set<string>();
  for (const [staged, original] of plan.files) {
    if (!(await pathExists(join(dir, staged)))) continue; // moved before a kill
    before(`move ${staged} to ${original}`);
    await rename(join(dir, staged), join(dir, original));
    touched.add(dirname(join(dir, original)));
  }
  for (const d of touched) await syncDirectory(d);
  for (const [from, to] of plan.checkpoints) {
    const source = join(dir, from),
      target = join(dir, to);
    if (!(await pathExists(source))) continue;
    if (await pathExists(target))
      throw new UserError(`${target}: exists while ${source} is still to be renamed to it; move one away to resume`);
    before(`rename ${from} to ${to}`);
    await rename(source, target);
  }
  if (plan.checkpoints.length) await syncDirectory(join(dir, dirname(plan.checkpoints[0]![0])));
}

/** A CSV with its step column moved by one; header and every other cell unchanged, a partial last line dropped. */
export function shiftCsvSteps(text: string, where: string): string {
  const complete = text.split('\n').slice(0, -1); // without the partial last line (or the empty string after the last newline)
  if (complete.length === 0) return '';
  const header = complete[0]!;
  const at = header.split(',').indexOf('step');
  if (at < 0) throw new UserError(`${where}: no step column`);
  const rows = complete.slice(1).map((line, i) => {
    if (line === '') return line;
    const cells = line.split(',');
    const step = Number(cells[at]);
    if (!Number.isInteger(step))
      throw new UserError(`${where}:${i + 2}: step: expected an integer, got "${cells[at] ?? ''}"`);
    cells[at] = String(step + 1);
    return cells.join(',');
  });
  return [header, ...rows].map((l) => l + '\n').join('');
}

/** rollouts.jsonl with every row's step moved by one (complete lines only; key order kept). */
export function shiftRolloutSteps(text: string, where: string): string {
  return text
    .split('\n')
    .slice(0, -1)
    .map((line, i) => {
      let row: { step: number };
      try {
        row = JSON.parse(line) as { step: number };
      } catch {
        throw new UserError(`${where}:${i + 1}: not valid JSON`);
      }
      return JSON.stringify({ ...row, step: row.step + 1 }) + '\n';
    })
    .join('');
}

async function checkpointNames(paths: Pick<RunPaths, 'checkpoints'>): Promise<string[]> {
  try {
    return (await readdir(paths.checkpoints, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** The step of the first complete data row of a CSV, or undefined. */
async function firstCsvStep(path: string): Promise<number | undefined> {
  const text = await readTextIfExists(path);
  if (text === null) return undefined;
  const lines = text.split('\n');
  const at = lines[0]!.split(',').indexOf('step');
  if (at < 0 || lines.length < 3 || lines[1] === '') return undefined; // a data row is complete when a newline follows it
  const step = Number(lines[1]!.split(',')[at]);
  return Number.isInteger(step) ? step : undefined;
}

async function firstRolloutStep(path: string): Promise<number | undefined> {
  const text = await readTextIfExists(path);
  const first = text?.split('\n');
  if (!first || first.length < 2) return undefined;
  try {
    const step = (JSON.parse(first[0]!) as { step?: unknown }).step;
    return typeof step === 'number' ? step : undefined;
  } catch {
    return undefined;
  }
}

async function readJsonIfExists<T>(path: string): Promise<T | null> {
  const text = await readTextIfExists(path);
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new UserError(`${path}: not valid JSON`);
  }
}
