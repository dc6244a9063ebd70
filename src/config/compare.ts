/**
 * Whether two resolved configs describe the same run, compared as values (not as YAML text): what
 * `train --resume` checks against the config a run started with.
 */
import type { Config } from './schema.js';

/**
 * Fields that do not change what a run computes, so a resume may differ in them: where the run
 * lives (a moved or copied run folder resumes), the CPU thread count (another machine), how often
 * progress lines are logged, and how many rollouts rollouts.jsonl keeps (training is bit-identical
 * whatever that count).
 */
export const RESUME_FREE_FIELDS = ['output.dir', 'threads', 'train.log_every', 'train.log_rollouts'] as const;

export interface ConfigDifference {
  /** Dotted field path, e.g. "optimizer.lr" or "rollout.stop.0". */
  field: string;
  before: unknown;
  now: unknown;
}

/** The fields whose values differ between `before` and `now` (leaves only), ignoring `free`. */
export function configDifferences(
  before: Config,
  now: Config,
  free: readonly string[] = RESUME_FREE_FIELDS,
): ConfigDifference[] {
  const out: ConfigDifference[] = [];
  const walk = (a: unknown, b: unknown, path: string[]) => {
    const field = path.join('.');
    if (free.includes(field)) return;
    if (isContainer(a) && isContainer(b) && Array.isArray(a) === Array.isArray(b)) {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const k of keys) walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], [...path, k]);
    } else if (!Object.is(a, b)) {
      out.push({ field, before: a, now: b });
    }
  };
  walk(before, now, []);
  return out;
}

function isContainer(x: unknown): x is object {
  return typeof x === 'object' && x !== null;
}
