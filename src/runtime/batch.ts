/** Token batches: variable-length sequences padded into [B, T] id and mask tensors. */
export interface TokenBatch {
  ids: BigInt64Array;
  /** 1 for real tokens, 0 for padding. */
  mask: BigInt64Array;
  batch: number;
  length: number;
}

/**
 * A shared-prefix batch (the layout of graphs.ts's shared-prefix graphs): the distinct prefixes once,
 * the continuations, and the prefix row each continuation follows.
 */
export interface PrefixBatch {
  prefix: TokenBatch;
  continuation: TokenBatch;
  /** The row of `prefix` that continuation row b follows, [B]. */
  prefixIndex: BigInt64Array;
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

/** A sequence whose first `prefix` tokens it may share, as a prefix row, with the sequences that start with the same tokens. */
export interface PrefixedSequence {
  ids: readonly number[];
  /** Leading tokens shared as a prefix (a prompt but its last token); clamped to [0, ids.length - 1]. */
  prefix: number;
}

/** One micro-batch of packSharedPrefix. */
export interface PrefixMicroBatch {
  /** The sequences (indices into the input), in continuation row order. */
  rows: number[];
  batch: PrefixBatch;
  /**
   * Per row, the tokens of its sequence in the prefix row: ids[t] of sequence rows[r] is column
   * t - offsets[r] of continuation row r, and its log-prob is at r * (T - 1) + t - offsets[r] - 1.
   */
  offsets: number[];
  /** Tokens the graph runs, padding included: Q x P + B x T. */
  tokens: number;
}

/**
 * Packing for the shared-prefix graphs: sequences that start with the same `prefix` tokens share one
 * prefix row per micro-batch, and each micro-batch's padded size, Q x P (prefix rows x longest
 * prefix) + B x T (continuations x longest continuation), stays within the budget; a group split
 * across micro-batches brings its prefix row into each. Groups are taken in order of first appearance
 * and kept together, their sequences longest continuation first (ties in input order), and packed
 * greedily; a sequence over the budget on its own still gets a micro-batch of one. Deterministic.
 */
export function packSharedPrefix(seqs: readonly PrefixedSequence[], padId: number, budget: number): PrefixMicroBatch[] {
  if (!(budget >= 1)) throw new RangeError(`micro-batch token budget must be >= 1, got ${budget}`);
  const split = seqs.map((s) => Math.min(Math.max(s.prefix, 0), s.ids.length - 1));
  const keys = seqs.map((s, i) => s.ids.slice(0, split[i]).join(','));
  const groups = new Map<string, number[]>();
  keys.forEach((key, i) => {
    const members = groups.get(key);
    if (members) members.push(i);
    else groups.set(key, [i]);
  });
  const continuationLength = (i: number) => seqs[i]!.ids.length - split[i]!;
  const order = [...groups.values()].flatMap((m) =>
    [...m].sort((a, b) => continuationLength(b) - continuationLength(a) || a - b),
  );
  // Greedy, with the padded size of a micro-batch counting at least two prefix columns and two
  // continuation columns (what the graphs run: the two-block causal attention needs two).
  const out: number[][] = [];
  let current: number[] = [];
  let prefixes = new Set<string>();
  let [P, T] = [2, 2];
  for (const i of order) {
    const [P1, T1] = [Math.max(P, split[i]!), Math.max(T, continuationLength(i))];
    const Q1 = prefixes.size + (prefixes.has(keys[i]!) ? 0 : 1);
    if (current.length > 0 && Q1 * P1 + (current.length + 1) * T1 > budget) {
      out.push(current);
      current = [];
      prefixes = new Set();
      [P, T] = [2, 2];
    }
    current.push(i);
    prefixes.add(keys[i]!);
    [P, T] = [Math.max(P, split[i]!), Math.max(T, continuationLength(i))];
  }
  if (current.length > 0) out.push(current);
  return out.map((rows) => {
    const rowOf = new Map<string, number>();
    const prefixes: (readonly number[])[] = [];
    const prefixIndex = new BigInt64Array(rows.length);
    rows.forEach((i, r) => {
      let q = rowOf.get(keys[i]!);
      if (q === undefined) {
        q = prefixes.push(seqs[i]!.ids.slice(0, split[i])) - 1;
        rowOf.set(keys[i]!, q);
      }
      prefixIndex[r] = BigInt(q);
    });
    const prefix = padBatch(prefixes, padId, 'right', Math.max(2, ...prefixes.map((p) => p.length)));
    const continuations = rows.map((i) => seqs[i]!.ids.slice(split[i]));
    const continuation = padBatch(continuations, padId, 'right', Math.max(2, ...continuations.map((c) => c.length)));
    return {
      rows,
      batch: { prefix, continuation, prefixIndex },
      offsets: rows.map((i) => split[i]!),
      tokens: prefix.batch * prefix.length + continuation.batch * continuation.length,
    };
  });
}
