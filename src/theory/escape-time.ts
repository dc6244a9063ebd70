/**
 * Escape times of the gradient flow on J_Q for the sigmoid model.
 *
 * With p = sigmoid(x) and loss -ln_q p, gradient flow gives dp/dt = p^(2-q) (1-p)^2, so the time
 * to go from p0 to delta is
 *   T_q(p0) = integral_{p0}^{delta} du / (u^(2-q) (1-u)^2).
 * Substituting u = e^s turns it into the smooth integral of e^((q-1) s) / (1 - e^s)^2 over
 * s in [log p0, log delta], done by adaptive Simpson to a relative error of about 1e-12 (the tests
 * check it against the closed-form series sum_k (k+1) [u^(k+q-1) / (k+q-1)] to 1e-10).
 * Asymptotics as p0 -> 0: T_q ~ p0^-(1-q) / (1-q) for q < 1 (T_0 ~ 1/p0), T_1 ~ log(1/p0).
 */
import { integrate } from './quadrature.js';

const { exp, log, pow } = Math;

export function escapeTime(q: number, p0: number, delta = 0.5): number {
  if (!(p0 > 0 && p0 < delta && delta < 1))
    throw new RangeError(`escapeTime: need 0 < p0 < delta < 1, got p0 = ${p0}, delta = ${delta}`);
  const a = log(p0),
    b = log(delta);
  // the integrand is at most exp((q-1) a) / (1-delta)^2; a relative target on the total
  const scale = exp((q - 1) * a) * (b - a);
  return integrate(
    (s) => {
      const u = exp(s);
      return exp((q - 1) * s) / ((1 - u) * (1 - u));
    },
    a,
    b,
    { tol: 1e-13 * scale },
  );
}

/** The leading term as p0 -> 0: p0^-(1-q) / (1-q) for q < 1 and log(1/p0) at q = 1. */
export function escapeTimeAsymptotic(q: number, p0: number): number {
  return q === 1 ? -log(p0) : pow(p0, q - 1) / (1 - q);
}
