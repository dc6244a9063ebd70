/**
 * Label noise: two labels, the data shows the wrong one with probability eps. The model's
 * probability of the wrong label is pi = sigmoid(x), trained on
 *   J_Q = -(1 - eps) ln_q(1 - pi) - eps ln_q(pi).
 *
 * - q in (0, 1]: the minimiser is the escort of (1 - eps, eps): pi* / (1 - pi*) = (eps / (1-eps))^(1/q)
 *   exactly, so pi* ~ (eps / (1 - eps))^(1/q) when that is small (relative error pi* itself). q = 1
 *   memorises the noise at its data rate (pi* = eps); smaller q memorise far less.
 * - q = 0: J_0 = eps + (1 - 2 eps) pi is minimised at pi = 0: the model never memorises. Gradient
 *   flow on x gives d(e^-x)/dt = (1 - 2 eps)(1 - pi)^2, so pi(t) ~ 1 / ((1 - 2 eps) t) -> 0.
 * - Early memorisation with pi as the parameter (the paper's Theta form): d pi / dt = eps pi^-q -
 *   (1 - eps)(1 - pi)^-q, so reaching a contamination eta << pi* takes about eta^(q+1) / ((q+1) eps).
 */
import { integrate } from './quadrature.js';

const { exp, pow } = Math;

/** The exact equilibrium pi* for q in (0, 1] (0 for q = 0). */
export function noiseEquilibrium(eps: number, q: number): number {
  if (q === 0) return 0;
  const r = pow(eps / (1 - eps), 1 / q);
  return r / (1 + r);
}

/** The approximation (eps / (1 - eps))^(1/q). */
export function noiseEquilibriumApprox(eps: number, q: number): number {
  return q === 0 ? 0 : pow(eps / (1 - eps), 1 / q);
}

/** dJ_Q/dx for pi = sigmoid(x): pi (1 - pi) [(1 - eps)(1 - pi)^-q - eps pi^-q]. */
export function noiseGradient(pi: number, eps: number, q: number): number {
  return pi * (1 - pi) * ((1 - eps) * pow(1 - pi, -q) - eps * pow(pi, -q));
}

/** Gradient descent on the logit x from pi0, for `steps` steps (or until the gradient is below gradTol). */
export function trainNoisyLabel(
  eps: number,
  q: number,
  options: { pi0?: number; lr?: number; steps?: number; gradTol?: number } = {},
): { pi: number; steps: number } {
  const { pi0 = 0.5, lr = 1, steps = 100_000, gradTol = 0 } = options;
  let x = Math.log(pi0 / (1 - pi0));
  let t = 0;
  for (; t < steps; t++) {
    const pi = 1 / (1 + exp(-x));
    const g = noiseGradient(pi, eps, q);
    if (Math.abs(g) <= gradTol) break;
    x -= lr * g;
  }
  return { pi: 1 / (1 + exp(-x)), steps: t };
}

/** Time for the direct-parameter flow d pi/dt = eps pi^-q - (1-eps)(1-pi)^-q to go from 0 to eta (< pi*). */
export function contaminationTime(eps: number, q: number, eta: number): number {
  if (!(q > 0 && eta > 0 && eta < noiseEquilibrium(eps, q)))
    throw new RangeError('contaminationTime: need q > 0 and 0 < eta < pi*');
  // integrand pi^q / (eps - (1-eps) pi^q (1-pi)^-q): finite at 0, singular only at pi*
  return integrate((pi) => pow(pi, q) / (eps - (1 - eps) * pow(pi / (1 - pi), q)), 0, eta, { tol: 1e-14 * eta });
}

/** The leading form eta^(q+1) / ((q+1) eps). */
export function contaminationTimeLeading(eps: number, q: number, eta: number): number {
  return pow(eta, q + 1) / ((q + 1) * eps);
}

/**
 * The equilibrium found numerically, independently of the closed form: the root in pi of the
 * bracket (1 - eps)(1 - pi)^-q - eps pi^-q (increasing in pi), by bisection on the logit to
 * machine precision.
 */
export function noiseEquilibriumNumeric(eps: number, q: number): number {
  if (q === 0) return 0;
  const h = (x: number) => {
    const pi = 1 / (1 + exp(-x));
    return (1 - eps) * pow(1 - pi, -q) - eps * pow(pi, -q);
  };
  let lo = -745,
    hi = 0; // h(lo) < 0 <= h(hi) for eps < 1/2
  for (let i = 0; i < 200 && hi - lo > 1e-15 * Math.max(1, Math.abs(lo)); i++) {
    const mid = (lo + hi) / 2;
    if (h(mid) < 0) lo = mid;
    else hi = mid;
  }
  return 1 / (1 + exp(-(lo + hi) / 2));
}
