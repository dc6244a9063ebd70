/**
 * GARL and PAFT on the tabular model, with the project's estimator functions: bias against M
 * (exact, by enumeration; slope against M and the delta-method constant), bias against P, and
 * PAFT's variance above GARL's (exact decomposition and seeded Monte Carlo).
 */
import type { Series } from '../../plot/svg.js';
import { Rng } from '../../util/rng.js';
import { bias, exactMoments, exactPaftMoments, leadingBias, monteCarloMoments, norm } from '../estimator-moments.js';
import { logLogSlope } from '../fit.js';
import { gradLnQ, modelFromProbabilities, successProbability, type TabularModel } from '../tabular-model.js';
import { finding, Q_GRID, qColor, type Finding, type Study } from './study.js';

/** The base model: rationale probabilities (0.4, 0.3, 0.2, 0.1), answer probabilities (0.1, 0.5, 0.8, 0.3); P = 0.38. */
export const BASE_MODEL: TabularModel = modelFromProbabilities([0.4, 0.3, 0.2, 0.1], [0.1, 0.5, 0.8, 0.3]);

/** The family for P -> 0: two good rationales of probability p1 each (b = 0.9, 0.3), the rest a bad one (b = 1e-9). */
export function rareRationaleModel(p1: number): TabularModel {
  return modelFromProbabilities([p1, p1, 1 - 2 * p1], [0.9, 0.3, 1e-9]);
}

export interface EstimatorStudyOptions {
  seed?: number;
  qs?: readonly number[];
  /** group sizes for the bias against M */
  ms?: readonly number[];
  /** group sizes for the variance comparison */
  varianceMs?: readonly number[];
  /** Monte Carlo groups per variance estimate */
  reps?: number;
  /** p1 values of the rare-rationale family (exact bias) and the group size used there */
  p1s?: readonly number[];
  mForP?: number;
}

/** The slope against M is fitted on M >= this. */
export const BIAS_FIT_MIN_M = 8;

export function estimatorStudies(options: EstimatorStudyOptions = {}): Study[] {
  const {
    seed = 0,
    qs = Q_GRID,
    ms = [2, 4, 8, 16, 32],
    varianceMs = [4, 16, 32],
    reps = 4000,
    p1s = [0.2, 0.1, 0.05],
    mForP = 128,
  } = options;
  return [
    biasAgainstM(qs, ms),
    biasAgainstP(
      qs.filter((q) => q > 0),
      p1s,
      mForP,
    ),
    varianceStudy(qs, varianceMs, reps, seed),
  ];
}

