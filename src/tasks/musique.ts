/** MuSiQue (StonyBrookNLP/musique): musique_{ans,full}_v1.0_*.jsonl records to TaskRecords. */
import { z } from 'zod';
import { lineariseParagraphs } from './linearise.js';
import { parseWith, type MusiqueRecord } from './record.js';

const int = z.union([z.number().int(), z.bigint().transform(Number)]);

const schema = z.object({
  id: z.string().min(1),
  paragraphs: z.array(
    z.object({ idx: int, title: z.string(), paragraph_text: z.string(), is_supporting: z.boolean().optional() }),
  ),
  question: z.string(),
  question_decomposition: z.array(z.unknown()).optional(),
  answer: z.string(),
  answer_aliases: z.array(z.string()).nullish(),
  answerable: z.boolean().optional(),
});

/** The hop count from the id prefix (2hop, 3hop1, 3hop2, 4hop1, ...), else the length of the decomposition. */
export function musiqueHops(id: string, decompositionLength: number): number {
  const m = /^(\d+)hop/.exec(id);
  return m ? Number(m[1]) : decompositionLength;
}

/** One MuSiQue record as a TaskRecord; `answerable` defaults to true (the answerable files omit nothing, but mirrors may). */
export function musiqueRecord(raw: unknown, where: string): MusiqueRecord {
  const r = parseWith(schema, raw, where);
  return {
    id: r.id,
    task: 'musique',
    question: r.question.trim(),
    context: lineariseParagraphs(r.paragraphs.map((p) => ({ title: p.title, text: p.paragraph_text }))),
    answer: r.answer.trim(),
    aliases: (r.answer_aliases ?? []).map((a) => a.trim()),
    meta: {
      hops: musiqueHops(r.id, r.question_decomposition?.length ?? 0),
      answerable: r.answerable ?? true,
      supportingIdx: r.paragraphs.filter((p) => p.is_supporting).map((p) => p.idx),
    },
  };
}
