/** Token batches: variable-length sequences padded into [B, T] id and mask tensors. */
export interface TokenBatch {
  ids: BigInt64Array;
  /** 1 for real tokens, 0 for padding. */
  mask: BigInt64Array;
  batch: number;
  length: number;
}

export function padBatch(
  seqs: readonly (readonly number[])[],
  padId: number,
  side: 'right' | 'left' = 'right',
  length?: number,
): TokenBatch {
  const T = length ?? Math.max(...seqs.map((s) => s.length));
  const B = seqs.length;
  const ids = new BigInt64Array(B * T).fill(BigInt(padId));
  const mask = new BigInt64Array(B * T);
  seqs.forEach((s, b) => {
    if (s.length > T) throw new Error(`sequence ${b} has ${s.length} tokens, more than the batch length ${T}`);
    const offset = side === 'right' ? 0 : T - s.length;
    for (let t = 0; t < s.length; t++) {
      ids[b * T + offset + t] = BigInt(s[t]!);
      mask[b * T + offset + t] = 1n;
    }
  });
  return { ids, mask, batch: B, length: T };
}

/**
 * Packing into batches under a token budget: sequences are sorted by length (longest first, ties in input
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
