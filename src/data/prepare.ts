/**
 * `data prepare`: the study's train / validation / test subsets, drawn from the official splits.
 *
 * Where each subset comes from (the paper gives sizes only):
 *  - FinQA: all three splits have public answers, so train <- official train, validation <- official dev,
 *    test <- official test.
 *  - HotPotQA and MuSiQue: test answers are not public, so train <- official train, and validation and test
 *    are two disjoint draws from the official dev set (validation first, then test).
 *
 * How a subset is drawn: read every record of the official split (each one is validated; MuSiQue records
 * marked unanswerable are left out and counted), sort the ids, shuffle them with Rng(seed mixed with the split
 * name), and take the first n (for dev: the first n_val for validation, the next n_test for test). The result
 * depends only on the seed and the set of ids, not on file order or format, and a smaller size gives a prefix
 * of a larger one. Records are written in the drawn order; manifest.json records the ids, the seed, the sizes
 * and the source files, and `--ids manifest.json` rebuilds exactly those subsets.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { UserError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { readTaskRecords } from '../tasks/readers.js';
import type { TaskName, TaskRecord } from '../tasks/record.js';
import { locateSplits, type OfficialSplit } from './splits.js';
import type { SubsetSizes } from './sizes.js';

export type Subset = 'train' | 'validation' | 'test';
export const SUBSETS: readonly Subset[] = ['train', 'validation', 'test'];

/** Which official split each subset is drawn from. */
export const SUBSET_SOURCE: Record<TaskName, Record<Subset, OfficialSplit>> = {
  finqa: { train: 'train', validation: 'dev', test: 'test' },
  hotpotqa: { train: 'train', validation: 'dev', test: 'dev' },
  musique: { train: 'train', validation: 'dev', test: 'dev' },
};

export interface PrepareOptions {
  task: TaskName;
  /** Files or directories holding the official splits. */
  inputs: string[];
  outDir: string;
  sizes: SubsetSizes;
  seed: number;
  /** Rebuild the subsets listed in this manifest instead of drawing them (sizes and seed are then ignored). */
  idsFrom?: string;
  log?: (line: string) => void;
}

export interface Manifest {
  task: TaskName;
  seed: number;
  sizes: SubsetSizes;
  subsets: Record<Subset, { from: OfficialSplit; files: string[]; available: number; ids: string[] }>;
  /** MuSiQue records marked unanswerable, left out, per official split. */
  unanswerable: Partial<Record<OfficialSplit, number>>;
}

/** A seed per official split, so that each split's draw does not depend on the others. */
export function splitSeed(seed: number, split: OfficialSplit): number {
  let h = 0x811c9dc5;
  for (const ch of split) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return (seed ^ h) >>> 0;
}

/** Sort, shuffle with the split's seed: the order in which ids are drawn. */
export function drawOrder(ids: readonly string[], seed: number, split: OfficialSplit): string[] {
  const sorted = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return new Rng(splitSeed(seed, split)).shuffle(sorted);
}

async function* usableRecords(task: TaskName, files: string[], skipped: { n: number }): AsyncGenerator<TaskRecord> {
  for (const f of files) {
    for await (const r of readTaskRecords(task, f)) {
      if (r.task === 'musique' && !r.meta.answerable) {
        skipped.n++;
        continue;
      }
      yield r;
    }
  }
}

/** Pass 1: every usable id of a split (every record validated on the way), refusing duplicates. */
async function collectIds(task: TaskName, files: string[], skipped: { n: number }): Promise<string[]> {
  const seen = new Set<string>();
  const ids: string[] = [];
  for await (const r of usableRecords(task, files, skipped)) {
    if (seen.has(r.id)) throw new UserError(`${files.join(', ')}: duplicate id "${r.id}"`);
    seen.add(r.id);
    ids.push(r.id);
  }
  return ids;
}

