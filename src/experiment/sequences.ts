/**
 * Training sequences and where their coefficients go.
 *
 * A training sequence is a list of token ids with two lists of positions: the rationale tokens and
 * the answer tokens whose log-probabilities the loss weighs. Position t (t >= 1) is the token ids[t],
 * whose log-probability is row t - 1 of the [B, T-1] log-probs the graphs return. Every other
 * position (prompt, forced tokens, padding) gets coefficient 0.
 *
 * Three shapes:
 * - completion (GRPO, RLOO): prompt ++ the rollout's tokens as generated. Rationale: the completion
 *   tokens before the answer span (`<think>` and a self-generated `</think>` included) except those
 *   forced by the thinking budget, which the policy did not choose; answer: the answer span and the
 *   end-of-sequence token that ended it. The rollout's log-probs go along for PPO ratio clipping.
 * - teacher-forced (GARL, PAFT): prompt ++ z_m ++ close ++ y*. z_m is the completion up to the end of
 *   the rationale (with `</think>` when the model closed its thinking itself); close is the separator
 *   after a self-closed `</think>`, or the whole forced close `\n</think>\n\n` when the rationale did
 *   not close itself (cut at its budget, or ended otherwise); y* is the gold answer with the
 *   end-of-turn token. Rationale: z_m; answer: y*. log w_m is the sum of the answer positions' log-probs.
 * - SFT: prompt ++ target. Rationale: the target up to and including its first `</think>`; answer:
 *   the rest.
 *
 * A sequence's coefficients are one aggregated pair (sequenceCoefficients): every rationale position
 * gets .rationale, every answer position .answer, written straight into the [B, T-1] coef input by
 * scatterRow. The KL weight of a sequence is beta over its aggregation divisor (sequenceDivisors).
 *
 * Every weighted position lies after the prompt, so the shared-prefix graphs (runtime/graphs.ts) can
 * run a prompt but its last token once as a prefix row for all its sequences: a row then holds
 * ids[offset..] with offset = promptLength - 1 (sharedPrefixLength), and the helpers below take that
 * offset (0: the whole sequence in its row).
 */
import {
  aggregateCoefficients,
  aggregationDivisors,
  type Aggregation,
  type BatchGroup,
  type SequenceCoefficient,
} from '../objectives/coefficients.js';
import type { Rollout, StopTokens } from '../runtime/rollout.js';
import { closeSuffix } from './prompting.js';

export interface TrainingSequence {
  ids: number[];
  /** Positions (indices into ids, >= 1) of rationale tokens, increasing. */
  rationale: number[];
  /** Positions of answer tokens, increasing, after the rationale's. */
  answer: number[];
  /** Sampling-time log-probs (temperature 1) of generated tokens: logprob of ids[start + j] is logprobs[j]. */
  sampled?: { start: number; logprobs: readonly number[] };
  /** Leading tokens of ids that are the prompt (no position among them is weighted); absent: none shared. */
  promptLength?: number;
}

/** The tokens of a sequence that the shared-prefix graphs run as its prefix row: its prompt but the last token. */
export function sharedPrefixLength(seq: TrainingSequence): number {
  return Math.max((seq.promptLength ?? 0) - 1, 0);
}

function span(from: number, to: number): number[] {
  const out: number[] = [];
  for (let t = from; t < to; t++) out.push(t);
  return out;
}

/** The completion indices forced by the thinking budget. */
export function forcedRange(rollout: Rollout, thinkingBudget: number | undefined, stop: StopTokens): [number, number] {
  if (!rollout.thinkingForced || thinkingBudget === undefined) return [0, 0];
  return [thinkingBudget, Math.min(thinkingBudget + stop.forceCloseIds.length, rollout.tokens.length)];
}

/** GRPO / RLOO: the rollout as generated. */
export function completionSequence(
  prompt: readonly number[],
  rollout: Rollout,
  thinkingBudget: number | undefined,
  stop: StopTokens,
): TrainingSequence {
  const P = prompt.length;
  const [f0, f1] = forcedRange(rollout, thinkingBudget, stop);
  const a0 = rollout.answer[0];
  const keep = (j: number) => (j < f0 || j >= f1) && P + j >= 1;
  const rationale = span(0, a0)
    .filter(keep)
    .map((j) => P + j);
  const answer = span(a0, rollout.tokens.length)
    .filter(keep)
    .map((j) => P + j);
  return {
    ids: [...prompt, ...rollout.tokens],
    rationale,
    answer,
    sampled: { start: P, logprobs: rollout.logprobs },
    promptLength: P,
  };
}

/** Whether the rollout closed its thinking with a `</think>` it generated itself. */
export function selfClosed(rollout: Rollout, stop: StopTokens): boolean {
  return (
    !rollout.thinkingForced && stop.thinkEndId !== undefined && rollout.tokens[rollout.rationale[1]] === stop.thinkEndId
  );
}

