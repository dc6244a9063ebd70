/**
 * Official answer metrics, pure functions.
 * HotPotQA (hotpot_evaluate_v1.py): EM = equal after normalisation; F1 over token multisets, 0 when either side
 * normalises to yes / no / noanswer and the two differ, and 0 when no token is shared (so two empty answers get 0).
 * MuSiQue (metrics/answer.py, SQuAD style): no yes/no rule; when either side has no tokens F1 = 1 if both are empty,
 * else 0; EM and F1 are each the maximum over [answer] + answer_aliases.
 */
import { pySplit, squadNormalize } from './normalize.js';

/** Token-multiset F1 of two token lists that share at least one token (else 0). */
function tokenF1(pred: string[], gold: string[]): number {
  const counts = new Map<string, number>();
  for (const t of gold) counts.set(t, (counts.get(t) ?? 0) + 1);
  let same = 0;
  for (const t of pred) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      same++;
      counts.set(t, c - 1);
    }
  }
  if (same === 0) return 0;
  const precision = same / pred.length,
    recall = same / gold.length;
  return (2 * precision * recall) / (precision + recall);
}

export function hotpotExactMatch(prediction: string, gold: string): number {
  return squadNormalize(prediction) === squadNormalize(gold) ? 1 : 0;
}

const SPECIAL = ['yes', 'no', 'noanswer'];

export function hotpotF1(prediction: string, gold: string): number {
  const p = squadNormalize(prediction),
    g = squadNormalize(gold);
  if ((SPECIAL.includes(p) || SPECIAL.includes(g)) && p !== g) return 0;
  return tokenF1(pySplit(p), pySplit(g));
}

export function squadExactMatch(prediction: string, gold: string): number {
  return squadNormalize(prediction) === squadNormalize(gold) ? 1 : 0;
}

export function squadF1(prediction: string, gold: string): number {
  const p = prediction ? pySplit(squadNormalize(prediction)) : [];
  const g = gold ? pySplit(squadNormalize(gold)) : [];
  if (p.length === 0 || g.length === 0) return p.length === g.length ? 1 : 0;
  return tokenF1(p, g);
}

/** MuSiQue EM and F1 of one prediction: each the maximum over the gold answer and its aliases. */
export function musiqueScores(prediction: string, golds: readonly string[]): { em: number; f1: number } {
  let em = 0,
    f1 = 0;
  for (const g of golds) {
    em = Math.max(em, squadExactMatch(prediction, g));
    f1 = Math.max(f1, squadF1(prediction, g));
  }
  return { em, f1 };
}
