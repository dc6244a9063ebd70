/**
 * Gradients of one step, accumulated over micro-batches. Each sequence's coefficients (one for its
 * rationale tokens, one for its answer tokens) already carry the loss aggregation over the whole
 * step's batch (sequences.ts, objectives/coefficients.ts), so the micro-batches' gradients simply add
 * up. Sequences whose coefficients weigh none of their tokens are skipped (they contribute nothing)
 * unless a KL term applies to them. The logged KL is the train graph's own per-token k3 (the values
 * its loss sums), averaged over the weighted tokens.
 *
 * With `sharedPrompt` (and a policy, and reference, that can) the micro-batches run in the shared-
 * prefix layout (runtime/graphs.ts): each distinct prompt once per micro-batch, packed by
 * packSharedPrefix; else each sequence whole, packed by packByTokens.
 */
import type { Policy, TrainInputs, TrainOutputs } from '../runtime/policy.js';
import { packByTokens, packSharedPrefix, padBatch, type PrefixBatch, type TokenBatch } from '../runtime/batch.js';
import type { SequenceCoefficient } from '../objectives/coefficients.js';
import {
  rowBase,
  scatterRow,
  scatterSampled,
  sharedPrefixLength,
  weighsTokens,
  type TrainingSequence,
} from './sequences.js';
import type { PhaseTimer } from './timer.js';

const { exp } = Math;

export interface GradientJob {
  sequences: readonly TrainingSequence[];
  /** Per sequence, its aggregated coefficients: .rationale on each rationale position, .answer on each answer position. */
  coefficients: readonly SequenceCoefficient[];
  /** PPO ratio bounds [low, high] against the sequences' sampling log-probs. */
  clip?: { low: number; high: number };
  /** k3 KL to `reference`: per sequence, the KL weight of each of its rationale and answer positions. */
  kl?: { reference: Policy; coefficients: readonly number[] };
  /** Run each micro-batch's prompts once (the shared-prefix graphs; the sequences' promptLength). */
  sharedPrompt?: boolean;
}

export interface GradientResult {
  /** Summed gradients by parameter; all zeros when nothing was trained. */
  grads: Map<string, Float32Array>;
  loss: number;
  /** Mean k3 KL per weighted token, from the train graph's per-token k3 (null without a KL term). */
  kl: number | null;
  /** Sequences and tokens that went through the train graph. */
  sequences: number;
  tokens: number;
  /**
   * With a clip: the share of those tokens the clip held, whose ratio left the range on the side
   * where the surrogate takes the clipped value and the gradient is 0 (r > high with a positive
   * coefficient, r < low with a negative one: TRL's clip_ratio, verl's pg_clipfrac). Null without.
   */
  clipFraction: number | null;
}

/** One micro-batch: its sequences, the graph input, and where each sequence's positions land. */
interface MicroBatch {
  /** Sequence indices, in row order. */
  rows: number[];
  /** Per row, the tokens of its sequence in a shared prefix row (0: the whole sequence in its row). */
  offsets: number[];
  /** Rows and length (T) of the [B, T-1] per-token arrays. */
  batch: number;
  length: number;
  /** Tokens the graph runs, padding included. */
  tokens: number;
  plain?: TokenBatch;
  shared?: PrefixBatch;
}

function microBatches(
  sequences: readonly TrainingSequence[],
  active: number[],
  shared: boolean,
  padId: number,
  tokenBudget: number,
): MicroBatch[] {
  if (shared) {
    const prefixed = active.map((i) => ({ ids: sequences[i]!.ids, prefix: sharedPrefixLength(sequences[i]!) }));
    return packSharedPrefix(prefixed, padId, tokenBudget).map((m) => ({
      rows: m.rows.map((k) => active[k]!),
      offsets: m.offsets,
      batch: m.batch.continuation.batch,
      length: m.batch.continuation.length,
      tokens: m.tokens,
      shared: m.batch,
    }));
  }
  return packByTokens(
    active.map((i) => sequences[i]!.ids.length),
    tokenBudget,
  ).map((micro) => {
    const rows = micro.map((k) => active[k]!);
    const plain = padBatch(
      rows.map((i) => sequences[i]!.ids),
      padId,
    );
    const offsets = rows.map(() => 0);
    return { rows, offsets, batch: plain.batch, length: plain.length, tokens: plain.batch * plain.length, plain };
  });
}

