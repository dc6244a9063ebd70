/**
 * The Tsallis q-logarithm and the log-space helpers the estimators are written with.
 *
 *   ln_q(u) = (u^(1-q) - 1) / (1 - q),  ln_1(u) = ln(u),  d/du ln_q(u) = u^(-q).
 *
 * J_Q = -ln_q P interpolates between 1 - P (q = 0, expected exact-match reward) and -log P
 * (q = 1, marginal likelihood). Probabilities that underflow in linear space (a teacher-forced
 * answer probability over a long answer can be 1e-400) are handled as logs throughout.
 */
// Math functions bound once: global lookups are slow inside test sandboxes (vm contexts).
const { exp, log, log1p, expm1 } = Math;

/** ln_q(u) for u >= 0. ln_q(0) = -1/(1-q) for q < 1 and -Infinity for q >= 1. */
export function lnQ(u: number, q: number): number {
  if (!(u >= 0)) throw new RangeError(`lnQ: u must be >= 0, got ${u}`);
  return lnQFromLog(log(u), q);
}

/**
 * ln_q(u) from log u, accurate near q = 1 (expm1 avoids the cancellation in u^(1-q) - 1) and for
 * u far below the smallest double.
 */
export function lnQFromLog(logU: number, q: number): number {
  if (Number.isNaN(logU) || Number.isNaN(q)) return NaN;
  const a = 1 - q;
  if (a === 0) return logU;
  if (logU === -Infinity) return a > 0 ? -1 / a : -Infinity;
  return expm1(a * logU) / a;
}

/** d/du ln_q(u) = u^(-q). */
export function lnQDerivative(u: number, q: number): number {
  if (!(u >= 0)) throw new RangeError(`lnQDerivative: u must be >= 0, got ${u}`);
  return powFromLog(log(u), -q);
}

/** x^a from log x, with 0^0 = 1 (so W^(1-q) = 1 at q = 1 even when W = 0) and 0^a = Infinity for a < 0. */
export function powFromLog(logX: number, a: number): number {
  if (a === 0) return 1;
  if (logX === -Infinity) return a > 0 ? 0 : Infinity;
  return exp(a * logX);
}

/** log(sum_i exp(x_i)); -Infinity for an empty list or when every term is -Infinity. */
export function logSumExp(xs: readonly number[]): number {
  let max = -Infinity;
  for (const x of xs) {
    if (Number.isNaN(x)) return NaN;
    if (x > max) max = x;
  }
  if (max === -Infinity) return -Infinity;
  if (max === Infinity) return Infinity;
  let s = 0;
  for (const x of xs) s += exp(x - max);
  return max + log(s);
}

/** log(mean_i exp(x_i)); -Infinity for an empty list. */
export function logMeanExp(xs: readonly number[]): number {
  if (xs.length === 0) return -Infinity;
  return logSumExp(xs) - log(xs.length);
}

/**
 * Leave-one-out log means: out[m] = log(mean_{j != m} exp(x_j)), computed from prefix and suffix
 * log-sum-exps (O(M), no subtraction, so no cancellation when one term dominates).
 * For a single element the leave-one-out mean is undefined and out[0] = NaN; callers decide.
 */
export function leaveOneOutLogMeans(xs: readonly number[]): number[] {
  const n = xs.length;
  if (n === 1) return [NaN];
  const prefix = new Array<number>(n + 1).fill(-Infinity);
  const suffix = new Array<number>(n + 1).fill(-Infinity);
  for (let i = 0; i < n; i++) prefix[i + 1] = logAddExp(prefix[i]!, xs[i]!);
  for (let i = n - 1; i >= 0; i--) suffix[i] = logAddExp(suffix[i + 1]!, xs[i]!);
  const logOthers = log(n - 1);
  return xs.map((_, m) => logAddExp(prefix[m]!, suffix[m + 1]!) - logOthers);
}

/** log(exp(a) + exp(b)). */
export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b));
}
