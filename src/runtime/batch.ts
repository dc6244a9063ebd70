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
 * A micro-batch's fixed cost in the token units of packSharedPrefix: a run of the tiny preset's train
 * graph spends about 25 ms in per-node overhead whatever its size, about as long as 400 tokens take.
 */
const MICRO_BATCH_RUN_TOKENS = 512;

/**
 * Packing for the shared-prefix graphs: sequences that start with the same `prefix` tokens share one
 * prefix row per micro-batch, and each micro-batch's padded size, Q x P (prefix rows x longest
 * prefix) + B x T (continuations x longest continuation), stays within the budget; a group split
 * across micro-batches brings its prefix row into each. Of two packings, the one with the fewer padded
 * tokens (each micro-batch counting MICRO_BATCH_RUN_TOKENS more; ties to the first) is taken:
 * - by group: groups in order of first appearance, kept together, their sequences longest continuation
 *   first (ties in input order), packed greedily;
 * - by length: every sequence longest continuation first (ties in input order), cut into the runs of
 *   that order with the fewest padded tokens (dynamic programming). When a few continuations are much
 *   longer than the rest (a thinking budget reached), this keeps the rest from padding to them.
 * A sequence over the budget on its own still gets a micro-batch of one. Deterministic.
 */
export function packSharedPrefix(seqs: readonly PrefixedSequence[], padId: number, budget: number): PrefixMicroBatch[] {
  if (!(budget >= 1)) throw new RangeError(`micro-batch token budget must be >= 1, got ${budget}`);
  const split = seqs.map((s) => Math.min(Math.max(s.prefix, 0), s.ids.length - 1));
  // Sequences with the same prefix tokens form a group, numbered in order of first appearance.
  const groupIndex = new Map<string, number>();
  const members: number[][] = [];
  const groupOf = Int32Array.from(seqs, (s, i) => {
    const key = s.ids.slice(0, split[i]).join(',');
    let g = groupIndex.get(key);
    if (g === undefined) {
      g = members.push([]) - 1;
      groupIndex.set(key, g);
    }
    members[g]!.push(i);
    return g;
  });
  const continuationLength = (i: number) => seqs[i]!.ids.length - split[i]!;
  const longestFirst = (a: number, b: number) => continuationLength(b) - continuationLength(a) || a - b;
  // The padded size of a micro-batch grown one sequence at a time, counting at least two prefix columns
  // and two continuation columns (what the graphs run: the two-block causal attention needs two).
  // The grower that last saw each group: growers are used one at a time, so a stamp marks membership.
  const seenIn = new Int32Array(members.length).fill(-1);
  let growers = 0;
  const grower = () => {
    const id = growers++;
    let [Q, P, T, B] = [0, 2, 2, 0];
    return {
      sizeWith(i: number): number {
        const Q1 = Q + (seenIn[groupOf[i]!] === id ? 0 : 1);
        return Q1 * Math.max(P, split[i]!) + (B + 1) * Math.max(T, continuationLength(i));
      },
      add(i: number): void {
        if (seenIn[groupOf[i]!] !== id) {
          seenIn[groupOf[i]!] = id;
          Q++;
        }
        P = Math.max(P, split[i]!);
        T = Math.max(T, continuationLength(i));
        B++;
      },
    };
  };
  const byGroup: number[][] = [];
  let groupCost = 0;
  let current: number[] = [];
  let g = grower();
  let size = 0;
  for (const i of members.flatMap((m) => [...m].sort(longestFirst))) {
    let next = g.sizeWith(i);
    if (current.length > 0 && next > budget) {
      byGroup.push(current);
      groupCost += size + MICRO_BATCH_RUN_TOKENS;
      [current, g] = [[], grower()];
      next = g.sizeWith(i);
    }
    size = next;
    g.add(i);
    current.push(i);
  }
  if (current.length > 0) {
    byGroup.push(current);
    groupCost += size + MICRO_BATCH_RUN_TOKENS;
  }
  // By length: best[j] is the least cost of cutting the first j sequences of the order into runs.
  const order = seqs.map((_, i) => i).sort(longestFirst);
  const n = order.length;
  const best = new Float64Array(n + 1).fill(Infinity);
  const cut = new Int32Array(n + 1);
  best[0] = 0;
  for (let a = 0; a < n; a++) {
    const run = grower();
    for (let b = a; b < n; b++) {
      const runSize = run.sizeWith(order[b]!);
      if (b > a && runSize > budget) break;
      run.add(order[b]!);
      const cost = best[a]! + runSize + MICRO_BATCH_RUN_TOKENS;
      if (cost < best[b + 1]!) [best[b + 1], cut[b + 1]] = [cost, a];
    }
  }
  const byLength: number[][] = [];
  for (let j = n; j > 0; j = cut[j]!) byLength.unshift(order.slice(cut[j]!, j));
  const out = best[n]! < groupCost ? byLength : byGroup;
  return out.map((rows) => {
    const rowOf = new Map<number, number>(); // group -> its prefix row in this micro-batch
    const prefixes: (readonly number[])[] = [];
    const prefixIndex = new BigInt64Array(rows.length);
    rows.forEach((i, r) => {
      let q = rowOf.get(groupOf[i]!);
      if (q === undefined) {
        q = prefixes.push(seqs[i]!.ids.slice(0, split[i])) - 1;
        rowOf.set(groupOf[i]!, q);
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
