/**
 * Bias and variance of the GARL and PAFT gradient estimators on the tabular model, computed with
 * the project's own estimator functions (src/objectives), exactly (by enumerating every multiset of
 * M rationales) and by Monte Carlo (seeded).
 *
 * Both estimators are taken without the paper's 1/M^q step-size factor (scaleByMq: false), so they
 * estimate grad ln_q P itself and their bias is E[G] - grad ln_q P. Facts this module measures:
 * - GARL at q = 0 is unbiased; for q > 0 its bias is beta / M + O(1/M^2), with the delta-method
 *   constant beta of `leadingBias`.
 * - The leave-one-out baseline has mean zero, so E[GARL] = E[plug-in form] = E[PAFT]: PAFT has
 *   exactly GARL's bias.
 * - Var(PAFT) = Var(plug-in) + E[resampling variance] (law of total variance), which is larger
 *   than Var(GARL) in the cases studied.
 * Variances are traces of the covariance (sum over the 2n gradient components).
 */
import { garl } from '../objectives/garl.js';
import { drawIndex, paft, paftSelectionProbabilities, paftWeight } from '../objectives/paft.js';
import { logMeanExp } from '../objectives/tsallis.js';
import type { Rng } from '../util/rng.js';
import { forEachGroup } from './multinomial.js';
import {
  answerProbs,
  gradientFromCoefficients,
  gradLnQ,
  gradP,
  jointScore,
  logAnswerLikelihoods,
  rationaleProbs,
  successProbability,
  type TabularModel,
} from './tabular-model.js';
// Math functions bound once: global lookups are slow inside test sandboxes (vm contexts).
const { pow, sqrt } = Math;

export type EstimatorName = 'garl' | 'garl-plug-in' | 'paft';

/** One draw of an estimator's gradient for the group z_{samples}. PAFT uses K = M draws from rng. */
export function estimateGradient(
  model: TabularModel,
  estimator: EstimatorName,
  q: number,
  samples: readonly number[],
  rng?: Rng,
): number[] {
  const logW = logAnswerLikelihoods(model, samples);
  switch (estimator) {
    case 'garl':
      return gradientFromCoefficients(model, samples, garl(logW, { q, scaleByMq: false }).sequences);
    case 'garl-plug-in':
      return gradientFromCoefficients(model, samples, garl(logW, { q, scaleByMq: false, baseline: 'none' }).sequences);
    case 'paft':
      if (!rng) throw new Error('estimateGradient: PAFT needs an rng');
      return gradientFromCoefficients(model, samples, paft(logW, { q, scaleByMq: false }, rng).sequences);
  }
}

export interface Moments {
  mean: number[];
  /** trace of the covariance */
  variance: number;
}

/** Exact mean and variance of GARL (LOO baseline) or its plug-in form, by enumeration. */
export function exactMoments(model: TabularModel, estimator: 'garl' | 'garl-plug-in', q: number, M: number): Moments {
  const dim = 2 * model.theta.length;
  const mean = new Array<number>(dim).fill(0);
  let second = 0;
  forEachGroup(rationaleProbs(model), M, (samples, prob) => {
    const g = estimateGradient(model, estimator, q, samples);
    for (let i = 0; i < dim; i++) mean[i]! += prob * g[i]!;
    second += prob * dot(g, g);
  });
  return { mean, variance: second - dot(mean, mean) };
}

export interface PaftMoments extends Moments {
  /** Var(E[PAFT | z]) = the plug-in form's variance. */
  plugInVariance: number;
  /** E[Var(PAFT | z)]: the variance the resampling adds. */
  resamplingVariance: number;
}

/**
 * Exact mean and variance of PAFT with K draws, by the law of total variance: given the group,
 * PAFT is K i.i.d. draws of weight * v_r with r ~ w / sum w (weight = W^(1-q) / K, v_j =
 * grad log p(z_j, y*)), so E[PAFT | z] is the plug-in form and Var(PAFT | z) = K weight^2 (E||v_r||^2 - ||E v_r||^2).
 */
