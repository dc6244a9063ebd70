/**
 * Adaptive Simpson quadrature with Richardson extrapolation (Lyness). Each panel is accepted when
 * its two half-panel Simpson estimates agree to 15 * tol (the error of the extrapolated value is
 * then far below tol for smooth integrands); tol is halved at each split, so the total error
 * stays within about `tol`. Enough for the smooth, non-oscillating integrands of the studies.
 */

export interface QuadratureOptions {
  /** absolute error target (default 1e-12) */
  tol?: number;
  /** maximum recursion depth (default 50) */
  maxDepth?: number;
}

export function integrate(f: (x: number) => number, a: number, b: number, options: QuadratureOptions = {}): number {
  const { tol = 1e-12, maxDepth = 50 } = options;
  if (a === b) return 0;
  const fa = f(a),
    fb = f(b),
    m = (a + b) / 2,
    fm = f(m);
  const whole = ((b - a) / 6) * (fa + 4 * fm + fb);
  return step(f, a, b, fa, fm, fb, whole, tol, maxDepth);
}

function step(
  f: (x: number) => number,
  a: number,
  b: number,
  fa: number,
  fm: number,
  fb: number,
  whole: number,
  tol: number,
  depth: number,
): number {
  const m = (a + b) / 2,
    lm = (a + m) / 2,
    rm = (m + b) / 2;
  const flm = f(lm),
    frm = f(rm);
  const left = ((m - a) / 6) * (fa + 4 * flm + fm);
  const right = ((b - m) / 6) * (fm + 4 * frm + fb);
  const diff = left + right - whole;
  if (depth <= 0 || Math.abs(diff) <= 15 * tol) return left + right + diff / 15;
  return step(f, a, m, fa, flm, fm, left, tol / 2, depth - 1) + step(f, m, b, fm, frm, fb, right, tol / 2, depth - 1);
}