async function writeJsonl(path: string, records: TaskRecord[]): Promise<void> {
  const out = createWriteStream(path, { encoding: 'utf8' });
  for (const r of records) if (!out.write(JSON.stringify(r) + '\n')) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

async function readManifest(path: string, task: TaskName): Promise<Manifest> {
  let m: Manifest;
  try {
    m = JSON.parse(await readFile(path, 'utf8')) as Manifest;
  } catch (err) {
    throw new UserError(`--ids ${path}: cannot read a manifest (${(err as Error).message})`);
  }
  if (m.task !== task) throw new UserError(`--ids ${path}: task: the manifest is for ${m.task}, not ${task}`);
  for (const s of SUBSETS) {
    if (!Array.isArray(m.subsets?.[s]?.ids))
      throw new UserError(`--ids ${path}: subsets.${s}.ids: expected a list of ids`);
  }
  return m;
}

/** Draw (or rebuild) the subsets and write train.jsonl, validation.jsonl, test.jsonl and manifest.json into outDir. */
export async function prepareSubsets(opts: PrepareOptions): Promise<Manifest> {
  const { task, sizes, seed } = opts;
  const log = opts.log ?? (() => {});
  const files = await locateSplits(task, opts.inputs);
  const source = SUBSET_SOURCE[task];
  const recorded = opts.idsFrom ? await readManifest(opts.idsFrom, task) : null;

  const chosen: Record<Subset, string[]> = { train: [], validation: [], test: [] };
  const available: Partial<Record<OfficialSplit, number>> = {};
  const unanswerable: Partial<Record<OfficialSplit, number>> = {};
  const splitsNeeded = [...new Set(SUBSETS.map((s) => source[s]))];
  for (const split of splitsNeeded) {
    const subsets = SUBSETS.filter((s) => source[s] === split);
    const wanted = recorded ? 0 : subsets.reduce((a, s) => a + sizes[s], 0);
    if (files[split].length === 0) {
      if (!recorded && wanted === 0) continue;
      throw new UserError(
        `--input: no file for the official ${split} split of ${task} (looked for names with train, dev/validation, test)`,
      );
    }
    const skipped = { n: 0 };
    log(`reading the official ${split} split: ${files[split].join(', ')}`);
    const ids = await collectIds(task, files[split], skipped);
    available[split] = ids.length;
    if (skipped.n) {
      unanswerable[split] = skipped.n;
      log(`  left out ${skipped.n} unanswerable records`);
    }
    if (recorded) {
      const have = new Set(ids);
      for (const s of subsets) {
        const missing = recorded.subsets[s].ids.filter((id) => !have.has(id));
        if (missing.length)
          throw new UserError(
            `--ids: ${missing.length} ${s} ids are not in the official ${split} split (first: "${missing[0]}")`,
          );
        chosen[s] = recorded.subsets[s].ids.slice();
      }
      continue;
    }
    if (wanted > ids.length) {
      throw new UserError(
        `--sizes: ${subsets.map((s) => `${s} ${sizes[s]}`).join(' + ')} = ${wanted} records, but the official ${split} split has ${ids.length}`,
      );
    }
    const order = drawOrder(ids, seed, split);
    let at = 0;
    for (const s of subsets) {
      chosen[s] = order.slice(at, at + sizes[s]);
      at += sizes[s];
    }
  }

  // Pass 2: keep the chosen records, in drawn order.
  await mkdir(opts.outDir, { recursive: true });
  for (const split of splitsNeeded) {
    const subsets = SUBSETS.filter((s) => source[s] === split);
    const slot = new Map<string, { subset: Subset; index: number }>();
    for (const s of subsets) chosen[s].forEach((id, index) => slot.set(id, { subset: s, index }));
    const out: Record<Subset, TaskRecord[]> = { train: [], validation: [], test: [] };
    for (const s of subsets) out[s] = new Array<TaskRecord>(chosen[s].length);
    if (slot.size > 0) {
      for await (const r of usableRecords(task, files[split], { n: 0 })) {
        const at = slot.get(r.id);
        if (at) out[at.subset][at.index] = r;
      }
    }
    for (const s of subsets) {
      await writeJsonl(join(opts.outDir, `${s}.jsonl`), out[s]);
      log(`wrote ${out[s].length} records to ${join(opts.outDir, `${s}.jsonl`)} (from the official ${split} split)`);
    }
  }

  const manifest: Manifest = {
    task,
    seed: recorded ? recorded.seed : seed,
    sizes: recorded
      ? { train: chosen.train.length, validation: chosen.validation.length, test: chosen.test.length }
      : sizes,
    subsets: Object.fromEntries(
      SUBSETS.map((s) => [
        s,
        { from: source[s], files: files[source[s]], available: available[source[s]] ?? 0, ids: chosen[s] },
      ]),
    ) as Manifest['subsets'],
    unanswerable,
  };
  await writeFile(join(opts.outDir, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
  return manifest;
}
