/**
 * The escape-time scaling in a softmax model trained by gradient descent on J_Q: steps until the
 * correct outcome's probability reaches 1/2, against p0, beside the ODE prediction.
 */
import type { Series } from '../../plot/svg.js';
import { escapeTime } from '../escape-time.js';
import { fitLine, logLogSlope } from '../fit.js';
import { softmaxEscapePrediction, softmaxEscapeSteps } from '../softmax-escape.js';
import { DEFAULT_P0S, SLOPE_FIT_MAX_P0 } from './escape-times-study.js';
import { finding, Q_GRID, qColor, type Finding, type Study } from './study.js';

export interface SoftmaxEscapeStudyOptions {
  qs?: readonly number[];
  p0s?: readonly number[];
  vocab?: number;
  lr?: number;
}

export function softmaxEscapeStudy(options: SoftmaxEscapeStudyOptions = {}): Study {
  const { qs = Q_GRID, p0s = DEFAULT_P0S, vocab = 8, lr = 0.5 } = options;
  const rows: (number | string)[][] = [];
  const slopeRows: (number | string)[][] = [];
  const findings: Finding[] = [];
  const series: Series[] = [];
  for (const q of qs) {
    const steps = p0s.map((p0) => softmaxEscapeSteps({ q, p0, vocab, lr }));
    const pred = p0s.map((p0) => softmaxEscapePrediction(escapeTime(q, p0), vocab, lr));
    p0s.forEach((p0, i) => rows.push([q, p0, steps[i]!, pred[i]!, steps[i]! / pred[i]!]));
    const small = p0s.map((p, i) => [p, steps[i]!] as const).filter(([p]) => p <= SLOPE_FIT_MAX_P0);
    const slope = logLogSlope(
      small.map((s) => s[0]),
      small.map((s) => s[1]),
    );
    const logCoef = fitLine(
      p0s.map((p) => -Math.log(p)),
      steps,
    ).slope;
    slopeRows.push([q, slope, -(1 - q), logCoef, (vocab - 1) / (vocab * lr)]);
    if (q < 1)
      findings.push(
        finding(`softmax GD steps at q = ${q} ~ p0^slope (p0 <= ${SLOPE_FIT_MAX_P0})`, slope, -(1 - q), 0.02),
      );
    else
      findings.push(
        finding(
          'softmax GD steps at q = 1 ~ c log(1/p0): c / ((V-1)/(V lr))',
          (logCoef * vocab * lr) / (vocab - 1),
          1,
          0.03,
        ),
      );
    const worst = Math.max(
      ...small.map((_, i) =>
        Math.abs(steps[p0s.length - small.length + i]! / pred[p0s.length - small.length + i]! - 1),
      ),
    );
    findings.push(
      finding(
        `softmax GD steps / ODE prediction at q = ${q}, worst over p0 <= ${SLOPE_FIT_MAX_P0}`,
        1 + worst,
        1,
        0.02,
      ),
    );
    series.push({ name: `q = ${q}`, points: p0s.map((p, i) => [p, steps[i]!] as const), color: qColor(q) });
    series.push({
      name: `q = ${q} ODE`,
      points: p0s.map((p, i) => [p, pred[i]!] as const),
      dashed: true,
      markers: false,
      color: qColor(q),
    });
  }
  return {
    id: 'softmax_escape',
    title: 'Escape steps of a softmax model under gradient descent',
    description:
      `A categorical over ${vocab} outcomes, logits trained by gradient descent (step ${lr}) on -ln_q P from ` +
      'P = p0 (wrong logits equal); steps until P >= 1/2. The ODE prediction is T_q(p0) (V-1) / (V lr): ' +
      'with equal wrong logits dP/dt = P^(2-q) (1-P)^2 V/(V-1).',
    tables: [
      { name: 'softmax_escape', table: { columns: ['q', 'p0', 'steps', 'predicted_steps', 'ratio'], rows } },
      {
        name: 'softmax_escape_slopes',
        table: {
          columns: ['q', 'slope', 'expected_slope', 'log_coefficient', 'expected_log_coefficient'],
          rows: slopeRows,
        },
      },
    ],
    plots: [
      {
        name: 'softmax_escape',
        spec: {
          title: 'Softmax model: GD steps to reach P = 1/2 (dashed: ODE)',
          xLabel: 'p0',
          yLabel: 'steps',
          xScale: 'log',
          yScale: 'log',
          series,
        },
      },
    ],
    findings,
  };
}
