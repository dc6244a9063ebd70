/** Subset sizes: the study's (paper) or TRAIN/VAL/TEST given on the command line. */
import { UserError } from '../errors.js';
import type { TaskName } from '../tasks/record.js';

export interface SubsetSizes {
  train: number;
  validation: number;
  test: number;
}

/** Train / validation / test sizes used in the study (Lin & Ie, 2026). */
export const PAPER_SIZES: Record<TaskName, SubsetSizes> = {
  finqa: { train: 6145, validation: 872, test: 1132 },
  hotpotqa: { train: 9067, validation: 342, test: 343 },
  musique: { train: 9985, validation: 579, test: 445 },
};

/** "TRAIN/VAL/TEST" (non-negative integers, e.g. "200/50/50"), or null when `spec` is not of that form. */
export function splitSizes(spec: string): SubsetSizes | null {
  const m = /^(\d+)\/(\d+)\/(\d+)$/.exec(spec.trim());
  return m ? { train: Number(m[1]), validation: Number(m[2]), test: Number(m[3]) } : null;
}

/** "paper" or "TRAIN/VAL/TEST" (non-negative integers, e.g. "200/50/50"). */
export function parseSizes(spec: string, task: TaskName): SubsetSizes {
  if (spec === 'paper') return { ...PAPER_SIZES[task] };
  const sizes = splitSizes(spec);
  if (!sizes) throw new UserError(`--sizes: expected "paper" or TRAIN/VAL/TEST such as 200/50/50, got "${spec}"`);
  return sizes;
}
