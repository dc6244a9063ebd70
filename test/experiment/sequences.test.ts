/** The token layout of coefficients, checked by hand on small sequences. */
import { groupCoefficients } from '../../src/objectives/algorithm.js';
import type { Rollout, StopTokens } from '../../src/runtime/rollout.js';
import { packByTokens } from '../../src/runtime/batch.js';
import {
  completionSequence,
  scatterRow,
  scatterSampled,
  sequenceCoefficients,
  sequenceDivisors,
  sftSequence,
  teacherForcedSequence,
  weighsTokens,
  type CoefficientGroup,
  type TrainingSequence,
} from '../../src/experiment/sequences.js';
import { DataOrder } from '../../src/experiment/data-order.js';
import { RandomStreams, streamSeed } from '../../src/experiment/streams.js';
import { Rng } from '../../src/util/rng.js';
import type { SequenceCoefficient } from '../../src/objectives/coefficients.js';

// <think> = 90, </think> = 91, eos = 99; the forced close is "\n</think>\n\n" = [10, 91, 11].
const stop: StopTokens = { eosIds: [99], thinkStartId: 90, thinkEndId: 91, forceCloseIds: [10, 91, 11] };
const prompt = [1, 2, 3];
const gold = [20, 21, 99];

function rollout(o: Partial<Rollout> & Pick<Rollout, 'tokens' | 'rationale' | 'answer'>): Rollout {
  return {
    prompt: 0,
    sample: 0,
    logprobs: o.tokens.map((_, j) => -(j + 1) / 10),
    samplingLogprobs: o.tokens.map(() => 0),
    finishReason: 'eos',
    thinkingForced: false,
    ...o,
  };
}

// A: closed its thinking itself and answered "7" then eos.  B: cut at the thinking budget (3), close forced, answer cut by length.
const A = rollout({ tokens: [90, 5, 6, 91, 11, 7, 99], rationale: [1, 3], answer: [4, 6] });
const B = rollout({
  tokens: [90, 5, 6, 10, 91, 11, 7, 8],
  rationale: [1, 3],
  answer: [6, 8],
  thinkingForced: true,
  finishReason: 'length',
});
const BUDGET = 3;

/** A [B, T-1] array from sequences and their aggregated coefficients. */
function layout(seqs: TrainingSequence[], values: SequenceCoefficient[]): { T: number; rows: number[][] } {
  const T = Math.max(...seqs.map((s) => s.ids.length));
  const out = new Float64Array(seqs.length * (T - 1));
  seqs.forEach((s, r) => scatterRow(s, values[r]!, out, r, T));
  return { T, rows: seqs.map((_, r) => Array.from(out.subarray(r * (T - 1), (r + 1) * (T - 1)))) };
}

