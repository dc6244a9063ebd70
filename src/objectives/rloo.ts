/**
 * RLOO: REINFORCE with the leave-one-out baseline on a scalar reward.
 *
 *   A_m = r_m - mean_{j != m} r_j
 *
 * Each sequence carries A_m on every token. With summed log-probs and 'seq-sum' aggregation (its
 * default: divide by the number of sequences) this is the unbiased RLOO gradient of the expected
 * reward; GARL at q = 0 is its Rao-Blackwellised form (w_m in place of
 * the 0/1 reward). A group of one has no other samples: its baseline is 0 (plain REINFORCE), the
 * same choice GARL makes. No ratio clipping.
 */
import type { GroupCoefficients } from './coefficients.js';

export interface RlooGroup extends GroupCoefficients {
  advantages: number[];
}

export function rlooAdvantages(rewards: readonly number[]): number[] {
  checkRewards('rloo', rewards);
  const n = rewards.length;
  if (n === 1) return [rewards[0]!];
  const total = rewards.reduce((a, b) => a + b, 0);
  return rewards.map((r) => r - (total - r) / (n - 1));
}

export function rloo(rewards: readonly number[]): RlooGroup {
  const advantages = rlooAdvantages(rewards);
  return { sequences: advantages.map((a) => ({ rationale: a, answer: a })), advantages };
}

/** Rewards must be a non-empty list of finite numbers. */
export function checkRewards(who: string, rewards: readonly number[]): void {
  if (rewards.length === 0) throw new RangeError(`${who}: a group needs at least one reward`);
  for (const [i, r] of rewards.entries()) {
    if (!Number.isFinite(r)) throw new RangeError(`${who}: reward ${i} is not a finite number (${r})`);
  }
}
