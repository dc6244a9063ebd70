/**
 * The minimiser of J_Q for a categorical model fitted to data frequencies alpha.
 *
 *   J_Q(theta) = -sum_j alpha_j ln_q(theta_j),   theta = softmax(logits).
 *
 * Stationarity on the simplex gives alpha_j theta_j^-q = const, so for q in (0, 1] the minimiser is
 * the escort distribution theta_j = alpha_j^(1/q) / sum_k alpha_k^(1/q) (q = 1: theta = alpha, the
 * maximum-likelihood fit). At q = 0, J_0 = 1 - sum_j alpha_j theta_j is linear and its minimiser
 * is the vertex on the mode: gradient descent moves all the mass there (1 - theta_mode ~ 1/t).
 */

const { exp, pow } = Math;

/** alpha^(1/q) / sum alpha^(1/q); at q = 0, the one-hot vector on the (first) mode. */
export function escortDistribution(alpha: readonly number[], q: number): number[] {
  if (q === 0) {
    const mode = alpha.indexOf(Math.max(...alpha));
    return alpha.map((_, j) => (j === mode ? 1 : 0));
  }
  // divide by the largest alpha first: alpha^(1/q) underflows for small q
  const top = Math.max(...alpha);
  const e = alpha.map((a) => pow(a / top, 1 / q));
  const s = e.reduce((x, y) => x + y, 0);
  return e.map((x) => x / s);
}

/**
 * dJ_Q/dlogit_k = -alpha_k theta_k^(1-q) + theta_k sum_j alpha_j theta_j^(1-q)
 * (from dJ/dtheta_j = -alpha_j theta_j^-q and the softmax Jacobian).
 */
export function categoricalGradient(alpha: readonly number[], theta: readonly number[], q: number): number[] {
  const a = theta.map((t, j) => alpha[j]! * pow(t, 1 - q));
  const s = a.reduce((x, y) => x + y, 0);
  return theta.map((t, k) => -a[k]! + t * s);
}

export function softmax(logits: readonly number[]): number[] {
  const max = Math.max(...logits);
  const e = logits.map((l) => exp(l - max));
  const s = e.reduce((x, y) => x + y, 0);
  return e.map((x) => x / s);
}

export interface DescentResult {
  theta: number[];
  steps: number;
  /** largest |dJ/dlogit| at the end */
  gradNorm: number;
}

/**
 * Gradient descent on J_Q over the logits, from uniform logits, until the largest gradient
 * component is below `gradTol` or `maxSteps` have been taken.
 */
export function minimiseCategorical(
  alpha: readonly number[],
  q: number,
  options: { lr?: number; maxSteps?: number; gradTol?: number; logits?: readonly number[] } = {},
): DescentResult {
  const { lr = 1, maxSteps = 200_000, gradTol = 1e-13 } = options;
  const logits = options.logits ? options.logits.slice() : alpha.map(() => 0);
  let theta = softmax(logits),
    gradNorm = Infinity,
    steps = 0;
  for (; steps < maxSteps; steps++) {
    const g = categoricalGradient(alpha, theta, q);
    gradNorm = Math.max(...g.map(Math.abs));
    if (gradNorm < gradTol) break;
    for (let k = 0; k < logits.length; k++) logits[k]! -= lr * g[k]!;
    theta = softmax(logits);
  }
  return { theta, steps, gradNorm };
}
