/**
 * Micro-batching to a token budget: sequences are sorted by length (longest first, ties in input
 * order) and packed greedily so that each micro-batch's padded size, rows x longest row, stays within
 * the budget. A sequence longer than the budget on its own still gets a micro-batch of one.
 * Deterministic: the same lengths always give the same micro-batches.
 */
export function packByTokens(lengths: readonly number[], budget: number): number[][] {
  if (!(budget >= 1)) throw new RangeError(`micro-batch token budget must be >= 1, got ${budget}`);
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  const out: number[][] = [];
  let current: number[] = [];
  let longest = 0;
  for (const i of order) {
    const L = lengths[i]!;
    const width = Math.max(longest, L);
    if (current.length > 0 && (current.length + 1) * width > budget) {
      out.push(current);
      current = [];
      longest = 0;
    }
    current.push(i);
    longest = Math.max(longest, L);
  }
  if (current.length > 0) out.push(current);
  return out;
}
