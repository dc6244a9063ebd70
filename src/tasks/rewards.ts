/**
 * Per-sample correctness. Training uses the exact-match reward; evaluation uses the study's relaxed match.
 * Both compare task-normalised strings (normalize.ts) against the gold answer and its aliases, and an empty
 * (unextractable) prediction is never correct.
 */
import { normalizeAnswer } from './normalize.js';
import type { AnswerTask } from './record.js';

/** 1 when the normalised prediction equals the normalised gold answer or an alias, else 0. */
export function exactMatchReward(task: AnswerTask, prediction: string, golds: readonly string[]): 0 | 1 {
  const p = normalizeAnswer(task, prediction);
  if (p === '') return 0;
  return golds.some((g) => normalizeAnswer(task, g) === p) ? 1 : 0;
}

/**
 * The study's relaxed match: correct when a normalised gold answer (or alias) is a substring of the normalised
 * prediction. Plain substring, as the paper states: "no" also matches inside "not known" — the price of comparability.
 */
export function relaxedMatch(task: AnswerTask, prediction: string, golds: readonly string[]): boolean {
  const p = normalizeAnswer(task, prediction);
  if (p === '') return false;
  return golds.some((g) => {
    const n = normalizeAnswer(task, g);
    return n !== '' && p.includes(n);
  });
}
