/**
 * Exact expectations over a group of M i.i.d. draws from a categorical p over n outcomes.
 *
 * GARL and PAFT (in expectation over PAFT's resampling) are symmetric in the order of the draws,
 * so an expectation over the n^M ordered groups is a sum over the C(M+n-1, n-1) multisets
 * (count vectors), each weighted by its multinomial probability M! / prod c_j! * prod p_j^c_j.
 */
// Math functions bound once: global lookups are slow inside test sandboxes (vm contexts).
const { exp, log } = Math;

/**
 * Calls visit(samples, probability) once per multiset of M draws; `samples` lists the outcomes in
 * non-decreasing order (it is reused between calls: copy it to keep it).
 */
export function forEachGroup(
  p: readonly number[],
  M: number,
  visit: (samples: readonly number[], probability: number) => void,
): void {
  if (!(Number.isInteger(M) && M >= 1)) throw new RangeError(`forEachGroup: M must be a positive integer, got ${M}`);
  const n = p.length;
  const logFact = [0];
  for (let i = 1; i <= M; i++) logFact.push(logFact[i - 1]! + log(i));
  const logP = p.map((x) => log(x));
  const samples = new Array<number>(M);
  const recurse = (j: number, filled: number, logProb: number): void => {
    const left = M - filled;
    if (j === n - 1) {
      let lp = logProb - logFact[left]!;
      if (left > 0) {
        if (p[j]! === 0) return;
        lp += left * logP[j]!;
      }
      for (let i = filled; i < M; i++) samples[i] = j;
      visit(samples, exp(logFact[M]! + lp));
      return;
    }
    for (let c = 0; c <= left; c++) {
      if (c > 0 && p[j]! === 0) break;
      for (let i = filled; i < filled + c; i++) samples[i] = j;
      recurse(j + 1, filled + c, logProb - logFact[c]! + (c > 0 ? c * logP[j]! : 0));
    }
  };
  recurse(0, 0, 0);
}

/** Number of multisets of size M over n outcomes, C(M + n - 1, n - 1). */
export function groupCount(n: number, M: number): number {
  let r = 1;
  for (let i = 1; i < n; i++) r = (r * (M + i)) / i;
  return Math.round(r);
}