export async function accumulateGradients(
  policy: Policy,
  job: GradientJob,
  padId: number,
  tokenBudget: number,
  timer: PhaseTimer,
): Promise<GradientResult> {
  const { sequences, coefficients } = job;
  const active = sequences
    .map((_, i) => i)
    .filter((i) => job.kl !== undefined || weighsTokens(sequences[i]!, coefficients[i]!));
  const shared = !!job.sharedPrompt && policy.sharesPrefixes && (job.kl?.reference.sharesPrefixes ?? true);
  const grads = new Map<string, Float32Array>();
  let loss = 0,
    klSum = 0,
    klTokens = 0,
    tokens = 0,
    clipped = 0;
  for (const micro of microBatches(sequences, active, shared, padId, tokenBudget)) {
    const { rows, offsets } = micro;
    const T = micro.length;
    const n = micro.batch * (T - 1);
    const coef = policy.array(n);
    rows.forEach((i, r) => scatterRow(sequences[i]!, coefficients[i]!, coef, r, T, offsets[r]));
    const inputs: TrainInputs = { coef };
    const old = job.clip ? policy.array(n) : undefined;
    if (job.clip && old) {
      rows.forEach((i, r) => scatterSampled(sequences[i]!, old, r, T, offsets[r]));
      inputs.clip = { oldLogprobs: old, low: job.clip.low, high: job.clip.high };
    }
    if (job.kl) {
      const reference = job.kl.reference;
      const ref = await timer.time('score', () =>
        micro.shared ? reference.scoreSharedPrefix(micro.shared) : reference.score(micro.plain!),
      );
      timer.count('score', micro.tokens);
      const klCoef = policy.array(n);
      rows.forEach((i, r) => {
        const w = job.kl!.coefficients[i]!;
        scatterRow(sequences[i]!, { rationale: w, answer: w }, klCoef, r, T, offsets[r]);
      });
      inputs.kl = { refLogprobs: ref, coef: klCoef };
    }
    const out: TrainOutputs = await timer.time('train', () =>
      micro.shared ? policy.trainStepSharedPrefix(micro.shared, inputs) : policy.trainStep(micro.plain!, inputs),
    );
    timer.count('train', micro.tokens);
    loss += out.loss;
    for (const [name, g] of out.grads) {
      const acc = grads.get(name);
      // Each run returns fresh arrays: keep a float32 one as the accumulator instead of copying it.
      if (acc === undefined) grads.set(name, g instanceof Float32Array ? g : Float32Array.from(g));
      else for (let j = 0; j < acc.length; j++) acc[j] = acc[j]! + g[j]!;
    }
    rows.forEach((i, r) => {
      const s = sequences[i]!;
      tokens += s.rationale.length + s.answer.length;
      const base = rowBase(r, T, offsets[r]!);
      if (old && job.clip) {
        const { low, high } = job.clip;
        const c = coefficients[i]!;
        // Per token, by the sign of its coefficient: .rationale on the rationale, .answer on the answer.
        const held = (value: number, positions: readonly number[]) => {
          for (const t of positions) {
            const ratio = exp(out.logprobs[base + t]! - old[base + t]!);
            if ((value > 0 && ratio > high) || (value < 0 && ratio < low)) clipped++;
          }
        };
        held(c.rationale, s.rationale);
        held(c.answer, s.answer);
      }
      if (!job.kl) return;
      const k3 = out.klTokens;
      if (!k3) throw new Error('accumulateGradients: the train graph returned no per-token KL');
      for (const t of s.rationale) klSum += k3[base + t]!;
      for (const t of s.answer) klSum += k3[base + t]!;
      klTokens += s.rationale.length + s.answer.length;
    });
  }
  if (grads.size === 0) for (const [name, w] of policy.weights) grads.set(name, new Float32Array(w.length));
  return {
    grads,
    loss,
    kl: job.kl ? (klTokens === 0 ? 0 : klSum / klTokens) : null,
    sequences: active.length,
    tokens,
    clipFraction: job.clip ? (tokens === 0 ? 0 : clipped / tokens) : null,
  };
}
