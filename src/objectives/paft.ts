/**
 * PAFT(q), posterior-attenuated fine-tuning (the paper's Alg. 2), for one group of M rationales.
 *
 * Draw K indices r_1..r_K with replacement from Categorical(w_m / sum_j w_j) (the posterior over
 * the sampled rationales), then teacher-forced SFT on (x*, z_{r_k}, y*) with one scalar weight:
 *
 *   weight = W^(1-q) / (M^q * K),   W = mean_m w_m held constant.
 *
 * A sample drawn n_m times gets n_m * weight on every rationale and answer token (duplicates add);
 * a sample never drawn gets 0. No baseline, no ratio clipping. Given the samples, the expectation
 * over the draws is GARL's plug-in form (baseline 'none'):  E[n_m] * weight = w_m / (W^q M^q M).
 *
 * Edge cases: W = 0 (every log w_m = -Infinity) has nothing to draw from, so every coefficient is 0
 * and `degenerate` is true; the Rng is not advanced. Draws are made in log space (probabilities
 * relative to the largest w_m), so underflowing w_m are handled.
 */
import type { Rng } from '../util/rng.js';
import type { GroupCoefficients } from './coefficients.js';
import { checkLogLikelihoods, checkQ } from './garl.js';
import { logMeanExp, powFromLog } from './tsallis.js';
// Math functions bound once: global lookups are slow inside test sandboxes (vm contexts).
const { exp, pow } = Math;

export interface PaftOptions {
  q: number;
  /** Number of draws (default M; the paper uses K = M = 32). */
  k?: number;
  /** Multiply by the paper's 1/M^q (default true); false estimates grad ln_q P itself, as GARL's option. */
  scaleByMq?: boolean;
}

export interface PaftGroup extends GroupCoefficients {
  /** How many of the K draws picked each sample. */
  counts: number[];
  /** The per-draw weight W^(1-q) / (M^q K). */
  weight: number;
  W: number;
  logW: number;
  degenerate: boolean;
}

/** The resampling distribution w_m / sum_j w_j (all zeros when W = 0). */
export function paftSelectionProbabilities(logW: readonly number[]): number[] {
  checkLogLikelihoods('paft', logW);
  const max = Math.max(...logW);
  if (max === -Infinity) return logW.map(() => 0);
  const rel = logW.map((l) => exp(l - max));
  const total = rel.reduce((a, b) => a + b, 0);
  return rel.map((r) => r / total);
}

/** The per-draw weight W^(1-q) / (M^q K), from log W. */
export function paftWeight(logMeanW: number, q: number, M: number, K: number): number {
  return powFromLog(logMeanW, 1 - q) / (pow(M, q) * K);
}

export function paft(logW: readonly number[], options: PaftOptions, rng: Rng): PaftGroup {
  const { q } = options;
  checkQ('paft', q);
  const probs = paftSelectionProbabilities(logW);
  const M = logW.length;
  const K = options.k ?? M;
  if (!(Number.isInteger(K) && K >= 1)) throw new RangeError(`paft: k must be a positive integer, got ${K}`);
  const logMean = logMeanExp(logW);
  const counts = logW.map(() => 0);
  if (logMean === -Infinity) {
    return {
      sequences: logW.map(() => ({ rationale: 0, answer: 0 })),
      counts,
      weight: 0,
      W: 0,
      logW: -Infinity,
      degenerate: true,
    };
  }
  for (let k = 0; k < K; k++) counts[drawIndex(probs, rng)]!++;
  const weight = paftWeight(logMean, q, M, K) * (options.scaleByMq === false ? pow(M, q) : 1);
  return {
    sequences: counts.map((n) => ({ rationale: n * weight, answer: n * weight })),
    counts,
    weight,
    W: exp(logMean),
    logW: logMean,
    degenerate: false,
  };
}

/**
 * Inverse-CDF draw: the first index whose cumulative probability exceeds u ~ U[0, 1). Indices with
 * probability 0 are never drawn; rounding that leaves the total short of 1 falls to the last index
 * with positive probability.
 */
export function drawIndex(probs: readonly number[], rng: Rng): number {
  const u = rng.uniform();
  let cum = 0,
    last = -1;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i]! <= 0) continue;
    cum += probs[i]!;
    last = i;
    if (u < cum) return i;
  }
  if (last < 0) throw new RangeError('drawIndex: no index has positive probability');
  return last;
}