export function exactPaftMoments(model: TabularModel, q: number, M: number, K = M): PaftMoments {
  const dim = 2 * model.theta.length;
  const n = model.theta.length;
  const scores = Array.from({ length: n }, (_, j) => jointScore(model, j));
  const mean = new Array<number>(dim).fill(0);
  let second = 0,
    resampling = 0;
  forEachGroup(rationaleProbs(model), M, (samples, prob) => {
    const logW = logAnswerLikelihoods(model, samples);
    const pi = paftSelectionProbabilities(logW);
    const weight = paftWeight(logMeanExp(logW), q, M, K) * pow(M, q); // without the 1/M^q
    const ev = new Array<number>(dim).fill(0);
    let ev2 = 0;
    samples.forEach((j, m) => {
      const v = scores[j]!;
      for (let i = 0; i < dim; i++) ev[i]! += pi[m]! * v[i]!;
      ev2 += pi[m]! * dot(v, v);
    });
    const condMean = ev.map((x) => K * weight * x);
    for (let i = 0; i < dim; i++) mean[i]! += prob * condMean[i]!;
    second += prob * dot(condMean, condMean);
    resampling += prob * K * weight * weight * (ev2 - dot(ev, ev));
  });
  const plugInVariance = second - dot(mean, mean);
  return { mean, variance: plugInVariance + resampling, plugInVariance, resamplingVariance: resampling };
}

export interface MonteCarloMoments extends Moments {
  /** standard error of each component of the mean */
  standardErrors: number[];
  reps: number;
}

/** Monte Carlo mean and variance over `reps` groups of M rationales drawn from the model with rng. */
export function monteCarloMoments(
  model: TabularModel,
  estimator: EstimatorName,
  q: number,
  M: number,
  reps: number,
  rng: Rng,
): MonteCarloMoments {
  const dim = 2 * model.theta.length;
  const p = rationaleProbs(model);
  const sum = new Array<number>(dim).fill(0),
    sum2 = new Array<number>(dim).fill(0);
  const samples = new Array<number>(M);
  for (let r = 0; r < reps; r++) {
    for (let m = 0; m < M; m++) samples[m] = drawIndex(p, rng);
    const g = estimateGradient(model, estimator, q, samples, rng);
    for (let i = 0; i < dim; i++) {
      sum[i]! += g[i]!;
      sum2[i]! += g[i]! * g[i]!;
    }
  }
  const mean = sum.map((s) => s / reps);
  const compVar = sum2.map((s, i) => (s - reps * mean[i]! * mean[i]!) / (reps - 1));
  return {
    mean,
    variance: compVar.reduce((a, b) => a + b, 0),
    standardErrors: compVar.map((v) => sqrt(v / reps)),
    reps,
  };
}

/**
 * The leading-order bias of GARL (and PAFT) for q > 0, by the delta method: with w = p(y*|z) and
 * v = grad log p(z, y*), G = W^-q S where W and S = mean_m w_m v_m are sample means, so
 *   E[G] - P^-q grad P = beta / M + O(1/M^2),
 *   beta = q [ (q+1)/2 P^(-q-2) Var(w) grad P  -  P^(-q-1) Cov(w, w v) ],
 *   Var(w) = sum_j p_j b_j^2 - P^2,   Cov(w, w v) = sum_j p_j b_j^2 v_j - P grad P.
 */
export function leadingBias(model: TabularModel, q: number): number[] {
  const p = rationaleProbs(model),
    b = answerProbs(model);
  const P = successProbability(model);
  const gP = gradP(model);
  const varW = p.reduce((s, pj, j) => s + pj * b[j]! * b[j]!, 0) - P * P;
  const ew2v = new Array<number>(gP.length).fill(0);
  p.forEach((pj, j) => jointScore(model, j).forEach((vj, i) => (ew2v[i]! += pj * b[j]! * b[j]! * vj)));
  return gP.map((g, i) => q * (((q + 1) / 2) * pow(P, -q - 2) * varW * g - pow(P, -q - 1) * (ew2v[i]! - P * g)));
}

/** E[G] - grad ln_q P. */
export function bias(model: TabularModel, q: number, mean: readonly number[]): number[] {
  const exact = gradLnQ(model, q);
  return mean.map((m, i) => m - exact[i]!);
}

export function norm(v: readonly number[]): number {
  return sqrt(dot(v, v));
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
