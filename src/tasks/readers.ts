/** Reading any supported file of a task (official format, Hugging Face mirror, or prepared JSONL) as TaskRecords. */
import { UserError } from '../errors.js';
import { readRows } from './files.js';
import { finqaRecord } from './finqa.js';
import { hotpotqaRecord } from './hotpotqa.js';
import { musiqueRecord } from './musique.js';
import { parseWith, taskRecordSchema, type PreparedRecord, type TaskName } from './record.js';

/** The converter of one raw record of each task. */
export const converters: Record<TaskName, (raw: unknown, where: string) => PreparedRecord> = {
  finqa: finqaRecord,
  hotpotqa: hotpotqaRecord,
  musique: musiqueRecord,
};

/** A row written by `data prepare` (it carries `task`, `context` and `meta`). */
function isPrepared(v: unknown): boolean {
  return !!v && typeof v === 'object' && 'task' in v && 'context' in v && 'meta' in v;
}

/**
 * Every record of `path` as a TaskRecord, in file order. The format follows the extension (.json array,
 * .jsonl, .parquet) and the layout is recognised per row (official JSON, parquet mirror, or prepared record).
 * A bad row throws a UserError naming the file, the line / element / row, and the field.
 */
export async function* readTaskRecords(task: TaskName, path: string): AsyncGenerator<PreparedRecord> {
  for await (const { value, where } of readRows(path)) {
    if (isPrepared(value)) {
      const r = parseWith(taskRecordSchema, value, where);
      if (r.task !== task) throw new UserError(`${where}: task: this is a ${r.task} record, expected ${task}`);
      yield r;
    } else {
      yield converters[task](value, where);
    }
  }
}

/** All records of a file, in an array. */
export async function readAllTaskRecords(task: TaskName, path: string): Promise<PreparedRecord[]> {
  const out: PreparedRecord[] = [];
  for await (const r of readTaskRecords(task, path)) out.push(r);
  return out;
}
