/**
 * Input limits, checked before any work: every sequence an input becomes (its prompt and what follows
 * it) must fit the model's max_position_embeddings and, for data that is trained on, one micro-batch.
 * Nothing downstream refuses a longer one: the graphs compute RoPE for any position and attention
 * memory grows with the square of the length, so a 1 MB record ended in onnxruntime asking for a
 * 4 TB buffer. A UserError names the file and line (and id) of up to 5 offending records.
 *
 * A record is tokenised here exactly as training and eval tokenise it (prompting.ts, items.ts), once;
 * only the lengths are kept.
 */
import { UserError } from '../errors.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { readJsonl, readRows, type Located } from '../tasks/files.js';
import type { TaskRecord } from '../tasks/record.js';
import { sftPairItem, sftRecordItem } from './items.js';
import { promptIds } from './prompting.js';
import type { SftPair, TaskContext } from './task-data.js';

export interface SequenceLimits {
  /** The model's max_position_embeddings. */
  maxPositions: number;
  /**
   * train.micro_batch_tokens, for sequences that are trained on (eval and generation do not batch by
   * tokens). A longer sequence would not fail outright (runtime/batch.ts packByTokens gives it a
   * micro-batch of its own) but its activations are no longer bounded by the budget memory was sized
   * for, and grow with the square of its length: it is refused like one past the positions.
   */
  microBatchTokens?: number;
}

/** One sequence: its prompt's length and what follows the prompt. */
export interface SequenceSize {
  prompt: number;
  /** Up to `tokens` generated tokens (`setting` names the limit, e.g. rollout.max_new_tokens), or an SFT target of `tokens` (no setting). */
  after?: { tokens: number; setting?: string };
}

const LISTED = 5;
const fmt = (x: number) => x.toLocaleString('en-US');

/** Why a sequence does not fit the limits; undefined when it fits. */
export function overLimit(s: SequenceSize, limits: SequenceLimits): string | undefined {
  const total = s.prompt + (s.after?.tokens ?? 0);
  const size = (unit: string) => {
    if (!s.after) return `${fmt(total)} tokens`;
    if (s.after.setting !== undefined)
      return `the prompt is ${fmt(s.prompt)} tokens: with ${s.after.setting} ${fmt(s.after.tokens)} it needs ${fmt(total)} ${unit}`;
    return `the prompt is ${fmt(s.prompt)} tokens and the target ${fmt(s.after.tokens)}: together ${fmt(total)} ${unit}`;
  };
  if (total > limits.maxPositions)
    return `${size('positions')}, more than the model's max_position_embeddings ${fmt(limits.maxPositions)}`;
  if (limits.microBatchTokens !== undefined && total > limits.microBatchTokens) {
    return `${size('tokens')} in one sequence, more than train.micro_batch_tokens ${fmt(limits.microBatchTokens)}`;
  }
  return undefined;
}

/**
 * Checks `count` sequences (sizeOf(i) is asked once each, in order) and throws a UserError naming up
 * to 5 that do not fit, each by placesOf (asked only when some do not fit), and how many more.
 */
export async function checkSequences(
  count: number,
  sizeOf: (i: number) => SequenceSize,
  limits: SequenceLimits,
  placesOf: (indices: number[]) => string[] | Promise<string[]>,
): Promise<void> {
  const bad: { index: number; why: string }[] = [];
  let more = 0;
  for (let i = 0; i < count; i++) {
    const why = overLimit(sizeOf(i), limits);
    if (why === undefined) continue;
    if (bad.length < LISTED) bad.push({ index: i, why });
    else more++;
  }
  if (bad.length === 0) return;
  const places = await placesOf(bad.map((b) => b.index));
  const listed = bad.map((b, k) => `${places[k]}: ${b.why}`);
  if (bad.length === 1) throw new UserError(listed[0]);
  throw new UserError(
    `${bad.length + more} inputs do not fit the model: ${listed.join('; ')}${more > 0 ? `; and ${more} more` : ''}`,
  );
}

export interface InputLimits extends SequenceLimits {
  tokenizer: Tokenizer;
  task: TaskContext;
  /** The most tokens generated after a prompt: rollout.max_new_tokens (for training rollouts and eval alike). */
  maxNewTokens: number;
}

/**
 * A data file's inputs, as they are used: questions that are sampled from (rollouts, eval: prompt +
 * max_new_tokens), records trained on by SFT (prompt + gold answer turn), or SFT pairs (prompt + target).
 * GARL and PAFT train on prompt + rationale + close + y*, which stays within prompt + max_new_tokens
 * when the forced close and y* fit rollout.answer_budget (as short answers do); it is not checked apart.
 */
export type LimitedInputs =
  | { kind: 'questions' | 'sft-records'; file: string; records: readonly TaskRecord[] }
  | { kind: 'sft-pairs'; file: string; pairs: readonly SftPair[] };

/**
 * Throws a UserError naming the file, line and id of each input (up to 5) that does not fit
 * max_position_embeddings or, when given, train.micro_batch_tokens. `records` or `pairs` must be the
 * file's own, in order, from its first (a prefix is fine): the line is found by reading the file again.
 */
export async function checkInputLimits(inputs: LimitedInputs, limits: InputLimits): Promise<void> {
  const { tokenizer, task } = limits;
  const generated = { tokens: limits.maxNewTokens, setting: 'rollout.max_new_tokens' };
  const target = (item: { prompt: number[]; target?: number[] }): SequenceSize => ({
    prompt: item.prompt.length,
    after: { tokens: item.target!.length },
  });
  let sizeOf: (i: number) => SequenceSize;
  let ids: readonly { id: string }[];
  if (inputs.kind === 'sft-pairs') {
    ids = inputs.pairs;
    sizeOf = (i) => target(sftPairItem(tokenizer, task, inputs.pairs[i]!));
  } else {
    ids = inputs.records;
    sizeOf =
      inputs.kind === 'questions'
        ? (i) => ({
            prompt: promptIds(tokenizer, task.template, task.mode, inputs.records[i]!).length,
            after: generated,
          })
        : (i) => target(sftRecordItem(tokenizer, task, inputs.records[i]!));
  }
  // loadSftPairs reads any file as JSONL; the splits go through readRows (any supported format).
  const rows = () => (inputs.kind === 'sft-pairs' ? readJsonl(inputs.file) : readRows(inputs.file));
  await checkSequences(ids.length, sizeOf, limits, async (indices) => {
    const where = await rowPlaces(rows(), indices);
    return indices.map((i) => `${where.get(i) ?? `${inputs.file}: record ${i + 1}`} (id ${ids[i]!.id})`);
  });
}

/** The place ("file: line 3") of the rows at `indices` of a file. */
async function rowPlaces(rows: AsyncGenerator<Located>, indices: readonly number[]): Promise<Map<number, string>> {
  const last = Math.max(...indices);
  const out = new Map<number, string>();
  let i = 0;
  for await (const { where } of rows) {
    if (indices.includes(i)) out.set(i, where);
    if (++i > last) break;
  }
  return out;
}
