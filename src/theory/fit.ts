/** Least-squares straight-line fits, for the log-log slopes the studies report. */

export interface LineFit {
  slope: number;
  intercept: number;
}

/** Ordinary least squares y = intercept + slope * x. */
export function fitLine(x: readonly number[], y: readonly number[]): LineFit {
  if (x.length !== y.length || x.length < 2)
    throw new RangeError('fitLine: needs two equally long lists of at least 2 points');
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n,
    my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0,
    sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  if (sxx === 0) throw new RangeError('fitLine: all x are equal');
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

export function fitSlope(x: readonly number[], y: readonly number[]): number {
  return fitLine(x, y).slope;
}

/** Slope of log y against log x. */
export function logLogSlope(x: readonly number[], y: readonly number[]): number {
  return fitSlope(x.map(Math.log), y.map(Math.log));
}