describe('sequences: which positions carry rationale and answer coefficients', () => {
  it('GRPO/RLOO completion: generated tokens, forced close excluded, eos in the answer', () => {
    const a = completionSequence(prompt, A, BUDGET, stop);
    expect(a.ids).toEqual([1, 2, 3, 90, 5, 6, 91, 11, 7, 99]);
    expect(a.rationale).toEqual([3, 4, 5, 6]); // <think> 5 6 </think>
    expect(a.answer).toEqual([7, 8, 9]); // "\n\n" 7 eos
    const b = completionSequence(prompt, B, BUDGET, stop);
    expect(b.ids).toEqual([1, 2, 3, 90, 5, 6, 10, 91, 11, 7, 8]);
    expect(b.rationale).toEqual([3, 4, 5]); // the forced 10 91 11 at positions 6..8 are skipped
    expect(b.answer).toEqual([9, 10]);
  });

  it('GARL/PAFT teacher forcing: prompt ++ z ++ close ++ y*', () => {
    const a = teacherForcedSequence(prompt, A, gold, stop);
    expect(a.ids).toEqual([1, 2, 3, 90, 5, 6, 91, 11, 20, 21, 99]); // self-closed: its own </think>, then the separator
    expect(a.rationale).toEqual([3, 4, 5, 6]);
    expect(a.answer).toEqual([8, 9, 10]);
    const b = teacherForcedSequence(prompt, B, gold, stop);
    expect(b.ids).toEqual([1, 2, 3, 90, 5, 6, 10, 91, 11, 20, 21, 99]); // cut: the whole forced close, then y*
    expect(b.rationale).toEqual([3, 4, 5]);
    expect(b.answer).toEqual([9, 10, 11]);
    // never closed (eos inside the thinking): z without the eos, then the forced close
    const c = teacherForcedSequence(
      prompt,
      rollout({ tokens: [90, 5, 99], rationale: [1, 2], answer: [2, 2] }),
      gold,
      stop,
    );
    expect(c.ids).toEqual([1, 2, 3, 90, 5, 10, 91, 11, 20, 21, 99]);
    expect(c.rationale).toEqual([3, 4]);
    expect(c.answer).toEqual([8, 9, 10]);
    // empty rationale
    const d = teacherForcedSequence(
      prompt,
      rollout({ tokens: [91, 11, 7, 99], rationale: [0, 0], answer: [1, 3] }),
      gold,
      stop,
    );
    expect(d.ids).toEqual([1, 2, 3, 91, 11, 20, 21, 99]);
    expect(d.rationale).toEqual([3]);
    expect(d.answer).toEqual([5, 6, 7]);
  });

  it('SFT: the target split at its </think>', () => {
    const s = sftSequence(prompt, [90, 10, 10, 91, 11, 20, 99], 91);
    expect(s.rationale).toEqual([3, 4, 5, 6]);
    expect(s.answer).toEqual([7, 8, 9]);
    expect(sftSequence(prompt, [20, 99], 91)).toMatchObject({ rationale: [], answer: [3, 4] });
  });

  it('GARL q = 0: c_m / M on z_m, w_m / M on y* (hand-computed), 0 on prompt, close and padding', () => {
    const seqs = [teacherForcedSequence(prompt, A, gold, stop), teacherForcedSequence(prompt, B, gold, stop)];
    const g = groupCoefficients(
      { name: 'garl', q: 0 },
      { logAnswerLikelihoods: [Math.log(0.5), Math.log(0.1)] },
      { step: 0, rng: new Rng(0) },
    );
    const coefficients = sequenceCoefficients([{ sequences: seqs, coefficients: g.sequences }], 'group-mean');
    // c_1 = 0.5 - 0.1 = 0.4 -> 0.2 on rationale; w_1 / 2 = 0.25 on the answer. c_2 = -0.4 -> -0.2; w_2 / 2 = 0.05.
    expect(coefficients).toEqual([
      { rationale: expect.closeTo(0.2, 12), answer: expect.closeTo(0.25, 12) },
      { rationale: expect.closeTo(-0.2, 12), answer: expect.closeTo(0.05, 12) },
    ]);
    const { T, rows } = layout(seqs, coefficients);
    expect(T).toBe(12);
    const expectA = [0, 0, 0.2, 0.2, 0.2, 0.2, 0, 0.25, 0.25, 0.25, 0];
    const expectB = [0, 0, -0.2, -0.2, -0.2, 0, 0, 0, 0.05, 0.05, 0.05];
    rows[0]!.forEach((v, i) => expect(v).toBeCloseTo(expectA[i]!, 12));
    rows[1]!.forEach((v, i) => expect(v).toBeCloseTo(expectB[i]!, 12));
  });

  it('GARL q = 1: rationale and answer get different coefficients; 1/M^q and 1/M applied', () => {
    const seqs = [teacherForcedSequence(prompt, A, gold, stop), teacherForcedSequence(prompt, B, gold, stop)];
    const g = groupCoefficients(
      { name: 'garl', q: 1 },
      { logAnswerLikelihoods: [Math.log(0.5), Math.log(0.1)] },
      { step: 0, rng: new Rng(0) },
    );
    const coefficients = sequenceCoefficients([{ sequences: seqs, coefficients: g.sequences }], 'group-mean');
    // W = 0.3; c_m = w_m / W - 1; rationale c_m / (M * M), answer w_m / (W * M * M)
    expect(coefficients).toEqual([
      { rationale: expect.closeTo((0.5 / 0.3 - 1) / 4, 12), answer: expect.closeTo(0.5 / 0.3 / 4, 12) },
      { rationale: expect.closeTo((0.1 / 0.3 - 1) / 4, 12), answer: expect.closeTo(0.1 / 0.3 / 4, 12) },
    ]);
    const { rows } = layout(seqs, coefficients);
    expect(rows[0]![2]).toBeCloseTo((0.5 / 0.3 - 1) / 4, 12);
    expect(rows[0]![7]).toBeCloseTo(0.5 / 0.3 / 4, 12);
    expect(rows[1]![4]).toBeCloseTo((0.1 / 0.3 - 1) / 4, 12);
    expect(rows[1]![10]).toBeCloseTo(0.1 / 0.3 / 4, 12);
  });

  it('PAFT: the SFT weight times the draw count on z and y* of drawn samples only', () => {
    const seqs = [teacherForcedSequence(prompt, A, gold, stop), teacherForcedSequence(prompt, B, gold, stop)];
    const g = groupCoefficients(
      { name: 'paft', q: 0.5, k: 4 },
      { logAnswerLikelihoods: [Math.log(0.5), -Infinity] },
      { step: 0, rng: new Rng(1) },
    );
    const coefficients = sequenceCoefficients([{ sequences: seqs, coefficients: g.sequences }], 'group-mean');
    const weight = Math.sqrt(0.25) / (Math.sqrt(2) * 4); // W^(1-q) / (M^q K), W = 0.25
    expect(coefficients[0]).toEqual({
      rationale: expect.closeTo(4 * weight, 12),
      answer: expect.closeTo(4 * weight, 12),
    });
    expect(coefficients[1]).toEqual({ rationale: 0, answer: 0 });
    expect(seqs.map((s, i) => weighsTokens(s, coefficients[i]!))).toEqual([true, false]);
    const { rows } = layout(seqs, coefficients);
    const expectA = [0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 0].map((x) => x * 4 * weight); // all 4 draws pick A
    rows[0]!.forEach((v, i) => expect(v).toBeCloseTo(expectA[i]!, 12));
    expect(rows[1]!.every((v) => v === 0)).toBe(true);
  });

  it('GRPO: the advantage over the token count of the batch (token-mean), sampling log-probs for clipping', () => {
    const seqs = [completionSequence(prompt, A, BUDGET, stop), completionSequence(prompt, B, BUDGET, stop)];
    const g = groupCoefficients({ name: 'grpo' }, { rewards: [1, 0] }, { step: 0, rng: new Rng(0) });
    const coefficients = sequenceCoefficients([{ sequences: seqs, coefficients: g.sequences }], 'token-mean');
    const adv = 0.5 / (Math.SQRT1_2 + 1e-6); // (r - mean) / (sample std + eps)
    const n = 7 + 5; // trained tokens of A and B
    expect(coefficients).toEqual([
      { rationale: expect.closeTo(adv / n, 12), answer: expect.closeTo(adv / n, 12) },
      { rationale: expect.closeTo(-adv / n, 12), answer: expect.closeTo(-adv / n, 12) },
    ]);
    const { T, rows } = layout(seqs, coefficients);
    const expectA = [0, 0, 1, 1, 1, 1, 1, 1, 1, 0].map((x) => (x * adv) / n);
    const expectB = [0, 0, 1, 1, 1, 0, 0, 0, 1, 1].map((x) => (-x * adv) / n);
    rows[0]!.forEach((v, i) => expect(v).toBeCloseTo(expectA[i]!, 12));
    rows[1]!.forEach((v, i) => expect(v).toBeCloseTo(expectB[i]!, 12));
    const old = new Float64Array(2 * (T - 1));
    seqs.forEach((s, r) => scatterSampled(s, old, r, T));
    // completion token j of A sits at position 3 + j, i.e. row index 2 + j
    expect(Array.from(old.subarray(0, T - 1))).toEqual([0, 0, ...A.logprobs, 0].slice(0, T - 1));
  });

  it('aggregation spans every group of the step', () => {
    const seqs = [completionSequence(prompt, A, BUDGET, stop), completionSequence(prompt, B, BUDGET, stop)];
    const groups: CoefficientGroup[] = [
      { sequences: [seqs[0]!], coefficients: [{ rationale: 1, answer: 2 }] },
      { sequences: [seqs[1]!], coefficients: [{ rationale: 3, answer: 4 }] },
    ];
    const v = sequenceCoefficients(groups, 'group-mean');
    expect(v).toEqual([
      { rationale: 0.5, answer: 1 },
      { rationale: 1.5, answer: 2 },
    ]);
    const { rows } = layout(seqs, v);
    expect(rows[0]).toEqual([0, 0, 0.5, 0.5, 0.5, 0.5, 1, 1, 1, 0]);
    expect(rows[1]).toEqual([0, 0, 1.5, 1.5, 1.5, 0, 0, 0, 2, 2]);
  });

  it('the KL weight: beta over each sequence divisor, the same divisors as the coefficients', () => {
    const seqs = [completionSequence(prompt, A, BUDGET, stop), completionSequence(prompt, B, BUDGET, stop)];
    // 7 + 5 trained tokens in 2 sequences of 1 group each
    expect(sequenceDivisors([[seqs[0]!], [seqs[1]!]], 'token-mean')).toEqual([12, 12]);
    expect(sequenceDivisors([[seqs[0]!], [seqs[1]!]], 'seq-mean-token-mean')).toEqual([14, 10]);
    expect(sequenceDivisors([[seqs[0]!], [seqs[1]!]], 'seq-sum')).toEqual([2, 2]);
    expect(sequenceDivisors([seqs], 'group-mean')).toEqual([1, 1]);
    const ones = seqs.map(() => ({ rationale: 1, answer: 1 }));
    expect(sequenceCoefficients([{ sequences: seqs, coefficients: ones }], 'seq-mean-token-mean')).toEqual([
      { rationale: 1 / 14, answer: 1 / 14 },
      { rationale: 1 / 10, answer: 1 / 10 },
    ]);
  });

  it('a sequence weighs tokens only through a part that has tokens and a nonzero coefficient', () => {
    const s = sftSequence(prompt, [20, 99], 91); // no rationale, two answer tokens
    expect(weighsTokens(s, { rationale: 1, answer: 0 })).toBe(false);
    expect(weighsTokens(s, { rationale: 0, answer: -1 })).toBe(true);
    const full = sftSequence(prompt, [90, 91, 20, 99], 91);
    expect(weighsTokens(full, { rationale: 1, answer: 0 })).toBe(true);
    expect(weighsTokens(full, { rationale: 0, answer: 0 })).toBe(false);
  });
});

