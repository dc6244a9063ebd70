/**
 * Escape times: the scalar gradient flow dp/dt = p^(2-q)(1-p)^2 integrated from p0 to delta = 0.5,
 * against the asymptotic forms, with the fitted log-log slopes over the smallest p0.
 */
import type { Series } from '../../plot/svg.js';
import { escapeTime, escapeTimeAsymptotic } from '../escape-time.js';
import { fitLine, logLogSlope } from '../fit.js';
import { finding, Q_GRID, qColor, type Finding, type Study } from './study.js';

export interface EscapeTimesOptions {
  qs?: readonly number[];
  p0s?: readonly number[];
  delta?: number;
}

export const DEFAULT_P0S = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6];

/** Slopes are fitted on the p0 <= this (the asymptotic regime; larger p0 feel the upper limit). */
export const SLOPE_FIT_MAX_P0 = 1e-4;

export function escapeTimesStudy(options: EscapeTimesOptions = {}): Study {
  const { qs = Q_GRID, p0s = DEFAULT_P0S, delta = 0.5 } = options;
  const rows: (number | string)[][] = [];
  const slopeRows: (number | string)[][] = [];
  const findings: Finding[] = [];
  const series: Series[] = [];
  for (const q of qs) {
    const t = p0s.map((p0) => escapeTime(q, p0, delta));
    const a = p0s.map((p0) => escapeTimeAsymptotic(q, p0));
    p0s.forEach((p0, i) => rows.push([q, p0, t[i]!, a[i]!]));
    const small = p0s.map((p, i) => [p, t[i]!] as const).filter(([p]) => p <= SLOPE_FIT_MAX_P0);
    const slope = logLogSlope(
      small.map((s) => s[0]),
      small.map((s) => s[1]),
    );
    const logCoef = fitLine(
      p0s.map((p) => -Math.log(p)),
      t,
    ).slope;
    slopeRows.push([q, slope, -(1 - q), logCoef]);
    if (q < 1)
      findings.push(
        finding(`escape time T_${q} ~ p0^slope (log-log slope, p0 <= ${SLOPE_FIT_MAX_P0})`, slope, -(1 - q), 0.02),
      );
    else findings.push(finding('escape time T_1 ~ c log(1/p0): coefficient c', logCoef, 1, 0.02));
    series.push({ name: `q = ${q}`, points: p0s.map((p, i) => [p, t[i]!] as const), color: qColor(q) });
    series.push({
      name: `q = ${q} asymptote`,
      points: p0s.map((p, i) => [p, a[i]!] as const),
      dashed: true,
      markers: false,
      color: qColor(q),
    });
  }
  return {
    id: 'escape_times',
    title: 'Escape times of the gradient flow',
    description:
      `Time for dp/dt = p^(2-q) (1-p)^2 to go from p0 to ${delta}, by adaptive quadrature of ` +
      'T_q = ∫ du / (u^(2-q) (1-u)^2) in log u (relative error about 1e-12), against p0^-(1-q)/(1-q) ' +
      '(1/p0 at q = 0) and log(1/p0) at q = 1. Slopes are least-squares fits of log T on log p0 over ' +
      `p0 <= ${SLOPE_FIT_MAX_P0}; log_coefficient fits T on log(1/p0) over every p0.`,
    tables: [
      { name: 'escape_times', table: { columns: ['q', 'p0', 't_numeric', 't_asymptotic'], rows } },
      {
        name: 'escape_slopes',
        table: { columns: ['q', 'slope', 'expected_slope', 'log_coefficient'], rows: slopeRows },
      },
    ],
    plots: [
      {
        name: 'escape_times',
        spec: {
          title: 'Escape time from p0 to 1/2 (dashed: asymptotic form)',
          xLabel: 'p0',
          yLabel: 'T_q',
          xScale: 'log',
          yScale: 'log',
          series,
        },
      },
    ],
    findings,
  };
}
