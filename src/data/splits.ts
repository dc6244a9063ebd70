/**
 * Finding the official split files among --input paths (files or directories, searched recursively).
 * A file's split comes from the words of its path: train; dev / validation / val; test. Files that cannot
 * be used are left out by name: FinQA private_test (no answers), HotPotQA fullwiki / test (no answers),
 * MuSiQue full (contains unanswerable copies) and the single-hop question files. Parquet shards of one split
 * (train/0000.parquet, train/0001.parquet, ...) are read in name order.
 */
import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { UserError } from '../errors.js';
import type { TaskName } from '../tasks/record.js';

export type OfficialSplit = 'train' | 'dev' | 'test';

const DATA_FILE = /\.(json|jsonl|parquet)$/i;
const SKIP = /(^|[^a-z])(private|fullwiki|full|singlehop|manifest)([^a-z]|$)/i;

function words(path: string): string[] {
  return path
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
}

/** The official split a file belongs to, from its path; null when it names none or should be left out. */
export function splitOfPath(path: string): OfficialSplit | null {
  if (SKIP.test(path)) return null;
  const w = words(path);
  const found = new Set<OfficialSplit>();
  if (w.includes('train')) found.add('train');
  if (w.includes('dev') || w.includes('validation') || w.includes('val')) found.add('dev');
  if (w.includes('test')) found.add('test');
  return found.size === 1 ? [...found][0]! : null;
}

/** A given file's split: from its name, else from its name with the nearest enclosing folders (train/0000.parquet). */
function splitOfFile(path: string): OfficialSplit | null {
  const parts = path.split(/[\\/]/).filter((p) => p !== '');
  for (let k = 1; k <= parts.length; k++) {
    const s = splitOfPath(parts.slice(-k).join('/'));
    if (s) return s;
  }
  return null;
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.') || /\.part(\.json)?$/.test(e.name)) continue; // hidden files, partial downloads
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (DATA_FILE.test(e.name)) out.push(p);
  }
  return out;
}

/** The files of each official split found under `inputs`. */
export async function locateSplits(
  task: TaskName,
  inputs: readonly string[],
): Promise<Record<OfficialSplit, string[]>> {
  const found: Record<OfficialSplit, string[]> = { train: [], dev: [], test: [] };
  for (const input of inputs) {
    let s: Stats;
    try {
      s = await stat(input);
    } catch {
      throw new UserError(`--input ${input}: no such file or directory`);
    }
    if (s.isDirectory()) {
      for (const f of (await walk(input)).sort()) {
        const split = splitOfPath(relative(input, f));
        if (split && !(task === 'hotpotqa' && split === 'test')) found[split].push(f);
      }
    } else {
      const split = splitOfFile(input);
      if (!split)
        throw new UserError(
          `--input ${input}: cannot tell which official split this file is (name it with train, dev/validation or test)`,
        );
      found[split].push(input);
    }
  }
  for (const [split, files] of Object.entries(found)) {
    const kinds = new Set(files.map((f) => f.slice(f.lastIndexOf('.')).toLowerCase()));
    if (kinds.size > 1)
      throw new UserError(
        `--input: the official ${split} split is given in several formats (${files.join(', ')}); keep one`,
      );
    if (kinds.has('.json') && files.length > 1)
      throw new UserError(`--input: several files for the official ${split} split (${files.join(', ')}); keep one`);
    if (kinds.has('.jsonl') && files.length > 1)
      throw new UserError(`--input: several files for the official ${split} split (${files.join(', ')}); keep one`);
  }
  return found;
}
