/**
 * Rollouts: what generation returns, and the per-sequence rules that decide each next token
 * (thinking budget with a forced `</think>`, answer budget, stop tokens). The rules live here once, as
 * plain TS, and the generate graph mirrors them (tests compare the two token for token).
 */

export interface StopTokens {
  /** End-of-sequence ids (the tokenizer config's eos plus end-of-turn tokens). */
  eosIds: number[];
  thinkStartId?: number;
  thinkEndId?: number;
  /** Tokens forced when the thinking budget runs out: `</think>` with the chat template's separators. */
  forceCloseIds: number[];
}

export interface SamplingOptions {
  /** 0 means greedy. */
  temperature: number;
  /** Nucleus sampling mass; 1 disables it. */
  topP: number;
  /** Keep the k most likely tokens; 0 disables it. */
  topK: number;
}

export interface GenerateOptions extends SamplingOptions {
  /** Rollouts per prompt (M); the prompt's prefill is computed once and shared. */
  samplesPerPrompt: number;
  maxNewTokens: number;
  /** Rationale tokens allowed before `</think>` is forced (the study: 4096-128 for FinQA); undefined: no budget. */
  thinkingBudget?: number;
  /** Answer tokens allowed after thinking closes (the study: 128); undefined: no limit. */
  answerBudget?: number;
  stop: StopTokens;
  seed: number;
}

export type FinishReason = 'eos' | 'answer-budget' | 'length';

export interface Rollout {
  /** Index of the prompt, and of the sample among that prompt's M. */
  prompt: number;
  sample: number;
  /** Completion ids (without the prompt), the eos token included when one ended it. */
  tokens: number[];
  /** log p(token | prefix) under the model at temperature 1, for every completion token (forced ones too). */
  logprobs: number[];
  /** log-probability under the sampling distribution (temperature, top-p, top-k); 0 for forced tokens. */
  samplingLogprobs: number[];
  /** [start, end) of the rationale: after `<think>` (when generated) up to `</think>` or the forced close. */
  rationale: [number, number];
  /** [start, end) of the answer: after the close of thinking, up to (excluding) eos. */
  answer: [number, number];
  finishReason: FinishReason;
  /** The thinking budget ran out and `</think>` was forced. */
  thinkingForced: boolean;
}

/** Phase of one sequence. */
export enum Phase {
  Thinking = 0,
  Forcing = 1,
  Answer = 2,
  Done = 3,
}

/** Per-sequence state of the decoding rules. */
export interface SequenceState {
  phase: Phase;
  generated: number;
  forced: number;
  answerTokens: number;
  thinkingForced: boolean;
  finish?: FinishReason;
}

export function initialState(): SequenceState {
  return { phase: Phase.Thinking, generated: 0, forced: 0, answerTokens: 0, thinkingForced: false };
}

/** The token that must be emitted next regardless of the model, if any. */
export function forcedToken(s: SequenceState, o: GenerateOptions): number | undefined {
  if (
    s.phase === Phase.Thinking &&
    o.thinkingBudget !== undefined &&
    s.generated >= o.thinkingBudget &&
    o.stop.forceCloseIds.length > 0
  ) {
    s.phase = Phase.Forcing;
    s.thinkingForced = true;
  }
  return s.phase === Phase.Forcing ? o.stop.forceCloseIds[s.forced] : undefined;
}

/** Advances the state after `token` was emitted. */
export function advance(s: SequenceState, token: number, o: GenerateOptions): void {
  s.generated++;
  if (s.phase === Phase.Forcing) {
    if (++s.forced === o.stop.forceCloseIds.length) s.phase = Phase.Answer;
  } else if (o.stop.eosIds.includes(token)) {
    s.phase = Phase.Done;
    s.finish = 'eos';
    return;
  } else if (s.phase === Phase.Thinking) {
    if (token === o.stop.thinkEndId) s.phase = Phase.Answer;
  } else if (s.phase === Phase.Answer) {
    s.answerTokens++;
    if (o.answerBudget !== undefined && s.answerTokens >= o.answerBudget) {
      s.phase = Phase.Done;
      s.finish = 'answer-budget';
      return;
    }
  }
  if (s.generated >= o.maxNewTokens) {
    s.phase = Phase.Done;
    s.finish = 'length';
  }
}

/** Rationale and answer spans of a finished completion. */
export function spans(
  tokens: readonly number[],
  thinkingForced: boolean,
  finish: FinishReason,
  o: GenerateOptions,
): Pick<Rollout, 'rationale' | 'answer'> {
  const start = tokens[0] === o.stop.thinkStartId && o.stop.thinkStartId !== undefined ? 1 : 0;
  const end = finish === 'eos' ? tokens.length - 1 : tokens.length;
  let close = -1,
    afterClose = -1;
  if (thinkingForced) {
    close = o.thinkingBudget!;
    afterClose = close + o.stop.forceCloseIds.length;
  } else {
    close = o.stop.thinkEndId === undefined ? -1 : tokens.indexOf(o.stop.thinkEndId, start);
    afterClose = close + 1;
  }
  if (close < 0) return { rationale: [start, end], answer: [end, end] };
  return { rationale: [start, Math.min(close, end)], answer: [Math.min(afterClose, end), end] };
}

/**
 * Sampling from one row of logits with temperature, top-k and top-p; `u` in [0, 1) picks the token by
 * inverse CDF over the kept tokens in descending-probability order. Returns the token and its log-prob
 * under the sampling distribution.
 */
export function sampleToken(
  logits: ArrayLike<number>,
  o: SamplingOptions,
  u: number,
): { token: number; logprob: number } {
  const V = logits.length;
  if (o.temperature === 0) {
    let best = 0;
    for (let i = 1; i < V; i++) if (logits[i]! > logits[best]!) best = i;
    return { token: best, logprob: 0 };
  }
  let maxLogit = -Infinity;
  for (let i = 0; i < V; i++) maxLogit = Math.max(maxLogit, logits[i]!);
  const order = Array.from({ length: V }, (_, i) => i);
  const p = new Float64Array(V);
  let z = 0;
  for (let i = 0; i < V; i++) z += p[i] = Math.exp((logits[i]! - maxLogit) / o.temperature);
  for (let i = 0; i < V; i++) p[i]! /= z;
  order.sort((a, b) => p[b]! - p[a]! || a - b);
  let kept = o.topK > 0 ? Math.min(o.topK, V) : V;
  if (o.topP < 1) {
    let cum = 0;
    for (let r = 0; r < kept; r++) {
      if (cum >= o.topP) {
        kept = r;
        break;
      }
      cum += p[order[r]!]!;
    }
  }
  let mass = 0;
  for (let r = 0; r < kept; r++) mass += p[order[r]!]!;
  const target = u * mass;
  let cum = 0;
  for (let r = 0; r < kept; r++) {
    const t = order[r]!;
    cum += p[t]!;
    if (cum > target || r === kept - 1) return { token: t, logprob: Math.log(p[t]! / mass) };
  }
  throw new Error('unreachable');
}

export function logSoftmaxAt(logits: ArrayLike<number>, index: number): number {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) m = Math.max(m, logits[i]!);
  let z = 0;
  for (let i = 0; i < logits.length; i++) z += Math.exp(logits[i]! - m);
  return logits[index]! - m - Math.log(z);
}
