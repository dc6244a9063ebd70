/**
 * How a task turns completions into answers and rewards (task.extract, task.reward). Without a reward
 * choice a task keeps the study's rules: the exact-match reward in training, the relaxed match for p@1,
 * p@k and m@k. With one, the chosen reward is both the training reward (GRPO, RLOO, the reward metrics
 * of GARL and PAFT) and the evaluation's notion of correct: a sample is correct when its reward is above
 * 0.5 (binary rewards: when it is 1; a module's graded reward: when it is more right than wrong).
 *
 * Built-in rewards (an empty prediction never scores):
 *   exact    1 when the normalised prediction equals the normalised gold answer or an alias (rewards.ts);
 *   relaxed  1 when a normalised gold answer or alias is a substring of the normalised prediction;
 *   numeric  1 when the last number of the prediction is within task.numeric_tolerance of the gold number,
 *            relative to max(1, |gold|) ("$", thousands commas and a trailing "%" are ignored; "a/b" is a fraction);
 *   f1       1 when the SQuAD token F1 with the gold answer (best over aliases) reaches task.f1_threshold.
 */
import { UserError } from '../errors.js';
import { compileAnswerPattern, extractAnswer, extractAnswerBy, type ExtractRule } from './extract.js';
import { squadF1 } from './qa-metrics.js';
import type { AnswerTask, TaskRecord } from './record.js';
import { loadRewardModule, isRewardModulePath } from './reward-module.js';
import { exactMatchReward, relaxedMatch } from './rewards.js';

export const BUILTIN_REWARDS = ['exact', 'relaxed', 'numeric', 'f1'] as const;
export type BuiltinReward = (typeof BUILTIN_REWARDS)[number];

export const DEFAULT_NUMERIC_TOLERANCE = 1e-6;
export const DEFAULT_F1_THRESHOLD = 0.5;

/** What a reward sees of a question: its gold answers, and the record (a reward module reads it). */
export interface RewardInput {
  golds?: readonly string[];
  record?: TaskRecord;
}

export interface TaskScoring {
  /** Whose normalisation applies. */
  task: AnswerTask;
  extract(completion: string): string;
  reward(item: RewardInput, prediction: string, completion: string): number | Promise<number>;
  /** Whether the reward was chosen (task.reward): then evaluation counts a sample correct when reward > 0.5. */
  chosen: boolean;
  /** A problem with a record's gold answer for this reward (numeric: not a number), or null. */
  checkGold(record: TaskRecord): string | null;
}

/** The task section's scoring fields (all optional; absent: the study's rules). */
export interface ScoringSettings {
  extract?: ExtractRule;
  answer_pattern?: string;
  reward?: string;
  numeric_tolerance?: number;
  f1_threshold?: number;
}

const NUMBER = /(-|−)?\s*\$?\s*(\d[\d,]*(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+)(?:\s*\/\s*(\d+(?:\.\d+)?))?/g;

/** The last number in `text` ("1,234.5", "$3", "-2", "3/4" -> 0.75), or null. */
export function lastNumber(text: string): number | null {
  let last: number | null = null;
  for (const m of text.matchAll(NUMBER)) {
    let v = Number(m[2]!.replace(/,/g, ''));
    if (m[3] !== undefined) v /= Number(m[3]);
    if (!Number.isFinite(v)) continue;
    last = m[1] ? -v : v;
  }
  return last;
}

export function numericReward(
  prediction: string,
  golds: readonly string[],
  tolerance = DEFAULT_NUMERIC_TOLERANCE,
): 0 | 1 {
  const p = lastNumber(prediction);
  if (p === null) return 0;
  return golds.some((g) => {
    const v = lastNumber(g);
    return v !== null && Math.abs(p - v) <= tolerance * Math.max(1, Math.abs(v));
  })
    ? 1
    : 0;
}

export function f1Reward(prediction: string, golds: readonly string[], threshold = DEFAULT_F1_THRESHOLD): 0 | 1 {
  if (prediction.trim() === '') return 0;
  return golds.some((g) => squadF1(prediction, g) >= threshold) ? 1 : 0;
}

/** A built-in reward as a function of (prediction, golds). */
export function builtinReward(
  task: AnswerTask,
  name: BuiltinReward,
  s: ScoringSettings = {},
): (prediction: string, golds: readonly string[]) => number {
  switch (name) {
    case 'exact':
      return (p, g) => exactMatchReward(task, p, g);
    case 'relaxed':
      return (p, g) => (relaxedMatch(task, p, g) ? 1 : 0);
    case 'numeric':
      return (p, g) => numericReward(p, g, s.numeric_tolerance);
    case 'f1':
      return (p, g) => f1Reward(p, g, s.f1_threshold);
  }
}

/** The study's scoring of a task: the `tags` extraction and the exact-match reward. */
export function defaultScoring(task: AnswerTask): TaskScoring {
  return {
    task,
    extract: (c) => extractAnswer(c).answer,
    reward: (item, p) => exactMatchReward(task, p, item.golds ?? []),
    chosen: false,
    checkGold: () => null,
  };
}

/** The scoring of a task's settings; a reward module is imported here, so its errors come before any run starts. */
export async function loadScoring(task: AnswerTask, s: ScoringSettings): Promise<TaskScoring> {
  const rule = s.extract ?? 'tags';
  const pattern = s.answer_pattern === undefined ? undefined : compileAnswerPattern(s.answer_pattern);
  if (rule === 'pattern' && !pattern) throw new UserError('task.extract: "pattern" needs task.answer_pattern');
  const extract =
    rule === 'tags' ? (c: string) => extractAnswer(c).answer : (c: string) => extractAnswerBy(rule, c, pattern);
  const scoring = { ...defaultScoring(task), extract };
  if (s.reward === undefined) return scoring;
  if ((BUILTIN_REWARDS as readonly string[]).includes(s.reward)) {
    const name = s.reward as BuiltinReward;
    const fn = builtinReward(task, name, s);
    const checkGold = (r: TaskRecord) =>
      name === 'numeric' && lastNumber(r.answer) === null
        ? `answer: "${r.answer}" has no number (task.reward: numeric)`
        : null;
    return { ...scoring, reward: (item, p) => fn(p, item.golds ?? []), chosen: true, checkGold };
  }
  if (!isRewardModulePath(s.reward)) {
    throw new UserError(
      `task.reward: expected one of ${BUILTIN_REWARDS.join(', ')} or a path to a module (.mjs or .js), got "${s.reward}"`,
    );
  }
  const fn = await loadRewardModule(s.reward);
  return {
    ...scoring,
    reward: (item, p, c) => {
      const r = item.record;
      if (!r) throw new Error('a reward module needs the record of each question');
      return fn(r.task === 'jsonl' ? r.meta.raw : (r as unknown as Record<string, unknown>), r.id, p, c);
    },
    chosen: true,
  };
}

/**
 * Answers and rewards of a step's completions (per question, per rollout). Built-in rewards are computed
 * synchronously; only a module's promises are awaited, all together.
 */
export async function scoreCompletions(
  scoring: TaskScoring,
  items: readonly RewardInput[],
  completions: readonly (readonly string[])[],
): Promise<{ answers: string[][]; rewards: number[][] }> {
  const answers = completions.map((group) => group.map((c) => scoring.extract(c)));
  const values = answers.map((group, g) => group.map((a, m) => scoring.reward(items[g]!, a, completions[g]![m]!)));
  const pending = values.some((group) => group.some((v) => typeof v !== 'number'));
  const rewards = pending ? await Promise.all(values.map((group) => Promise.all(group))) : (values as number[][]);
  return { answers, rewards };
}
