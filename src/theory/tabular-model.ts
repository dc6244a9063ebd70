/**
 * The tabular model: a question with n possible rationales z_1..z_n, where everything the
 * estimators need is known in closed form.
 *
 *   p(z_j)      = softmax(theta)_j                (the rationale policy)
 *   p(y* | z_j) = b_j = sigmoid(phi_j)            (the answer, with its own parameters)
 *   P           = sum_j p_j b_j
 *   dP/dtheta_j = p_j (b_j - P),   dP/dphi_j = p_j b_j (1 - b_j),   grad ln_q P = P^-q grad P.
 *
 * The answer has its own parameters phi so that the answer-token coefficients of GARL and PAFT
 * (the grad w_m term) are tested too: with fixed b_j they would multiply a zero gradient.
 * Gradients are flat vectors [dtheta_1..dtheta_n, dphi_1..dphi_n].
 *
 * An estimator's coefficients become a gradient estimate the way the training graph uses them:
 *   G = sum_m rationaleCoef_m * grad log p(z_m) + answerCoef_m * grad log p(y* | z_m)
 * with grad_theta log p(z_j) = e_j - p and grad_phi log b_j = (1 - b_j) e_j. G is the ascent
 * direction (the training loss is -sum coef * logp), so E[G] is compared with +grad ln_q P.
 */
import type { SequenceCoefficient } from '../objectives/coefficients.js';
// Math functions bound once: global lookups are slow inside test sandboxes (vm contexts).
const { exp, log, log1p } = Math;

export interface TabularModel {
  theta: readonly number[];
  phi: readonly number[];
}

export function rationaleProbs(model: TabularModel): number[] {
  const max = Math.max(...model.theta);
  const e = model.theta.map((t) => exp(t - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

export function answerProbs(model: TabularModel): number[] {
  return model.phi.map((f) => 1 / (1 + exp(-f)));
}

export function successProbability(model: TabularModel): number {
  const p = rationaleProbs(model),
    b = answerProbs(model);
  return p.reduce((s, pj, j) => s + pj * b[j]!, 0);
}

/** grad P, flat [theta, phi]. */
export function gradP(model: TabularModel): number[] {
  const p = rationaleProbs(model),
    b = answerProbs(model);
  const P = p.reduce((s, pj, j) => s + pj * b[j]!, 0);
  return [...p.map((pj, j) => pj * (b[j]! - P)), ...p.map((pj, j) => pj * b[j]! * (1 - b[j]!))];
}

/** grad ln_q P = P^-q grad P, the exact gradient the estimators target. */
export function gradLnQ(model: TabularModel, q: number): number[] {
  const P = successProbability(model);
  return gradP(model).map((g) => P ** -q * g);
}

/** v_j = grad log p(z_j, y*) = grad log p(z_j) + grad log b_j, flat. */
export function jointScore(model: TabularModel, j: number): number[] {
  const p = rationaleProbs(model),
    b = answerProbs(model);
  const n = p.length;
  const v = new Array<number>(2 * n).fill(0);
  for (let k = 0; k < n; k++) v[k] = (k === j ? 1 : 0) - p[k]!;
  v[n + j] = 1 - b[j]!;
  return v;
}

/**
 * The gradient estimate that coefficients for the samples z_{samples[m]} produce:
 * sum_m rationale_m (e_{z_m} - p) + answer_m (1 - b_{z_m}) e_{z_m}.
 */
export function gradientFromCoefficients(
  model: TabularModel,
  samples: readonly number[],
  coefficients: readonly SequenceCoefficient[],
): number[] {
  const p = rationaleProbs(model),
    b = answerProbs(model);
  const n = p.length;
  const g = new Array<number>(2 * n).fill(0);
  let total = 0;
  samples.forEach((j, m) => {
    const c = coefficients[m]!;
    total += c.rationale;
    g[j]! += c.rationale;
    g[n + j]! += c.answer * (1 - b[j]!);
  });
  for (let k = 0; k < n; k++) g[k]! -= total * p[k]!;
  return g;
}

/** log p(y* | z_j) for each sample: the log answer likelihoods the estimators take. */
export function logAnswerLikelihoods(model: TabularModel, samples: readonly number[]): number[] {
  // log sigmoid(phi) = -log(1 + e^-phi), stable for either sign
  return samples.map((j) => {
    const f = model.phi[j]!;
    return f >= 0 ? -log1p(exp(-f)) : f - log1p(exp(f));
  });
}

/** A model with the given rationale probabilities p and answer probabilities b. */
export function modelFromProbabilities(p: readonly number[], b: readonly number[]): TabularModel {
  return { theta: p.map(log), phi: b.map((x) => log(x / (1 - x))) };
}
