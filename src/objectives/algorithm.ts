/**
 * One entry point for the trainer: an algorithm's settings plus one group's signal -> that group's
 * coefficients and diagnostics. Which signal each algorithm needs, and its default loss
 * aggregation, are declared here next to the dispatch.
 */
import type { Rng } from '../util/rng.js';
import type { Aggregation, GroupCoefficients } from './coefficients.js';
import { garl } from './garl.js';
import { grpo, type GrpoOptions } from './grpo.js';
import { paft } from './paft.js';
import { rloo } from './rloo.js';
import { qAt, type QSchedule } from './schedule.js';
import { sft } from './sft.js';

export type Algorithm =
  | ({ name: 'grpo' } & GrpoOptions)
  | { name: 'rloo' }
  | { name: 'garl'; q: QSchedule; baseline?: 'leave-one-out' | 'none'; scaleByMq?: boolean }
  | { name: 'paft'; q: QSchedule; k?: number; scaleByMq?: boolean }
  | { name: 'sft' };

export type AlgorithmName = Algorithm['name'];

/** What the caller must measure for each rollout: a scalar reward, or log p(y* | x*, z_m), or nothing. */
export type Signal = 'reward' | 'answer-log-likelihood' | 'none';

export const SIGNAL: Record<AlgorithmName, Signal> = {
  grpo: 'reward',
  rloo: 'reward',
  garl: 'answer-log-likelihood',
  paft: 'answer-log-likelihood',
  sft: 'none',
};

/** Default loss aggregation: GRPO and SFT average over tokens; RLOO, GARL and PAFT sum log-probs. */
export const DEFAULT_AGGREGATION: Record<AlgorithmName, Aggregation> = {
  grpo: 'token-mean',
  rloo: 'seq-sum',
  garl: 'group-mean',
  paft: 'group-mean',
  sft: 'token-mean',
};

/** One group's measurements: `rewards` for GRPO/RLOO, `logAnswerLikelihoods` for GARL/PAFT, `weights` (one per target, usually 1) for SFT. */
export interface GroupSignal {
  rewards?: readonly number[];
  logAnswerLikelihoods?: readonly number[];
  weights?: readonly number[];
}

export interface GroupDiagnostics {
  /** q in effect at this step (GARL, PAFT). */
  q?: number;
  /** Mean reward of the group (GRPO, RLOO). */
  meanReward?: number;
  /** W = mean w_m (GARL, PAFT). */
  W?: number;
  /** log W, exact where W underflows (GARL, PAFT). */
  logW?: number;
  /** max_m c_m / M^q (GARL). */
  maxScaledC?: number;
  /** W = 0: no signal (GARL, PAFT). */
  degenerate?: boolean;
}

export interface ObjectiveResult extends GroupCoefficients {
  diagnostics: GroupDiagnostics;
}

/** `context.step`: where a q schedule is read, the steps done before this one (0 for the first step). */
export function groupCoefficients(algorithm: Algorithm, signal: GroupSignal, context: { step: number; rng: Rng }): ObjectiveResult {
  switch (algorithm.name) {
    case 'grpo': {
      const g = grpo(need(signal.rewards, 'grpo', 'rewards'), algorithm);
      return { sequences: g.sequences, ratioClipping: g.ratioClipping, diagnostics: { meanReward: g.meanReward } };
    }
    case 'rloo': {
      const rewards = need(signal.rewards, 'rloo', 'rewards');
      const g = rloo(rewards);
      return { sequences: g.sequences, ratioClipping: g.ratioClipping, diagnostics: { meanReward: mean(rewards) } };
    }
    case 'garl': {
      const q = qAt(algorithm.q, context.step);
      const g = garl(need(signal.logAnswerLikelihoods, 'garl', 'logAnswerLikelihoods'), { q, baseline: algorithm.baseline, scaleByMq: algorithm.scaleByMq });
      return { sequences: g.sequences, ratioClipping: false, diagnostics: { q, W: g.W, logW: g.logW, maxScaledC: g.maxScaledC, degenerate: g.degenerate } };
    }
    case 'paft': {
      const q = qAt(algorithm.q, context.step);
      const g = paft(need(signal.logAnswerLikelihoods, 'paft', 'logAnswerLikelihoods'), { q, k: algorithm.k, scaleByMq: algorithm.scaleByMq }, context.rng);
      return { sequences: g.sequences, ratioClipping: false, diagnostics: { q, W: g.W, logW: g.logW, degenerate: g.degenerate } };
    }
    case 'sft': {
      const g = sft(need(signal.weights, 'sft', 'weights'));
      return { ...g, diagnostics: {} };
    }
  }
}

function need<T>(value: T | undefined, who: string, field: string): T {
  if (value === undefined) throw new RangeError(`${who}: the group signal needs \`${field}\``);
  return value;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
