/**
 * Prediction files, in each official format and the project's own:
 *  - HotPotQA official: one JSON object {"answer": {id: text, ...}, "sp": {...}} (sp is ignored);
 *  - MuSiQue official: JSONL lines {"id", "predicted_answer", ...};
 *  - FinQA official: a JSON array [{"id", "predicted": [program tokens]}] (a program string is accepted too);
 *  - project: JSONL lines (or a JSON array) of {"id", "answer"}; for FinQA an answer that is a program
 *    ("subtract(5829, 5735)") is executed, any other answer is graded as a free-form number;
 *  - eval: the project's own eval/<split>.predictions.jsonl (src/run-dir/json.ts PredictionRecord),
 *    scored by its majority-voted answer as the evaluation scores it ("no answer" as an empty
 *    prediction, never executed as a program).
 */
import { readFile } from 'node:fs/promises';
import { UserError } from '../errors.js';
import { readJsonl, type Located } from './files.js';
import { FINQA_OPS, tokenizeProgram } from './finqa-program.js';

export type PredictionFormat = 'hotpotqa-official' | 'musique-official' | 'finqa-official' | 'project' | 'eval';

export interface Prediction {
  id: string;
  /** A text answer (null for a program-only FinQA prediction). */
  answer: string | null;
  /** A FinQA program as tokens (official format, or a project answer that parses as a program); else null. */
  program: string[] | null;
  where: string;
}

export interface PredictionFile {
  format: PredictionFormat;
  predictions: Prediction[];
}

const PROGRAM_START = new RegExp(`^\\s*(?:${FINQA_OPS.join('|')})\\(`);

/** Whether a text answer is written as a FinQA program. */
export function looksLikeProgram(s: string): boolean {
  return PROGRAM_START.test(s) && s.trim().endsWith(')');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function idOf(o: Record<string, unknown>, where: string): string {
  const id = o.id;
  if (typeof id === 'string' && id !== '') return id;
  if (typeof id === 'number') return String(id);
  throw new UserError(`${where}: id: expected a non-empty string, got ${JSON.stringify(id)}`);
}

function fromRow(v: unknown, where: string): { format: PredictionFormat; p: Prediction } {
  if (!isObject(v)) throw new UserError(`${where}: expected a JSON object`);
  const id = idOf(v, where);
  if ('predicted_answer' in v) {
    if (typeof v.predicted_answer !== 'string') throw new UserError(`${where}: predicted_answer: expected a string`);
    return { format: 'musique-official', p: { id, answer: v.predicted_answer, program: null, where } };
  }
  if ('predicted' in v) {
    const pr = v.predicted;
    let program: string[];
    if (typeof pr === 'string') program = tokenizeProgram(pr);
    else if (Array.isArray(pr) && pr.every((t) => typeof t === 'string')) program = pr as string[];
    else throw new UserError(`${where}: predicted: expected a list of program tokens or a program string`);
    return { format: 'finqa-official', p: { id, answer: null, program, where } };
  }
  if ('vote' in v && 'answers' in v) {
    if (v.vote !== null && typeof v.vote !== 'string')
      throw new UserError(`${where}: vote: expected a string or null, got ${JSON.stringify(v.vote)}`);
    return { format: 'eval', p: { id, answer: v.vote ?? '', program: null, where } };
  }
  if ('answer' in v) {
    if (typeof v.answer !== 'string')
      throw new UserError(`${where}: answer: expected a string, got ${JSON.stringify(v.answer)}`);
    const program = looksLikeProgram(v.answer) ? tokenizeProgram(v.answer.trim()) : null;
    return { format: 'project', p: { id, answer: v.answer, program, where } };
  }
  throw new UserError(`${where}: no answer field (expected "answer", "predicted_answer", "predicted" or "vote")`);
}

function collect(rows: Located[], path: string): PredictionFile {
  let format: PredictionFormat | null = null;
  const predictions: Prediction[] = [];
  for (const { value, where } of rows) {
    const r = fromRow(value, where);
    if (format !== null && r.format !== format) throw new UserError(`${where}: a ${r.format} row in a ${format} file`);
    format = r.format;
    predictions.push(r.p);
  }
  if (format === null) throw new UserError(`${path}: no predictions`);
  return { format, predictions };
}

/** Read a predictions file in any of the accepted formats (told apart by extension and shape). */
export async function readPredictions(path: string): Promise<PredictionFile> {
  if (/\.jsonl$/i.test(path)) {
    const rows: Located[] = [];
    for await (const r of readJsonl(path)) rows.push(r);
    return collect(rows, path);
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UserError(`${path}: cannot read (${(err as Error).message})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${path}: malformed JSON (${(err as Error).message})`);
  }
  if (Array.isArray(data))
    return collect(
      data.map((value, i) => ({ value, where: `${path}: element ${i}` })),
      path,
    );
  if (isObject(data) && isObject(data.answer)) {
    const predictions: Prediction[] = [];
    for (const [id, a] of Object.entries(data.answer)) {
      const where = `${path}: answer.${id}`;
      if (typeof a !== 'string') throw new UserError(`${where}: expected a string, got ${JSON.stringify(a)}`);
      predictions.push({ id, answer: a, program: null, where });
    }
    return { format: 'hotpotqa-official', predictions };
  }
  throw new UserError(`${path}: not a predictions file (expected {"answer": {id: text}}, a JSON array, or JSONL)`);
}
