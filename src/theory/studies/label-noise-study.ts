/**
 * Label noise: the equilibrium contamination pi* of a noisy label under J_Q against
 * (eps / (1 - eps))^(1/q), and q = 0 never memorising.
 */
import type { Series } from '../../plot/svg.js';
import {
  contaminationTime,
  contaminationTimeLeading,
  noiseEquilibrium,
  noiseEquilibriumApprox,
  noiseEquilibriumNumeric,
  trainNoisyLabel,
} from '../label-noise.js';
import { finding, Q_GRID, qColor, type Finding, type Study } from './study.js';

export interface LabelNoiseStudyOptions {
  epss?: readonly number[];
  qs?: readonly number[];
  lr?: number;
  steps?: number;
}

export function labelNoiseStudy(options: LabelNoiseStudyOptions = {}): Study {
  const { epss = [0.05, 0.1, 0.2, 0.3], qs = Q_GRID, lr = 1, steps = 200_000 } = options;
  const rows: (number | string | boolean)[][] = [];
  const findings: Finding[] = [];
  const series: Series[] = [];
  let worstRoot = 0,
    worstGd = 0,
    worstApprox = 0;
  for (const q of qs) {
    const gdPts: [number, number][] = [],
      exactPts: [number, number][] = [];
    for (const eps of epss) {
      const gd = trainNoisyLabel(eps, q, { lr, steps, gradTol: q === 0 ? 0 : 1e-15 });
      if (q === 0) {
        // d(e^-x)/dt = (1-2eps)(1-pi)^2: pi(t) ~ 1 / ((1-2eps) lr t) -> 0
        const predicted = 1 / (2 + (1 - 2 * eps) * lr * gd.steps); // e^-x0 = 1 at pi0 = 1/2
        rows.push([q, eps, 0, 0, 0, 0, gd.pi, gd.steps, predicted, '', '']);
        findings.push(
          finding(
            `q = 0, eps = ${eps}: pi after ${gd.steps} GD steps / (1 / ((1-2eps) lr t))`,
            gd.pi / predicted,
            1,
            0.01,
          ),
        );
        gdPts.push([eps, gd.pi]);
        continue;
      }
      const exact = noiseEquilibrium(eps, q),
        approx = noiseEquilibriumApprox(eps, q),
        root = noiseEquilibriumNumeric(eps, q);
      const converged = gd.steps < steps;
      worstRoot = Math.max(worstRoot, Math.abs(root / exact - 1));
      if (converged) worstGd = Math.max(worstGd, Math.abs(gd.pi / exact - 1));
      worstApprox = Math.max(worstApprox, Math.abs(Math.abs(approx / exact - 1) - approx));
      const eta = exact / 10;
      const ratio = contaminationTime(eps, q, eta) / contaminationTimeLeading(eps, q, eta);
      rows.push([
        q,
        eps,
        exact,
        approx,
        root,
        Math.abs(approx / exact - 1),
        gd.pi,
        gd.steps,
        converged ? exact : '',
        ratio,
        converged,
      ]);
      exactPts.push([eps, exact]);
      if (converged) gdPts.push([eps, gd.pi]);
    }
    series.push({ name: `q = ${q} GD`, points: gdPts, line: q === 0, color: qColor(q) });
    if (q > 0)
      series.push({
        name: `q = ${q} approx.`,
        points: exactPts.map(([e]) => [e, noiseEquilibriumApprox(e, q)] as const),
        dashed: true,
        markers: false,
        color: qColor(q),
      });
  }
  findings.push(
    finding('noise equilibrium: root of the gradient vs escort closed form, max relative error', worstRoot, 0, 1e-9),
  );
  findings.push(finding('noise equilibrium: converged GD vs closed form, max relative error', worstGd, 0, 1e-6));
  findings.push(
    finding(
      'relative error of (eps/(1-eps))^(1/q) as pi* is (eps/(1-eps))^(1/q) itself: max deviation',
      worstApprox,
      0,
      1e-9,
    ),
  );
  return {
    id: 'label_noise',
    title: 'Label noise: how much of the noise each q memorises',
    description:
      "Two labels; the data shows the wrong one with probability eps. pi is the model's probability of the wrong " +
      'label (a logit trained by gradient descent from pi = 1/2). For q > 0 the equilibrium is pi* with ' +
      'pi*/(1-pi*) = (eps/(1-eps))^(1/q), so pi* ≈ (eps/(1-eps))^(1/q); root is the zero of the gradient found by ' +
      'bisection. At q = 0 pi decays like 1/((1-2eps) lr t): never memorised. contamination_time_ratio: time for the ' +
      "flow in pi to reach eta = pi*/10, over eta^(q+1)/((q+1) eps) (the paper's Θ form: bounded, -> 1 as eta/pi* -> 0).",
    tables: [
      {
        name: 'label_noise',
        table: {
          columns: [
            'q',
            'eps',
            'pi_exact',
            'pi_approx',
            'pi_root',
            'approx_rel_error',
            'pi_gd',
            'gd_steps',
            'pi_gd_expected',
            'contamination_time_ratio',
            'gd_converged',
          ],
          rows,
        },
      },
    ],
    plots: [
      {
        name: 'label_noise',
        spec: {
          title: 'Equilibrium probability of the noisy label (dashed: (eps/(1-eps))^(1/q))',
          xLabel: 'eps',
          yLabel: 'pi',
          xScale: 'log',
          yScale: 'log',
          series,
        },
      },
    ],
    findings,
  };
}
