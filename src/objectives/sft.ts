/**
 * SFT on given (prompt, target) pairs: coefficient `weight` (default 1) on every target token, so
 * the loss is the weighted negative log-likelihood. A target with a rationale and an answer gets
 * the same weight on both; a target with no rationale simply has no rationale tokens. Aggregation
 * 'token-mean' (the usual SFT loss) is the default. No ratio clipping.
 */
import type { GroupCoefficients } from './coefficients.js';

export function sft(weights: readonly number[]): GroupCoefficients {
  if (weights.length === 0) throw new RangeError('sft: a group needs at least one target');
  for (const [i, w] of weights.entries()) {
    if (!Number.isFinite(w)) throw new RangeError(`sft: weight ${i} is not a finite number (${w})`);
  }
  return { sequences: weights.map((w) => ({ rationale: w, answer: w })) };
}