function biasAgainstM(qs: readonly number[], ms: readonly number[]): Study {
  const model = BASE_MODEL;
  const rows: number[][] = [],
    slopeRows: (number | string)[][] = [];
  const findings: Finding[] = [];
  const series: Series[] = [];
  let worstUnbiased = 0;
  for (const q of qs) {
    const target = norm(gradLnQ(model, q));
    const beta = norm(leadingBias(model, q));
    const biases: number[] = [];
    for (const M of ms) {
      const g = norm(bias(model, q, exactMoments(model, 'garl', q, M).mean));
      const p = norm(bias(model, q, exactPaftMoments(model, q, M).mean));
      biases.push(g);
      rows.push([q, M, g, p, beta / M, g / target, q === 0 ? 0 : (M * g) / beta]);
      if (q === 0) worstUnbiased = Math.max(worstUnbiased, g, p);
    }
    if (q > 0) {
      const fit = ms.map((M, i) => [M, biases[i]!] as const).filter(([M]) => M >= BIAS_FIT_MIN_M);
      const slope = logLogSlope(
        fit.map((f) => f[0]),
        fit.map((f) => f[1]),
      );
      slopeRows.push([q, slope, -1, (ms[ms.length - 1]! * biases[biases.length - 1]!) / beta]);
      findings.push(finding(`GARL bias at q = ${q}: log-log slope against M (M >= ${BIAS_FIT_MIN_M})`, slope, -1, 0.1));
      series.push({ name: `q = ${q} exact`, points: ms.map((M, i) => [M, biases[i]!] as const), color: qColor(q) });
      series.push({
        name: `q = ${q} beta / M`,
        points: ms.map((M) => [M, beta / M] as const),
        dashed: true,
        markers: false,
        color: qColor(q),
      });
    } else {
      slopeRows.push([q, 'unbiased', '-', '-']);
    }
  }
  if (qs.includes(0))
    findings.push(finding('GARL and PAFT at q = 0: largest |bias| over M (exactly unbiased)', worstUnbiased, 0, 1e-12));
  return {
    id: 'estimator_bias_m',
    title: 'Bias of GARL and PAFT against the group size M',
    description:
      'Exact expectations (every multiset of M rationales enumerated) of the GARL and PAFT gradient estimates, ' +
      'built from src/objectives coefficients without the 1/M^q step-size factor, on a 4-rationale tabular model ' +
      `with P = ${successProbability(model).toFixed(2)}. Bias = ||E[G] - grad ln_q P||. PAFT's mean equals GARL's (the ` +
      'leave-one-out baseline has mean zero), so their biases coincide. beta / M is the delta-method leading term; ' +
      'M_bias_over_beta -> 1.',
    tables: [
      {
        name: 'estimator_bias_m',
        table: {
          columns: ['q', 'M', 'garl_bias', 'paft_bias', 'leading_bias', 'relative_bias', 'M_bias_over_beta'],
          rows,
        },
      },
      {
        name: 'estimator_bias_m_slopes',
        table: { columns: ['q', 'slope', 'expected_slope', 'M_bias_over_beta_at_largest_M'], rows: slopeRows },
      },
    ],
    plots: [
      {
        name: 'estimator_bias_m',
        spec: {
          title: 'GARL / PAFT bias against M (dashed: delta-method beta / M)',
          xLabel: 'M',
          yLabel: '||bias||',
          xScale: 'log',
          yScale: 'log',
          series,
        },
      },
    ],
    findings,
  };
}

function biasAgainstP(qs: readonly number[], p1s: readonly number[], M: number): Study {
  const rows: number[][] = [],
    slopeRows: number[][] = [];
  const findings: Finding[] = [];
  const series: Series[] = [];
  const tinyP1 = [1e-3, 1e-4, 1e-5];
  for (const q of qs) {
    const pts: [number, number][] = [],
      lead: [number, number][] = [];
    for (const p1 of p1s) {
      const model = rareRationaleModel(p1);
      const P = successProbability(model);
      const b = norm(bias(model, q, exactMoments(model, 'garl', q, M).mean));
      const beta = norm(leadingBias(model, q));
      rows.push([q, p1, P, M, b, beta / M, b / norm(gradLnQ(model, q))]);
      pts.push([P, b]);
      lead.push([P, beta / M]);
    }
    // the asymptotic P-dependence of the leading term, far into P -> 0
    const models = tinyP1.map(rareRationaleModel);
    const Ps = models.map(successProbability);
    const absSlope = logLogSlope(
      Ps,
      models.map((m) => norm(leadingBias(m, q))),
    );
    const relSlope = logLogSlope(
      Ps,
      models.map((m) => norm(leadingBias(m, q)) / norm(gradLnQ(m, q))),
    );
    slopeRows.push([q, absSlope, -q, relSlope, -1]);
    findings.push(finding(`leading bias at q = ${q} as P -> 0: log-log slope against P`, absSlope, -q, 0.01));
    findings.push(finding(`leading relative bias at q = ${q} as P -> 0: log-log slope against P`, relSlope, -1, 0.01));
    series.push({ name: `q = ${q} exact (M = ${M})`, points: pts, color: qColor(q) });
    series.push({ name: `q = ${q} beta / M`, points: lead, dashed: true, markers: false, color: qColor(q) });
  }
  return {
    id: 'estimator_bias_p',
    title: 'Bias of GARL against the success probability P',
    description:
      'Rare good rationales: p = (p1, p1, 1 - 2 p1), b = (0.9, 0.3, 1e-9), so P ≈ 1.2 p1. Exact bias at ' +
      `M = ${M} beside the delta-method term beta / M; slopes of the leading term fitted at p1 = 1e-3..1e-5. ` +
      'Here grad P shrinks with P, so the absolute bias grows like q / (M P^q) (the v2 form) and the bias relative ' +
      "to |grad ln_q P| like 1 / (M P); v1's q / (M P^(q+1)) is the absolute bias when |grad P| does not shrink with P.",
    tables: [
      {
        name: 'estimator_bias_p',
        table: { columns: ['q', 'p1', 'P', 'M', 'garl_bias', 'leading_bias', 'relative_bias'], rows },
      },
      {
        name: 'estimator_bias_p_slopes',
        table: {
          columns: ['q', 'abs_slope', 'expected_abs_slope', 'relative_slope', 'expected_relative_slope'],
          rows: slopeRows,
        },
      },
    ],
    plots: [
      {
        name: 'estimator_bias_p',
        spec: {
          title: `GARL bias against P at M = ${M} (dashed: beta / M)`,
          xLabel: 'P',
          yLabel: '||bias||',
          xScale: 'log',
          yScale: 'log',
          series,
        },
      },
    ],
    findings,
  };
}

