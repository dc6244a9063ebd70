/** FinQA (czyssrs/FinQA): the official JSON records and the flattened parquet mirrors, to TaskRecords. */
import { z } from 'zod';
import { UserError } from '../errors.js';
import { lineariseFinqa } from './linearise.js';
import { parseWith, type FinqaRecord } from './record.js';

const exeAns = z.union([z.number(), z.string()]);

/** The official record: id, pre_text, post_text, table, qa {question, answer, program, exe_ans, ...}. */
const officialSchema = z.object({
  id: z.string().min(1),
  pre_text: z.array(z.string()),
  post_text: z.array(z.string()),
  table: z.array(z.array(z.string())),
  qa: z.object({
    question: z.string(),
    answer: z.string().optional(),
    program: z.string().optional(),
    exe_ans: exeAns.optional(),
  }),
});

/**
 * Flattened mirrors on the Hugging Face Hub: dreamerdeo/finqa (id, pre_text, post_text, table, question,
 * answers) and MothMalone/finqa (answer, final_result, program_re, ...). Field names are accepted in either spelling.
 */
const flatSchema = z.object({
  id: z.string().min(1),
  pre_text: z.array(z.string()),
  post_text: z.array(z.string()),
  table: z.array(z.array(z.string())),
  question: z.string(),
  answer: z.string().nullish(),
  answers: z.string().nullish(),
  program: z.string().nullish(),
  program_re: z.string().nullish(),
  exe_ans: exeAns.nullish(),
  final_result: exeAns.nullish(),
});

/** exe_ans as the official scripts compare it: a number, or the string "yes"/"no". Numeric strings become numbers. */
export function normaliseExeAns(v: number | string | null | undefined): number | string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  const s = v.trim();
  if (s === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : s;
}

/** The text form of an executed answer, used as the gold answer when a record has no answer string. */
export function formatExeAns(v: number | string): string {
  return typeof v === 'number' ? String(v) : v;
}

/** One FinQA record (official JSON, or a row of a flattened parquet mirror) as a TaskRecord. */
export function finqaRecord(raw: unknown, where: string): FinqaRecord {
  let id: string, question: string, answer: string | null | undefined, program: string | null | undefined;
  let exe: number | string | null;
  let pre: string[], post: string[], table: string[][];
  if (raw && typeof raw === 'object' && 'qa' in raw) {
    const r = parseWith(officialSchema, raw, where);
    ({ id, pre_text: pre, post_text: post, table } = r);
    question = r.qa.question;
    answer = r.qa.answer;
    program = r.qa.program;
    exe = normaliseExeAns(r.qa.exe_ans);
  } else {
    const r = parseWith(flatSchema, raw, where);
    ({ id, pre_text: pre, post_text: post, table, question } = r);
    answer = r.answer ?? r.answers;
    program = r.program ?? r.program_re;
    exe = normaliseExeAns(r.exe_ans ?? r.final_result);
  }
  let gold = (answer ?? '').trim();
  if (gold === '' && exe !== null) gold = formatExeAns(exe);
  if (gold === '')
    throw new UserError(
      `${where}: qa.answer: no gold answer (neither answer nor exe_ans is given; private test files cannot be used)`,
    );
  return {
    id,
    task: 'finqa',
    question: question.trim(),
    context: lineariseFinqa(pre, table, post),
    answer: gold,
    aliases: [],
    meta: { program: (program ?? '').trim(), exeAns: exe, table },
  };
}
