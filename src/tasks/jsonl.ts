/**
 * A user's own task (task.name: jsonl): one JSON object a line, read as a TaskRecord. The project's field
 * names are id, question, answer, and optionally context, rationale and aliases; task.fields maps them to
 * the file's own names ({question: problem, answer: solution}), so GSM8K's or MATH's layout reads as is.
 *
 * - id: a string or number; when the file has none, "<split>-<line>" (GSM8K has no ids).
 * - answer: a string or number. With an answer pattern (task.answer_pattern), an answer field in which the
 *   pattern matches is cut to the last match (its first group), and the text before the match becomes the
 *   rationale when the record has none: GSM8K's "...worked solution...\n#### 42" reads as answer "42".
 * - context: "" when absent; aliases: other accepted answers (strings or numbers), [] when absent.
 * The whole object is kept in meta.raw for a reward module.
 */
import { basename } from 'node:path';
import { UserError } from '../errors.js';
import { readJsonl } from './files.js';
import type { JsonlRecord } from './record.js';

export const JSONL_FIELDS = ['id', 'question', 'answer', 'context', 'rationale', 'aliases'] as const;
export type JsonlField = (typeof JSONL_FIELDS)[number];
export type FieldMap = Partial<Record<JsonlField, string>>;

export interface JsonlOptions {
  fields?: FieldMap;
  /** The compiled task.answer_pattern (global, multiline). */
  answerPattern?: RegExp;
}

/** The gold answer cut out of an answer field by the pattern, and the text before it; null when the pattern does not match. */
export function splitAnswer(pattern: RegExp, text: string): { answer: string; before: string } | null {
  let last: RegExpExecArray | null = null;
  for (const m of text.matchAll(pattern)) last = m;
  if (last === null) return null;
  return { answer: (last[1] ?? last[0]).trim(), before: text.slice(0, last.index).trim() };
}

/** One line of a JSONL task as a record; `fallbackId` when the line has no id. Errors name the place and the file's field. */
export function jsonlRecord(raw: unknown, where: string, fallbackId: string, o: JsonlOptions = {}): JsonlRecord {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new UserError(`${where}: expected a JSON object`);
  const obj = raw as Record<string, unknown>;
  const name = (f: JsonlField) => o.fields?.[f] ?? f;
  const label = (f: JsonlField) => (name(f) === f ? f : `${name(f)} (task.fields.${f})`);
  const text = (f: JsonlField, required: boolean): string | undefined => {
    const v = obj[name(f)];
    if (v === undefined || v === null) {
      if (required)
        throw new UserError(`${where}: ${label(f)}: missing (fields: ${Object.keys(obj).join(', ') || 'none'})`);
      return undefined;
    }
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    throw new UserError(`${where}: ${label(f)}: expected a string or a number, got ${JSON.stringify(v)}`);
  };
  const question = text('question', true)!;
  if (question.trim() === '') throw new UserError(`${where}: ${label('question')}: empty`);
  let answer = text('answer', true)!;
  let rationale = text('rationale', false) ?? null;
  if (o.answerPattern) {
    const cut = splitAnswer(o.answerPattern, answer);
    if (cut) {
      answer = cut.answer;
      if (rationale === null && cut.before !== '') rationale = cut.before;
    }
  }
  if (answer.trim() === '') throw new UserError(`${where}: ${label('answer')}: empty`);
  const rawAliases = obj[name('aliases')];
  let aliases: string[] = [];
  if (rawAliases !== undefined && rawAliases !== null) {
    if (!Array.isArray(rawAliases) || !rawAliases.every((a) => typeof a === 'string' || typeof a === 'number')) {
      throw new UserError(`${where}: ${label('aliases')}: expected a list of strings`);
    }
    aliases = rawAliases.map(String);
  }
  return {
    task: 'jsonl',
    id: text('id', false) ?? fallbackId,
    question,
    context: text('context', false) ?? '',
    answer,
    aliases,
    meta: { rationale, raw: obj },
  };
}

/** Every record of a JSONL task file, in file order; duplicate ids are an error naming both lines. */
export async function readJsonlTask(path: string, o: JsonlOptions = {}): Promise<JsonlRecord[]> {
  const split = basename(path).replace(/\.jsonl$/i, '');
  const out: JsonlRecord[] = [];
  const seen = new Map<string, string>();
  for await (const { value, where } of readJsonl(path)) {
    const line = /line (\d+)$/.exec(where)?.[1] ?? String(out.length + 1);
    const r = jsonlRecord(value, where, `${split}-${line}`, o);
    const first = seen.get(r.id);
    if (first !== undefined) throw new UserError(`${where}: id: duplicate id "${r.id}" (first at ${first})`);
    seen.set(r.id, where);
    out.push(r);
  }
  return out;
}
