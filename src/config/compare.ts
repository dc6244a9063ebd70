/**
 * Whether two resolved configs describe the same run, compared as values (not as YAML text): what
 * `train --resume` checks against the config a run started with.
 */
import type { Config } from './schema.js';

/**
 * Fields that do not change what a run computes, so a resume may differ in them: where the run
 * lives (a moved or copied run folder resumes), the CPU thread count (another machine), how often
 * progress lines are logged, how many rollouts rollouts.jsonl keeps (training is bit-identical
 * whatever that count), and the RUN_KEPT_FIELDS below, which a resume takes from the run.
 */
export const RESUME_FREE_FIELDS = [
  'output.dir',
  'threads',
  'train.log_every',
  'train.log_rollouts',
  'train.shared_prompt',
  'train.cached_scoring',
] as const;

/**
 * Fields that change only a run's float rounding, which a resume keeps as the run started (whatever the
 * config says now), so that a resumed run stays bit-identical to an uninterrupted one. A run whose
 * config.yaml predates a field ran without it: `absent` is the value that reproduces it.
 */
export const RUN_KEPT_FIELDS = [
  { field: 'train.shared_prompt', absent: false },
  { field: 'train.cached_scoring', absent: false },
] as const;

/** `now` with each RUN_KEPT_FIELDS value taken from `runYaml` (the run's config.yaml, parsed as plain YAML). */
export function keepRunFields(now: Config, runYaml: unknown): { config: Config; kept: ConfigDifference[] } {
  let config = now;
  const kept: ConfigDifference[] = [];
  for (const { field, absent } of RUN_KEPT_FIELDS) {
    const path = field.split('.');
    const run = valueAt(runYaml, path) ?? absent;
    const current = valueAt(config, path);
    if (Object.is(run, current)) continue;
    config = withValueAt(config, path, run) as Config;
    kept.push({ field, before: run, now: current });
  }
  return { config, kept };
}

function valueAt(x: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((v, k) => (isContainer(v) ? (v as Record<string, unknown>)[k] : undefined), x);
}

function withValueAt(x: unknown, path: readonly string[], value: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  const obj = isContainer(x) ? (x as Record<string, unknown>) : {};
  return { ...obj, [head]: withValueAt(obj[head], rest, value) };
}

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
