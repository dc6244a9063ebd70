/** Majority voting over sampled answers (m@k), on task-normalised answers. */
import { normalizeAnswer } from './normalize.js';
import type { AnswerTask } from './record.js';

export interface Vote {
  /** The winning normalised answer; null when "no answer" won (or, abstaining, when no sample had an answer). */
  key: string | null;
  /** The first raw answer with the winning key; null when key is null. */
  answer: string | null;
  /** How many samples voted for it (for "no answer": the empty samples). */
  count: number;
}

export interface VoteOptions {
  /**
   * false (default): every sample votes, and an answer that is empty after normalisation votes for
   * "no answer", a candidate that is never correct. true: empty answers abstain.
   */
  abstain?: boolean;
}

/**
 * The most frequent normalised answer. A tie goes to the candidate that appeared first among the
 * samples ("no answer" included, at its first empty sample), so the result depends only on the
 * samples and their order.
 */
export function majorityVote(task: AnswerTask, answers: readonly string[], options: VoteOptions = {}): Vote {
  // "no answer" is the key null; no normalised answer is null, so it cannot collide with a real one.
  const counts = new Map<string | null, { count: number; first: number }>();
  answers.forEach((a, i) => {
    const n = normalizeAnswer(task, a);
    if (n === '' && options.abstain) return;
    const k = n === '' ? null : n;
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