/** GARL / PAFT: prompt ++ z_m ++ close ++ y*. */
export function teacherForcedSequence(
  prompt: readonly number[],
  rollout: Rollout,
  answerIds: readonly number[],
  stop: StopTokens,
): TrainingSequence {
  const closed = selfClosed(rollout, stop);
  const z = rollout.tokens.slice(0, closed ? rollout.rationale[1] + 1 : rollout.rationale[1]);
  const close = closed ? closeSuffix(stop) : stop.forceCloseIds;
  const P = prompt.length;
  const a0 = P + z.length + close.length;
  return {
    ids: [...prompt, ...z, ...close, ...answerIds],
    rationale: span(P, P + z.length),
    answer: span(a0, a0 + answerIds.length),
    promptLength: P,
  };
}

/** SFT: prompt ++ target, split at the target's first `</think>`. */
export function sftSequence(
  prompt: readonly number[],
  target: readonly number[],
  thinkEndId: number | undefined,
): TrainingSequence {
  const P = prompt.length;
  const close = thinkEndId === undefined ? -1 : target.indexOf(thinkEndId);
  const split = P + close + 1;
  return {
    ids: [...prompt, ...target],
    rationale: span(P, split),
    answer: span(split, P + target.length),
    promptLength: P,
  };
}

/**
 * Where position t of a sequence in row `row` of a [B, T-1] array is: base + t. `offset` tokens of
 * the sequence are not in its row (its shared prefix); a position among them has no place there.
 */
export function rowBase(row: number, T: number, offset: number): number {
  return row * (T - 1) - 1 - offset;
}

function inRow(t: number, offset: number): number {
  if (offset > 0 && t <= offset)
    throw new RangeError(`position ${t} lies in the shared prefix (${offset} tokens) of its sequence`);
  return t;
}

/**
 * Sum of the log-probs at the answer positions of sequence `row` in a [B, T-1] log-prob array (in
 * double); `offset`: the tokens of the sequence in its shared prefix row.
 */
export function answerLogLikelihood(
  seq: TrainingSequence,
  logprobs: ArrayLike<number>,
  row: number,
  T: number,
  offset = 0,
): number {
  let sum = 0;
  const base = rowBase(row, T, offset);
  for (const t of seq.answer) sum += logprobs[base + inRow(t, offset)]!;
  return sum;
}

/** Groups of sequences with their coefficients: what the aggregation (objectives/coefficients.ts) divides. */
export interface CoefficientGroup {
  sequences: readonly TrainingSequence[];
  coefficients: readonly SequenceCoefficient[];
}

const segmentsOf = (sequences: readonly TrainingSequence[]) =>
  sequences.map((s) => ({ rationaleTokens: s.rationale.length, answerTokens: s.answer.length }));

/**
 * The aggregated coefficients of every sequence, in the order of the groups: out[i] is what each
 * rationale position (.rationale) and each answer position (.answer) of sequence i gets.
 */
export function sequenceCoefficients(
  groups: readonly CoefficientGroup[],
  aggregation: Aggregation,
): SequenceCoefficient[] {
  const batch: BatchGroup[] = groups.map((g) => ({ coefficients: g.coefficients, segments: segmentsOf(g.sequences) }));
  return aggregateCoefficients(batch, aggregation).flat();
}

/**
 * The aggregation's divisor of every sequence, in the order of the groups (aggregationDivisors): a
 * per-token weight w of the loss (the KL term's beta) weighs sequence i's tokens aggregate(w, out[i]).
 */
export function sequenceDivisors(groups: readonly (readonly TrainingSequence[])[], aggregation: Aggregation): number[] {
  return aggregationDivisors(groups.map(segmentsOf), aggregation).flat();
}

/** Whether a sequence's coefficients weigh any of its tokens: a part with tokens and a nonzero coefficient. */
export function weighsTokens(seq: TrainingSequence, c: SequenceCoefficient): boolean {
  return (seq.rationale.length > 0 && c.rationale !== 0) || (seq.answer.length > 0 && c.answer !== 0);
}

/**
 * Writes one sequence's coefficients into row `row` of a [B, T-1] array: .rationale at its rationale
 * positions, .answer at its answer positions (`offset` as answerLogLikelihood's).
 */
export function scatterRow(
  seq: TrainingSequence,
  c: SequenceCoefficient,
  out: Float32Array | Float64Array,
  row: number,
  T: number,
  offset = 0,
): void {
  const base = rowBase(row, T, offset);
  for (const t of seq.rationale) out[base + inRow(t, offset)] = c.rationale;
  for (const t of seq.answer) out[base + inRow(t, offset)] = c.answer;
}

/** The sampling-time log-probs of a sequence's generated tokens into row `row` (0 elsewhere). */
export function scatterSampled(
  seq: TrainingSequence,
  out: Float32Array | Float64Array,
  row: number,
  T: number,
  offset = 0,
): void {
  if (!seq.sampled) return;
  const { start, logprobs } = seq.sampled;
  const base = rowBase(row, T, offset);
  for (let j = 0; j < logprobs.length; j++) if (start + j >= 1 + offset) out[base + start + j] = logprobs[j]!;
}
