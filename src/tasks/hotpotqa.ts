/** HotPotQA, distractor setting: the official JSON and the Hugging Face parquet (structs of parallel lists), to TaskRecords. */
import { z } from 'zod';
import { UserError } from '../errors.js';
import { lineariseParagraphs } from './linearise.js';
import { parseWith, type HotpotqaRecord } from './record.js';

const int = z.union([z.number().int(), z.bigint().transform(Number)]);

/** hotpot_train_v1.1.json / hotpot_dev_distractor_v1.json: context [[title, [sentence, ...]], ...]. */
const jsonSchema = z.object({
  _id: z.string().min(1),
  question: z.string(),
  answer: z.string(),
  type: z.string().optional(),
  level: z.string().optional(),
  supporting_facts: z.array(z.tuple([z.string(), int])).optional(),
  context: z.array(z.tuple([z.string(), z.array(z.string())])),
});

/** hotpotqa/hotpot_qa parquet: id, context {title: [], sentences: [[]]}, supporting_facts {title: [], sent_id: []}. */
const parquetSchema = z.object({
  id: z.string().min(1),
  question: z.string(),
  answer: z.string(),
  type: z.string().nullish(),
  level: z.string().nullish(),
  supporting_facts: z.object({ title: z.array(z.string()), sent_id: z.array(int) }).nullish(),
  context: z.object({ title: z.array(z.string()), sentences: z.array(z.array(z.string())) }),
});

/** One HotPotQA record (either layout, told apart by `_id` against `id`) as a TaskRecord. */
export function hotpotqaRecord(raw: unknown, where: string): HotpotqaRecord {
  let id: string, question: string, answer: string, type: string, level: string;
  let paragraphs: { title: string; text: string }[];
  let supportingFacts: [string, number][];
  if (raw && typeof raw === 'object' && '_id' in raw) {
    const r = parseWith(jsonSchema, raw, where);
    ({ _id: id, question, answer } = r);
    type = r.type ?? '';
    level = r.level ?? '';
    paragraphs = r.context.map(([title, sentences]) => ({ title, text: sentences.join('') }));
    supportingFacts = (r.supporting_facts ?? []).map(([t, i]) => [t, i]);
  } else {
    const r = parseWith(parquetSchema, raw, where);
    ({ id, question, answer } = r);
    type = r.type ?? '';
    level = r.level ?? '';
    const { title, sentences } = r.context;
    if (title.length !== sentences.length) {
      throw new UserError(`${where}: context: title has ${title.length} entries but sentences has ${sentences.length}`);
    }
    paragraphs = title.map((t, i) => ({ title: t, text: sentences[i]!.join('') }));
    const sf = r.supporting_facts ?? { title: [], sent_id: [] };
    if (sf.title.length !== sf.sent_id.length) {
      throw new UserError(
        `${where}: supporting_facts: title has ${sf.title.length} entries but sent_id has ${sf.sent_id.length}`,
      );
    }
    supportingFacts = sf.title.map((t, i) => [t, sf.sent_id[i]!]);
  }
  return {
    id,
    task: 'hotpotqa',
    question: question.trim(),
    context: lineariseParagraphs(paragraphs),
    answer: answer.trim(),
    aliases: [],
    meta: { type, level, supportingFacts },
  };
}
