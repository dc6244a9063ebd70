/**
 * GARL(q), gradient-amplified RL (the paper's Alg. 1), for one group of M rationales z_1..z_M.
 *
 * Input: log w_m, where w_m = p(y* | x*, z_m) is the teacher-forced probability of the gold answer
 * after rationale m. With W = mean_m w_m and W_-m the mean of the other M - 1 weights,
 *
 *   c_m = w_m / W^q - W_-m^(1-q)                      (leave-one-out baseline)
 *   rationale tokens of m:  c_m / (M^q * M)
 *   answer tokens of m:     w_m / (W^q * M^q * M)
 *
 * so that -sum_m [rationale coef * grad log p(z_m) + answer coef * grad log w_m] estimates
 * M^-q * grad(-ln_q P), with W held constant. The 1/M^q factor (the paper's) keeps the effective
 * reward w_m / (W^q M^q) inside [0, 1]; it is a per-q constant step size, and `scaleByMq: false`
 * drops it (giving an estimator of grad ln_q P itself, as the theory studies use).
 * q = 0: Rao-Blackwellised RLOO (unbiased for grad P). q = 1: self-normalised (IWAE-style).
 *
 * Everything is computed from log w_m, so rationales whose answer probability underflows in linear
 * space (w_m = 1e-400) keep their exact ratios w_m / W^q.
 *
 * Defined edge cases:
 * - W = 0 (every log w_m = -Infinity): no rollout gives the gold answer any mass, so there is no
 *   signal; every coefficient is 0 and `degenerate` is true. (At q = 0 the formula gives 0 anyway;
 *   for q > 0 it would be 0/0.)
 * - M = 1: the leave-one-out mean is undefined; the baseline is 0, so c_1 = w_1^(1-q) (REINFORCE
 *   without a baseline; at q = 1 this is SFT on the one sample, the M = 1 self-normalised form).
 * - W_-m = 0 with q = 1: W_-m^0 = 1 (0^0 = 1, the q = 1 baseline is the constant 1).
 * - An empty rationale: the caller has no rationale tokens for that sequence; its coefficient is
 *   still defined and simply multiplies nothing.
 */
import type { GroupCoefficients } from './coefficients.js';
import { leaveOneOutLogMeans, logMeanExp, powFromLog } from './tsallis.js';
// Math functions bound once: global lookups are slow inside test sandboxes (vm contexts).
const { exp, pow } = Math;

export interface GarlOptions {
  q: number;
  /** 'leave-one-out' (the paper's Alg. 1, default) or 'none' (the plug-in form: c_m = w_m / W^q). */
  baseline?: 'leave-one-out' | 'none';
  /** Multiply by the paper's 1/M^q (default true). */
  scaleByMq?: boolean;
}

export interface GarlGroup extends GroupCoefficients {
  /** c_m = w_m / W^q - baseline_m. */
  c: number[];
  /** baseline_m = W_-m^(1-q) (0 when M = 1 or baseline 'none'). */
  baselines: number[];
  /** w_m / (W^q M^q), in [0, 1]. */
  effectiveRewards: number[];
  /** W = mean_m w_m (0 when it underflows; see logW). */
  W: number;
  logW: number;
  /** max_m c_m / M^q: the paper's cold-start diagnostic. */
  maxScaledC: number;
  /** True when W = 0 and every coefficient is 0. */
  degenerate: boolean;
}

export function garl(logW: readonly number[], options: GarlOptions): GarlGroup {
  const { q, baseline = 'leave-one-out', scaleByMq = true } = options;
  checkQ('garl', q);
  checkLogLikelihoods('garl', logW);
  const M = logW.length;
  const logMean = logMeanExp(logW);
  const mq = pow(M, q);
  const scale = (scaleByMq ? 1 / mq : 1) / M;
  if (logMean === -Infinity) {
    const zeros = logW.map(() => 0);
    return {
      sequences: logW.map(() => ({ rationale: 0, answer: 0 })),
      c: zeros,
      baselines: zeros.slice(),
      effectiveRewards: zeros.slice(),
      W: 0,
      logW: -Infinity,
      maxScaledC: 0,
      degenerate: true,
    };
  }
  // w_m / W^q, from logs: exact even when w_m and W underflow.
  const ratio = logW.map((lw) => (lw === -Infinity ? 0 : exp(lw - q * logMean)));
  const baselines =
    baseline === 'none' || M === 1 ? logW.map(() => 0) : leaveOneOutLogMeans(logW).map((l) => powFromLog(l, 1 - q));
  const c = ratio.map((r, m) => r - baselines[m]!);
  return {
    sequences: c.map((cm, m) => ({ rationale: cm * scale, answer: ratio[m]! * scale })),
    c,
    baselines,
    effectiveRewards: ratio.map((r) => r / mq),
    W: exp(logMean),
    logW: logMean,
    maxScaledC: Math.max(...c) / mq,
    degenerate: false,
  };
}

export function checkQ(who: string, q: number): void {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`${who}: q must be in [0, 1], got ${q}`);
}

/** Log answer likelihoods: a non-empty list of log-probabilities (<= 0, -Infinity allowed). */
export function checkLogLikelihoods(who: string, logW: readonly number[]): void {
  if (logW.length === 0) throw new RangeError(`${who}: a group needs at least one rollout`);
  for (const [i, l] of logW.entries()) {
    // a little slack above 0 for summed float32 log-probs of a certain answer
    if (Number.isNaN(l) || l > 1e-6)
      throw new RangeError(`${who}: log w[${i}] must be a log-probability (<= 0), got ${l}`);
  }
}
