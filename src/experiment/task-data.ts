/**
 * A config's task: the records of its splits (`<data_dir>/{train,validation,test}.jsonl`, as
 * `data prepare` writes them, or a user's own JSONL for task.name: jsonl), the prompt template, the
 * dataset whose normalisation, rewards and metrics apply (mini-finqa scores like finqa), and the
 * answer extraction and reward (src/tasks/reward-choice.ts).
 */
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import type { Config } from '../config/schema.js';
import { scoringTask } from '../config/schema.js';
import { UserError } from '../errors.js';
import { loadPromptTemplate, type PromptMode, type PromptTemplate } from '../tasks/prompts.js';
import { compileAnswerPattern } from '../tasks/extract.js';
import { readJsonlTask, type FieldMap } from '../tasks/jsonl.js';
import { readAllTaskRecords } from '../tasks/readers.js';
import type { AnswerTask, TaskRecord } from '../tasks/record.js';
import { loadScoring, type TaskScoring } from '../tasks/reward-choice.js';

export const SPLITS = ['train', 'validation', 'test'] as const;
export type DataSplit = (typeof SPLITS)[number];

export interface TaskContext {
  /** The dataset rules that apply (normalisation, rewards, official metrics). */
  task: AnswerTask;
  template: PromptTemplate;
  mode: PromptMode;
  dataDir: string;
  /** Answer extraction and reward (the study's unless the config chooses others). */
  scoring: TaskScoring;
  /** jsonl: the field map and the compiled answer pattern. */
  jsonl?: { fields?: FieldMap; answerPattern?: RegExp };
}

type TaskSection = Pick<Config['task'], 'name' | 'start' | 'prompts' | 'data_dir'> & Partial<Config['task']>;

export async function loadTaskContext(config: { task: TaskSection }): Promise<TaskContext> {
  const t = config.task;
  const task = scoringTask(t.name);
  const template = await loadPromptTemplate(task, t.prompts);
  const scoring = await loadScoring(task, t);
  const jsonl =
    task === 'jsonl'
      ? {
          fields: t.fields,
          answerPattern: t.answer_pattern === undefined ? undefined : compileAnswerPattern(t.answer_pattern),
        }
      : undefined;
  return { task, template, mode: t.start, dataDir: t.data_dir, scoring, jsonl };
}

/** The file of one split. */
export function splitPath(ctx: Pick<TaskContext, 'dataDir'>, split: DataSplit): string {
  return join(ctx.dataDir, `${split}.jsonl`);
}

/** The records of one split; a missing or empty file is a UserError naming it. */
export async function loadSplit(
  ctx: Pick<TaskContext, 'task' | 'dataDir'> & Partial<Pick<TaskContext, 'scoring' | 'jsonl'>>,
  split: DataSplit,
): Promise<TaskRecord[]> {
  const path = splitPath(ctx, split);
  let records: TaskRecord[];
  try {
    records = ctx.task === 'jsonl' ? await readJsonlTask(path, ctx.jsonl) : await readAllTaskRecords(ctx.task, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UserError(
        `${path}: no ${split} split (task.data_dir holds the output of \`tsallis-run data prepare\`)`,
      );
    if (err instanceof UserError && ctx.task === 'jsonl' && err.message === `${path}: no such file`) {
      throw new UserError(
        `${path}: no ${split} split (task.data_dir holds train.jsonl, validation.jsonl and test.jsonl)`,
      );
    }
    throw err;
  }
  if (records.length === 0) throw new UserError(`${path}: the ${split} split is empty`);
  records.forEach((r, i) => {
    const problem = ctx.scoring?.checkGold(r);
    if (problem) throw new UserError(`${path}: record ${i + 1} (id "${r.id}"): ${problem}`);
  });
  return records;
}

/** One SFT example: the user message and the assistant text to learn. */
export interface SftPair {
  id: string;
  prompt: string;
  target: string;
}

/** A JSONL file of {"prompt", "target"} objects (algorithm.sft.data). */
export async function loadSftPairs(path: string): Promise<SftPair[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UserError(`${path}: cannot read the SFT data (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const pairs: SftPair[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new UserError(`${path}:${i + 1}: not valid JSON`);
    }
    const o = v as Record<string, unknown>;
    if (!o || typeof o !== 'object' || typeof o.prompt !== 'string' || typeof o.target !== 'string') {
      throw new UserError(`${path}:${i + 1}: expected an object with string fields "prompt" and "target"`);
    }
    pairs.push({ id: typeof o.id === 'string' ? o.id : String(i + 1), prompt: o.prompt, target: o.target });
  });
  if (pairs.length === 0) throw new UserError(`${path}: no SFT pairs`);
  return pairs;
}
