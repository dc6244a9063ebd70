/**
 * The escape-time scaling in a softmax model trained by plain gradient descent on J_Q, not only in
 * the scalar ODE.
 *
 * A categorical over V outcomes with logits theta, one correct outcome y*, P = softmax(theta)_y*.
 * The loss -ln_q P has gradient -P^(1-q) (e_y* - p) in the logits. Starting with every wrong logit
 * at 0 and P = p0, gradient descent with step size lr runs until P >= delta; the steps taken are
 * the escape time. In continuous time the wrong outcomes stay equal, so
 *   dP/dt = P^(2-q) [(1-P)^2 + sum_{j != y*} p_j^2] = P^(2-q) (1-P)^2 V / (V-1),
 * which is the sigmoid ODE sped up by V / (V-1): steps ~ T_q(p0) (V-1) / (V lr).
 */

const { exp, log, pow } = Math;

export interface SoftmaxEscapeOptions {
  q: number;
  p0: number;
  /** number of outcomes (default 8) */
  vocab?: number;
  /** gradient-descent step size (default 0.5) */
  lr?: number;
  /** escape threshold (default 0.5) */
  delta?: number;
  /** give up after this many steps (default 1e8) */
  maxSteps?: number;
}

/** Gradient-descent steps until P >= delta (Infinity if maxSteps is reached first). */
export function softmaxEscapeSteps(options: SoftmaxEscapeOptions): number {
  const { q, p0, vocab = 8, lr = 0.5, delta = 0.5, maxSteps = 1e8 } = options;
  if (!(p0 > 0 && p0 < delta)) throw new RangeError(`softmaxEscapeSteps: need 0 < p0 < delta, got ${p0}`);
  if (!(Number.isInteger(vocab) && vocab >= 2))
    throw new RangeError(`softmaxEscapeSteps: vocab must be an integer >= 2, got ${vocab}`);
  const theta = new Float64Array(vocab); // outcome 0 is y*
  theta[0] = log((p0 * (vocab - 1)) / (1 - p0));
  const p = new Float64Array(vocab);
  for (let step = 0; step < maxSteps; step++) {
    let max = -Infinity;
    for (let j = 0; j < vocab; j++) if (theta[j]! > max) max = theta[j]!;
    let z = 0;
    for (let j = 0; j < vocab; j++) {
      p[j] = exp(theta[j]! - max);
      z += p[j]!;
    }
    for (let j = 0; j < vocab; j++) p[j]! /= z;
    const P = p[0]!;
    if (P >= delta) return step;
    // descent on -ln_q P: theta += lr * P^(1-q) * (e_y* - p)
    const g = lr * pow(P, 1 - q);
    for (let j = 0; j < vocab; j++) theta[j]! += g * ((j === 0 ? 1 : 0) - p[j]!);
  }
  return Infinity;
}

/** The continuous-time prediction of the step count: T_q(p0) (V-1) / (V lr). */
export function softmaxEscapePrediction(escapeTimeValue: number, vocab: number, lr: number): number {
  return (escapeTimeValue * (vocab - 1)) / (vocab * lr);
}
