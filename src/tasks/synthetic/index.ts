/**
 * The synthetic mini-tasks as files: `writeSyntheticTask` writes `<out>/{train,validation,test}.jsonl` (one
 * normalised TaskRecord a line plus its `rationale`) and `manifest.json`, deterministically from a seed;
 * `sftPairs` turns records into the {"prompt", "target"} pairs that `algorithm: {name: sft, data: FILE}`
 * reads (target: `<think>\n<rationale>\n</think>\n\n<answer>`).
 *
 * Each split draws from its own Rng, seeded with `seed XOR fnv1a("<task>/<split>")`, so changing one
 * split's size leaves the others as they were, and a smaller size gives a prefix of a larger one.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Rng } from '../../util/rng.js';
import { renderPrompt, type PromptMode, type PromptTemplate } from '../prompts.js';
import { generateFinqa } from './finqa.js';
import { generateHotpotqa } from './hotpotqa.js';
import { generateMusique } from './musique.js';
import { recordId, type SyntheticRecord, type SyntheticTask } from './common.js';

export * from './common.js';
export { generateFinqa, FINQA_KINDS, FINQA_OPS_OF } from './finqa.js';
export { generateHotpotqa, hotpotqaKind, HOTPOTQA_KINDS } from './hotpotqa.js';
export { generateMusique } from './musique.js';

export const SYNTHETIC_SPLITS = ['train', 'validation', 'test'] as const;
export type SyntheticSplit = (typeof SYNTHETIC_SPLITS)[number];
export type SyntheticSizes = Record<SyntheticSplit, number>;

/** Default sizes: plenty of training questions (they are cheap), small validation and test sets (16 samples each). */
export const DEFAULT_SYNTHETIC_SIZES: SyntheticSizes = { train: 2000, validation: 64, test: 128 };

/** 32-bit FNV-1a of a string. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The seed of one split's generator. */
export function splitSeed(task: SyntheticTask, split: string, seed: number): number {
  return (seed ^ fnv1a(`${task}/${split}`)) >>> 0;
}

/** Record i of a split (musique: hop counts 2, 3, 4 in turn). */
function generateOne(task: SyntheticTask, rng: Rng, split: string, i: number): SyntheticRecord {
  const id = recordId(task, split, i);
  switch (task) {
    case 'mini-finqa':
      return generateFinqa(rng, id);
    case 'mini-hotpotqa':
      return generateHotpotqa(rng, id);
    case 'mini-musique':
      return generateMusique(rng, id, 2 + (i % 3));
  }
}

/** `n` records of one split, deterministic from (task, split, seed). */
export function generateSplit(task: SyntheticTask, split: string, n: number, seed: number): SyntheticRecord[] {
  const rng = new Rng(splitSeed(task, split, seed));
  return Array.from({ length: n }, (_, i) => generateOne(task, rng, split, i));
}

/** One JSON object a line, keys in a fixed order (the record's, then `rationale`). */
export function toJsonl(records: readonly object[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : '');
}

export interface SyntheticManifest {
  task: SyntheticTask;
  seed: number;
  sizes: SyntheticSizes;
  generator: string;
}

/** Writes the three splits and manifest.json into `outDir`; returns the records by split. */
export async function writeSyntheticTask(
  task: SyntheticTask,
  outDir: string,
  seed: number,
  sizes: SyntheticSizes = DEFAULT_SYNTHETIC_SIZES,
): Promise<Record<SyntheticSplit, SyntheticRecord[]>> {
  await mkdir(outDir, { recursive: true });
  const out = {} as Record<SyntheticSplit, SyntheticRecord[]>;
  for (const split of SYNTHETIC_SPLITS) {
    out[split] = generateSplit(task, split, sizes[split], seed);
    await writeFile(join(outDir, `${split}.jsonl`), toJsonl(out[split]));
  }
  const manifest: SyntheticManifest = {
    task,
    seed,
    sizes,
    generator: `src/tasks/synthetic (tsallis-run data synth --task ${task} --seed ${seed})`,
  };
  await writeFile(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return out;
}

/** An SFT pair (src/experiment/task-data.ts SftPair), as written to the JSONL that algorithm.sft.data reads. */
export interface SftPairLine {
  id: string;
  prompt: string;
  target: string;
}

/** The assistant turn of a gold example: the rationale in a thinking block, then the answer as the template writes it. */
export function goldTarget(template: PromptTemplate, record: Pick<SyntheticRecord, 'rationale' | 'answer'>): string {
  return `<think>\n${record.rationale}\n</think>\n\n${template.answer.replace(/\{\{\s*answer\s*\}\}/g, record.answer)}`;
}

/**
 * The answer of "decoy" SFT pairs: one fixed word that never contains a gold answer of the mini-tasks (numbers,
 * names, yes / no), so the relaxed match never counts it. A constant, not a random wrong answer: a model
 * that learns it puts its mass on one string, which low-temperature sampling then picks, as the study's
 * model at cold start keeps producing something other than the answer.
 */
export const DECOY_ANSWER = 'unclear';

/** SFT pairs of records: the user message of the given prompt mode and the gold rationale + answer. */
export function sftPairs(
  template: PromptTemplate,
  mode: PromptMode,
  records: readonly SyntheticRecord[],
): SftPairLine[] {
  return records.map((r) => {
    const rendered = renderPrompt(template, mode, r);
    const user = rendered.messages
      .filter((m) => m.role === 'user')
      .map((m) => m.content)
      .join('\n\n');
    return { id: r.id, prompt: user, target: goldTarget(template, r) };
  });
}