describe('micro-batches, data order and random streams', () => {
  it('packs to the token budget, longest first', () => {
    const lengths = [10, 30, 20, 25, 5, 40];
    const batches = packByTokens(lengths, 60);
    expect(batches).toEqual([[5], [1, 3], [2, 0, 4]]);
    for (const b of batches)
      expect(b.length === 1 || b.length * Math.max(...b.map((i) => lengths[i]!)) <= 60).toBe(true);
    expect(packByTokens([100], 10)).toEqual([[0]]);
  });

  it('a restored data order continues with the same batches across epochs', () => {
    const streamsA = RandomStreams.fromSeed(1);
    const orderA = DataOrder.start(5, streamsA.data);
    orderA.next(3);
    const saved = { streams: streamsA.state(), order: orderA.state() };
    const expected = [orderA.next(4), orderA.next(4), orderA.next(4)];
    const streamsB = RandomStreams.fromState(saved.streams);
    const orderB = DataOrder.restore(saved.order, 5, streamsB.data);
    expect([orderB.next(4), orderB.next(4), orderB.next(4)]).toEqual(expected);
    expect(orderB.epoch).toBe(2); // 3 + 12 = 15 items: three whole epochs
    const all = DataOrder.start(5, new Rng(9)).next(5).sort();
    expect(all).toEqual([0, 1, 2, 3, 4]);
    expect(() => DataOrder.restore(saved.order, 6, streamsB.data)).toThrow(/5 training records/);
  });

  it('streams are independent and seeded by name', () => {
    expect(streamSeed(0, 'data')).not.toBe(streamSeed(0, 'sampling'));
    expect(streamSeed(0, 'data')).not.toBe(streamSeed(1, 'data'));
    const s = RandomStreams.fromSeed(0);
    expect(s.data.state()).not.toEqual(s.sampling.state());
  });
});
