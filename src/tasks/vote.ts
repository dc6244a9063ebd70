/** Majority voting over sampled answers (m@k), on task-normalised answers. */
import { normalizeAnswer } from './normalize.js';
import type { TaskName } from './record.js';

export interface Vote {
  /** The winning normalised answer; null when no sample produced a non-empty answer. */
  key: string | null;
  /** The first raw answer with the winning key. */
  answer: string | null;
  /** How many samples voted for it. */
  count: number;
}

/**
 * The most frequent normalised answer. Empty answers do not vote; a tie goes to the answer that appeared
 * first among the samples (so the result depends only on the samples and their order).
 */
export function majorityVote(task: TaskName, answers: readonly string[]): Vote {
  const counts = new Map<string, { count: number; first: number }>();
  answers.forEach((a, i) => {
    const k = normalizeAnswer(task, a);
    if (k === '') return;
    const c = counts.get(k);
    if (c) c.count++;
    else counts.set(k, { count: 1, first: i });
  });
  let best: string | null = null;
  let bc = { count: 0, first: Infinity };
  for (const [k, c] of counts) {
    if (c.count > bc.count || (c.count === bc.count && c.first < bc.first)) {
      best = k;
      bc = c;
    }
  }
  return { key: best, answer: best === null ? null : answers[bc.first]!, count: bc.count };
}
