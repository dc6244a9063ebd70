/**
 * <run>/rollouts.jsonl: a few of each step's training rollouts with their text, so that what the model
 * wrote at step 1 and at step 40 can be read side by side. One JSON object a line (RolloutLogRow).
 *
 * Which rollouts are kept depends only on the step's shape (rolloutLogRows), never on a random stream:
 * a run is bit-identical whatever train.log_rollouts is. Each step's rows are appended in one write
 * (O_APPEND); on --resume the rows after the checkpoint's step are dropped, as metrics.csv's are.
 */
import { appendFile, readFile } from 'node:fs/promises';
import { UserError } from '../errors.js';
import { addErrorPath, writeFileAtomic } from '../util/atomic-write.js';
import type { StepItem, StepResult } from './step.js';

export interface RolloutLogRow {
  step: number;
  /** The question's id. */
  id: string;
  /** The rollout's index among the question's M, in sampling order. */
  sample: number;
  /** Exact-match reward. */
  reward: number;
  /** log W of the question and log w = log p(y* | x*, z) of this rollout (GARL, PAFT; null when not finite). */
  log_W?: number | null;
  log_w?: number | null;
  /** The extracted answer ("" when none) and the decoded completion it was extracted from. */
  answer: string;
  completion: string;
}

/**
 * The kept rollouts of a step: rollout 0 of each question in turn, then rollout 1 of each, and so on,
 * `k` in all (at most every rollout of the step). None for a step without rollouts (SFT).
 */
export function rolloutLogRows(
  step: number,
  items: readonly Pick<StepItem, 'id'>[],
  r: Pick<StepResult, 'rollouts' | 'diagnostics' | 'logW'>,
  k: number,
): RolloutLogRow[] {
  const sampled = r.rollouts;
  if (!sampled || items.length === 0) return [];
  const M = sampled.rollouts[0]!.length;
  const rows: RolloutLogRow[] = [];
  for (let i = 0; i < Math.min(k, items.length * M); i++) {
    const g = i % items.length,
      m = Math.floor(i / items.length);
    const logW = r.diagnostics[g]?.logW;
    rows.push({
      step,
      id: items[g]!.id,
      sample: m,
      reward: sampled.rewards[g]![m]!,
      ...(logW !== undefined ? { log_W: finiteOrNull(logW) } : {}),
      ...(r.logW ? { log_w: finiteOrNull(r.logW[g]![m]!) } : {}),
      answer: sampled.answers[g]![m]!,
      completion: sampled.completions[g]![m]!,
    });
  }
  return rows;
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Appends a step's rows in one write; nothing (no file) for none. */
export async function appendRolloutLog(path: string, rows: readonly RolloutLogRow[]): Promise<void> {
  if (rows.length === 0) return;
  try {
    await appendFile(path, rows.map((row) => JSON.stringify(row) + '\n').join(''));
  } catch (err) {
    addErrorPath(err, path);
    throw err;
  }
}

/** The rows of the file's complete lines (a crash can leave a partial last one); [] when there is no file. */
export async function readRolloutLog(path: string): Promise<RolloutLogRow[]> {
  return ((await completeLines(path)) ?? []).map((line, i) => parseRow(line, `${path}:${i + 1}`));
}

/** Drops the rows after `step` (for --resume from a checkpoint at `step`) and a partial last line, atomically. */
export async function truncateRolloutLogAfterStep(path: string, step: number): Promise<void> {
  const lines = await completeLines(path);
  if (lines === null) return;
  const kept = lines.filter((line, i) => parseRow(line, `${path}:${i + 1}`).step <= step);
  await writeFileAtomic(path, kept.map((line) => line + '\n').join(''));
}

async function completeLines(path: string): Promise<string[] | null> {
  try {
    return (await readFile(path, 'utf8')).split('\n').slice(0, -1);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function parseRow(line: string, where: string): RolloutLogRow {
  try {
    return JSON.parse(line) as RolloutLogRow;
  } catch {
    throw new UserError(`${where}: not valid JSON`);
  }
}
