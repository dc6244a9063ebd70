/**
 * GRPO: group-normalised advantages on a scalar reward (exact match, computed by the caller).
 *
 *   A_m = (r_m - mean(r)) / (std(r) + eps)     (scaleByStd, the default)
 *   A_m =  r_m - mean(r)                       (scaleByStd = false: Dr. GRPO)
 *
 * std is the sample standard deviation (n - 1 in the denominator, as torch.std in TRL and verl);
 * eps = 1e-6 (verl's default). A group whose rewards are all equal gets zero advantages (a
 * zero-variance group: no signal), and a group of one gets advantage 0. PPO ratio clipping and
 * the optional KL term live in the training graph (its row in algorithm.ts says that both apply).
 * Every generated token (rationale and answer) carries the advantage; the aggregation
 * ('token-mean' by default) divides it.
 */
import type { GroupCoefficients } from './coefficients.js';
import { checkRewards } from './rloo.js';

export interface GrpoOptions {
  /** Divide by the group's standard deviation (default true). */
  scaleByStd?: boolean;
  /** Added to the standard deviation (default 1e-6). */
  eps?: number;
  /** 'sample' (n - 1, default) or 'population' (n) standard deviation. */
  std?: 'sample' | 'population';
}

export interface GrpoGroup extends GroupCoefficients {
  advantages: number[];
  meanReward: number;
  stdReward: number;
}

export function grpoAdvantages(rewards: readonly number[], options: GrpoOptions = {}): number[] {
  checkRewards('grpo', rewards);
  const { scaleByStd = true, eps = 1e-6, std = 'sample' } = options;
  if (!(eps >= 0)) throw new RangeError(`grpo: eps must be >= 0, got ${eps}`);
  const n = rewards.length;
  const mean = rewards.reduce((a, b) => a + b, 0) / n;
  const centred = rewards.map((r) => r - mean);
  if (!scaleByStd) return centred;
  const s = groupStd(rewards, std);
  return centred.map((c) => (c === 0 ? 0 : c / (s + eps)));
}

export function grpo(rewards: readonly number[], options: GrpoOptions = {}): GrpoGroup {
  const advantages = grpoAdvantages(rewards, options);
  const n = rewards.length;
  const meanReward = rewards.reduce((a, b) => a + b, 0) / n;
  return {
    sequences: advantages.map((a) => ({ rationale: a, answer: a })),
    advantages,
    meanReward,
    stdReward: groupStd(rewards, options.std ?? 'sample'),
  };
}

function groupStd(rewards: readonly number[], kind: 'sample' | 'population'): number {
  const n = rewards.length;
  const dof = kind === 'sample' ? n - 1 : n;
  if (dof <= 0) return 0;
  const mean = rewards.reduce((a, b) => a + b, 0) / n;
  return Math.sqrt(rewards.reduce((a, r) => a + (r - mean) ** 2, 0) / dof);
}