function varianceStudy(qs: readonly number[], ms: readonly number[], reps: number, seed: number): Study {
  const model = BASE_MODEL;
  const rng = new Rng(seed);
  const rows: number[][] = [];
  const series: Series[] = [];
  let larger = 0,
    total = 0,
    worstMc = 0;
  for (const q of qs) {
    const g: [number, number][] = [],
      p: [number, number][] = [];
    for (const M of ms) {
      const ge = exactMoments(model, 'garl', q, M);
      const pe = exactPaftMoments(model, q, M);
      const gm = monteCarloMoments(model, 'garl', q, M, reps, rng);
      const pm = monteCarloMoments(model, 'paft', q, M, reps, rng);
      rows.push([
        q,
        M,
        ge.variance,
        pe.plugInVariance,
        pe.resamplingVariance,
        pe.variance,
        gm.variance,
        pm.variance,
        pe.variance / ge.variance,
      ]);
      total++;
      if (pe.variance > ge.variance && pm.variance > gm.variance) larger++;
      worstMc = Math.max(worstMc, Math.abs(pm.variance / pe.variance - 1), Math.abs(gm.variance / ge.variance - 1));
      g.push([M, ge.variance]);
      p.push([M, pe.variance]);
    }
    series.push({ name: `q = ${q} GARL`, points: g, color: qColor(q) });
    series.push({ name: `q = ${q} PAFT`, points: p, dashed: true, color: qColor(q) });
  }
  return {
    id: 'estimator_variance',
    title: "Variance of PAFT above GARL's",
    description:
      'Total variance (trace of the covariance) of the gradient estimates on the 4-rationale model, K = M. Exact: ' +
      'Var(PAFT) = Var(plug-in form) + E[resampling variance] (law of total variance), and Var(GARL) uses the ' +
      `leave-one-out baseline. Monte Carlo: ${reps} seeded groups per cell through the real garl() and paft() functions.`,
    tables: [
      {
        name: 'estimator_variance',
        table: {
          columns: [
            'q',
            'M',
            'var_garl',
            'var_plug_in',
            'resampling_term',
            'var_paft',
            'var_garl_mc',
            'var_paft_mc',
            'paft_over_garl',
          ],
          rows,
        },
      },
    ],
    plots: [
      {
        name: 'estimator_variance',
        spec: {
          title: 'Gradient variance: GARL (solid) and PAFT (dashed)',
          xLabel: 'M',
          yLabel: 'trace Cov',
          xScale: 'log',
          yScale: 'log',
          series,
        },
      },
    ],
    findings: [
      finding("cells where PAFT's variance exceeds GARL's (exact and Monte Carlo), share", larger / total, 1, 0),
      finding(`Monte Carlo variance vs exact, worst relative deviation (${reps} groups)`, worstMc, 0, 0.15),
    ],
  };
}
