import { z } from 'zod';
import { UserError } from '../errors.js';

/** The three datasets of the study. */
export const TASKS = ['finqa', 'hotpotqa', 'musique'] as const;
export type TaskName = (typeof TASKS)[number];

/** Whose answer rules apply: one of the study's datasets, or a user's own JSONL task (src/tasks/jsonl.ts). */
export type AnswerTask = TaskName | 'jsonl';

/** FinQA: what execution accuracy needs (the gold program, its executed answer, and the table it reads). */
export interface FinqaMeta {
  /** The gold program, e.g. "subtract(5829, 5735), divide(#0, 5735)"; "" when the source has none. */
  program: string;
  /** The gold executed answer (a number rounded to 5 decimals, or "yes"/"no"); null when the source has none. */
  exeAns: number | string | null;
  /** The table, rows of cells; the first cell of a row is its label (what table_* operations look up). */
  table: string[][];
}

/** HotPotQA: question type (bridge / comparison), difficulty level, and supporting facts [title, sentence index]. */
export interface HotpotqaMeta {
  type: string;
  level: string;
  supportingFacts: [string, number][];
}

/** MuSiQue: hop count (from the id prefix: 2hop, 3hop1, ...), answerability, indices of the supporting paragraphs. */
export interface MusiqueMeta {
  hops: number;
  answerable: boolean;
  supportingIdx: number[];
}

interface BaseRecord {
  /** The official id (FinQA `id`, HotPotQA `_id` / `id`, MuSiQue `id`). */
  id: string;
  question: string;
  /** The linearised input (evidence only; the question is kept apart and joined by the prompt template). */
  context: string;
  /** The gold answer string used by rewards and the relaxed match. */
  answer: string;
  /** Other accepted gold answers (MuSiQue `answer_aliases`; empty for the others). */
  aliases: string[];
}

export interface FinqaRecord extends BaseRecord {
  task: 'finqa';
  meta: FinqaMeta;
}
export interface HotpotqaRecord extends BaseRecord {
  task: 'hotpotqa';
  meta: HotpotqaMeta;
}
export interface MusiqueRecord extends BaseRecord {
  task: 'musique';
  meta: MusiqueMeta;
}

/** A user's own task (task.name: jsonl): the mapped fields, plus the record as the file has it (for a reward module). */
export interface JsonlMeta {
  /** A worked solution (the `rationale` field, or the text before the answer pattern's match in the answer field); null when none. */
  rationale: string | null;
  /** The whole JSONL object, unmapped. */
  raw: Record<string, unknown>;
}
export interface JsonlRecord extends BaseRecord {
  task: 'jsonl';
  meta: JsonlMeta;
}

/** A record of the study's datasets: what `data prepare` writes, one JSON object a line. */
export type PreparedRecord = FinqaRecord | HotpotqaRecord | MusiqueRecord;

/** One normalised record, of the study's datasets or a user's own JSONL task. */
export type TaskRecord = PreparedRecord | JsonlRecord;

const base = {
  id: z.string().min(1),
  question: z.string(),
  context: z.string(),
  answer: z.string(),
  aliases: z.array(z.string()),
};

/** The schema of a prepared record (a line of train/validation/test.jsonl). */
export const taskRecordSchema: z.ZodType<PreparedRecord> = z.discriminatedUnion('task', [
  z.object({
    ...base,
    task: z.literal('finqa'),
    meta: z.object({
      program: z.string(),
      exeAns: z.union([z.number(), z.string(), z.null()]),
      table: z.array(z.array(z.string())),
    }),
  }),
  z.object({
    ...base,
    task: z.literal('hotpotqa'),
    meta: z.object({
      type: z.string(),
      level: z.string(),
      supportingFacts: z.array(z.tuple([z.string(), z.number()])),
    }),
  }),
  z.object({
    ...base,
    task: z.literal('musique'),
    meta: z.object({ hops: z.number().int(), answerable: z.boolean(), supportingIdx: z.array(z.number().int()) }),
  }),
]);

/** Every gold answer of a record: the answer, then its aliases. */
export function goldAnswers(r: Pick<TaskRecord, 'answer' | 'aliases'>): string[] {
  return [r.answer, ...r.aliases];
}

/** Validate `raw` against `schema`, or throw a UserError naming the place (file and line/index) and the field. */
export function parseWith<T>(schema: z.ZodType<T>, raw: unknown, where: string): T {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = issue.path.length ? issue.path.map(String).join('.') : '(record)';
  throw new UserError(`${where}: ${field}: ${issue.message}`);
}
