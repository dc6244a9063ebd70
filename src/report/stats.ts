/**
 * Statistics over seeds: the mean, the sample standard deviation (n - 1 in the denominator) and the
 * 95% confidence interval of the mean, mean ± t_{0.975, n-1} sd / sqrt(n) (Student t). With one seed
 * there is no spread to estimate: sd and the interval are null.
 */

export interface SeedStats {
  n: number;
  mean: number;
  sd: number | null;
  ci95Low: number | null;
  ci95High: number | null;
}

/** The statistics of a set of values; null when there are none. */
export function seedStats(xs: readonly number[]): SeedStats | null {
  const n = xs.length;
  if (n === 0) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { n, mean, sd: null, ci95Low: null, ci95High: null };
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  const half = (studentTQuantile(0.975, n - 1) * sd) / Math.sqrt(n);
  return { n, mean, sd, ci95Low: mean - half, ci95High: mean + half };
}

/**
 * P(|T| <= t) for Student's t with an integer number of degrees of freedom, in closed form
 * (Abramowitz & Stegun 26.7.3 and 26.7.4), with theta = atan(t / sqrt(df)):
 *   df odd:  (2/pi) (theta + sin theta cos theta sum_{j=0}^{(df-3)/2} a_j cos^{2j} theta),  a_j = a_{j-1} 2j/(2j+1)
 *   df even: sin theta sum_{j=0}^{(df-2)/2} b_j cos^{2j} theta,                             b_j = b_{j-1} (2j-1)/(2j)
 * (a_0 = b_0 = 1; for df = 1 the odd sum is empty.)
 */
export function studentTTwoSided(t: number, df: number): number {
  if (!(Number.isInteger(df) && df >= 1))
    throw new RangeError(`Student t: degrees of freedom must be a positive integer, got ${df}`);
  const theta = Math.atan(Math.abs(t) / Math.sqrt(df));
  const c2 = Math.cos(theta) ** 2;
  let sum = 0,
    term = 1;
  if (df % 2 === 1) {
    for (let j = 0; j <= (df - 3) / 2; j++) {
      if (j > 0) term *= ((2 * j) / (2 * j + 1)) * c2;
      sum += term;
    }
    return (2 / Math.PI) * (theta + Math.sin(theta) * Math.cos(theta) * sum);
  }
  for (let j = 0; j <= (df - 2) / 2; j++) {
    if (j > 0) term *= ((2 * j - 1) / (2 * j)) * c2;
    sum += term;
  }
  return Math.sin(theta) * sum;
}

/** The p-quantile of Student's t with integer df, by bisection on studentTTwoSided. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`Student t: p must be in (0, 1), got ${p}`);
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  const target = 2 * p - 1;
  let lo = 0,
    hi = 1;
  while (studentTTwoSided(hi, df) < target) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTTwoSided(mid, df) < target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
