/**
 * Small statistics of training and probing: quantiles, a binomial upper bound, the
 * rollouts' entropy estimate and the norm of AdamW's first update.
 */
import type { Rollout } from '../runtime/rollout.js';

export interface Quantiles {
  p10: number;
  p50: number;
  p90: number;
}

/** Quantile by linear interpolation between order statistics (numpy's default). */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export function quantiles(xs: readonly number[]): Quantiles {
  const s = [...xs].sort((a, b) => a - b);
  return { p10: quantile(s, 0.1), p50: quantile(s, 0.5), p90: quantile(s, 0.9) };
}

/** One-sided 95% upper confidence bound of a binomial proportion (Clopper-Pearson), by bisection. */
export function binomialUpper95(k: number, n: number): number {
  if (n === 0) return 1;
  if (k >= n) return 1;
  // P(X <= k | p) = 0.05, decreasing in p.
  const cdf = (p: number): number => {
    let term = (1 - p) ** n,
      sum = term;
    for (let i = 1; i <= k; i++) {
      term *= ((n - i + 1) / i) * (p / (1 - p));
      sum += term;
    }
    return sum;
  };
  let lo = k / n,
    hi = 1;
  for (let it = 0; it < 100; it++) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) > 0.05) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Mean of -log p(token) under the sampling distribution over the sampled tokens of rollouts (forced
 * closes left out): an unbiased estimate of the policy's per-token entropy, nats. NaN without tokens.
 */
export function rolloutEntropy(rollouts: readonly Rollout[], forcedCount: number): number {
  let sum = 0,
    tokens = 0;
  for (const r of rollouts) {
    for (const lp of r.samplingLogprobs) sum -= lp;
    tokens += r.tokens.length - (r.thinkingForced ? forcedCount : 0);
  }
  return tokens > 0 ? sum / tokens : NaN;
}

/** The norm of SGD's first update, lr * g (momentum's buffer starts at g; weight decay left out), from the clipped g. */
export function sgdFirstStepNorm(grads: Iterable<Float32Array>, lr: number): number {
  let sum = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sum += g[i]! * g[i]!;
  return lr * Math.sqrt(sum);
}

/**
 * The norm of AdamW's first update, lr * g / (|g| + eps) per coordinate (bias-corrected m = g and
 * v = g^2 at step 1; weight decay left out): about lr * sqrt(n) where |g| >> eps (sign-like), about
 * (lr / eps) * |g| where |g| << eps (SGD at lr / eps).
 */
export function adamFirstStepNorm(grads: Iterable<Float32Array>, lr: number, eps: number): number {
  let sum = 0;
  for (const g of grads) {
    for (let i = 0; i < g.length; i++) {
      const u = g[i]! / (Math.abs(g[i]!) + eps);
      sum += u * u;
    }
  }
  return lr * Math.sqrt(sum);
}
