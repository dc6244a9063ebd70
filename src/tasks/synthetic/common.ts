/**
 * Shared pieces of the synthetic mini-tasks (mini-FinQA, mini-HotPotQA, mini-MuSiQue): seeded choice
 * helpers over src/util/rng.ts, the word pools the generators draw names from, and the record type they
 * emit. Every generator is a pure function of its Rng, so a seed gives the same records bit for bit.
 *
 * Names are short (the project tokenizer was trained on plain English prose, and a capitalised name costs
 * several tokens), so a context of about ten short paragraphs stays near 200 tokens.
 */
import type { Rng } from '../../util/rng.js';
import type { TaskRecord } from '../record.js';

/** The synthetic tasks, as config `task.name` spells them. */
export const SYNTHETIC_TASKS = ['mini-finqa', 'mini-hotpotqa', 'mini-musique'] as const;
export type SyntheticTask = (typeof SYNTHETIC_TASKS)[number];

export function isSyntheticTask(s: string): s is SyntheticTask {
  return (SYNTHETIC_TASKS as readonly string[]).includes(s);
}

/**
 * A normalised TaskRecord plus the gold rationale (the text between `<think>` and `</think>`). The
 * record schema (src/tasks/record.ts) is a plain zod object, which strips unknown keys on reading, so
 * the readers, rewards and metrics see an ordinary record; only the base-model SFT uses `rationale`.
 */
export type SyntheticRecord = TaskRecord & { rationale: string };

/** One of `items`, uniformly. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError('pick: no items');
  return items[rng.int(items.length)]!;
}

/** `n` distinct items of `items` in random order. */
export function sample<T>(rng: Rng, items: readonly T[], n: number): T[] {
  if (n > items.length) throw new RangeError(`sample: ${n} items asked of ${items.length}`);
  return rng.shuffle(items).slice(0, n);
}

/** A uniform integer in [lo, hi]. */
export function intIn(rng: Rng, lo: number, hi: number): number {
  return lo + rng.int(hi - lo + 1);
}

/** Weighted choice: index i with probability weights[i] / sum. */
export function weighted(rng: Rng, weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let u = rng.uniform() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i]!;
    if (u < 0) return i;
  }
  return weights.length - 1;
}

/**
 * People go by one short name and towns are short real place names: with the tiny preset's 1024-id
 * tokenizer a capitalised word costs one to three tokens, and these are the cheapest.
 */
export const NAMES = [
  'Ben',
  'Sam',
  'Will',
  'Peter',
  'Mark',
  'Dan',
  'Eve',
  'Fay',
  'Gus',
  'Hal',
  'Ned',
  'Pat',
  'Ray',
  'Sue',
  'Ted',
  'Val',
  'Wes',
  'Tim',
  'Ian',
  'Liz',
  'Nat',
  'Pam',
  'Ron',
  'Sid',
  'Vic',
  'Lou',
  'Nell',
  'Seth',
  'Tess',
  'Wade',
  'Tom',
] as const;

export const TOWNS = [
  'Bath',
  'Ely',
  'Wells',
  'Ware',
  'Diss',
  'Leeds',
  'York',
  'Hull',
  'Dover',
  'Ripon',
  'Ayr',
  'Rye',
  'Bude',
  'Deal',
  'Looe',
  'Holt',
  'Alderton',
  'Fordley',
  'Netford',
  'Tomford',
] as const;

export const REGIONS = [
  'the North',
  'the West',
  'the Hills',
  'the Lakes',
  'the Coast',
  'the Plains',
  'the Bay',
  'the Valley',
] as const;

export const COMPANIES = [
  'Alder Mills',
  'Bright Rail',
  'Cedar Foods',
  'Delta Tools',
  'Eagle Paper',
  'Field Farms',
  'Grand Bakers',
  'Harbor Rope',
  'Iron Bridge',
  'Jolly Candles',
  'King Wool',
  'Lake Honey',
  'Maple Stores',
  'North Ferry',
  'Oak Cheese',
  'Pine Apples',
  'Quarry Stone',
  'River Glass',
  'Silver Forge',
  'Town Bread',
] as const;

/** `n` distinct people's names. */
export function people(rng: Rng, n: number): string[] {
  return sample(rng, NAMES, n);
}

/** A record id: task, split and index, zero-padded (e.g. "mini-finqa-train-00042"). */
export function recordId(task: SyntheticTask, split: string, i: number): string {
  return `${task}-${split}-${String(i).padStart(5, '0')}`;
}
