/** Token batches: variable-length sequences padded into [B, T] id and mask tensors. */
export interface TokenBatch {
  ids: BigInt64Array;
  /** 1 for real tokens, 0 for padding. */
  mask: BigInt64Array;
  batch: number;
  length: number;
}

export function padBatch(seqs: readonly (readonly number[])[], padId: number, side: 'right' | 'left' = 'right', length?: number): TokenBatch {
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
