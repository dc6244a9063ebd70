/**
 * `tsallis-run data synth` and `tsallis-run data sft-mix`: the synthetic mini-tasks (src/tasks/synthetic).
 *
 * - synth writes a mini-task's train/validation/test.jsonl (normalised TaskRecords plus a `rationale`
 *   field, which the readers ignore) and manifest.json, deterministically from --seed.
 * - sft-mix writes {"id", "prompt", "target"} pairs for `algorithm: {name: sft, data: FILE}` from fresh
 *   records of the generators (split name "sft", so they never repeat a train/validation/test record):
 *   each --part TASK:MODE:N takes N records of TASK with the MODE (warm or cold) prompt of --prompts, and
 *   the target is the gold rationale in a thinking block followed by the answer. The pairs are shuffled
 *   with --seed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { UserError } from '../errors.js';
import { scoringTask } from '../config/schema.js';
import { loadPromptTemplate, type PromptMode } from '../tasks/prompts.js';
import {
  DEFAULT_SYNTHETIC_SIZES,
  DECOY_ANSWER,
  generateSplit,
  isSyntheticTask,
  sftPairs,
  SYNTHETIC_TASKS,
  toJsonl,
  writeSyntheticTask,
  type SftPairLine,
  type SyntheticSizes,
  type SyntheticTask,
} from '../tasks/synthetic/index.js';
import { Rng } from '../util/rng.js';
import { splitSizes } from '../data/sizes.js';
import { seedOption } from './options.js';

const log = (line: string) => process.stderr.write(`${line}\n`);

/** "2000/64/128" -> sizes (each at least 1). */
export function parseSyntheticSizes(text: string): SyntheticSizes {
  const sizes = splitSizes(text);
  if (!sizes || Object.values(sizes).some((n) => n < 1))
    throw new UserError(`--sizes: expected TRAIN/VAL/TEST (positive integers), got ${JSON.stringify(text)}`);
  return sizes;
}

interface SynthArgs {
  task: SyntheticTask | 'all';
  out: string;
  seed: number;
  sizes: string;
}

export const synthCommand: CommandModule<object, SynthArgs> = {
  command: 'synth',
  describe: 'Write a synthetic mini-task (train/validation/test.jsonl with gold rationales), deterministic from --seed',
  builder: (y: Argv) =>
    y
      .option('task', { choices: [...SYNTHETIC_TASKS, 'all'], demandOption: true, describe: 'Mini-task, or all three' })
      .option('out', { type: 'string', default: 'data', describe: 'Parent folder: the task goes to <out>/<task>/' })
      .option('seed', seedOption('Seed of the generator'))
      .option('sizes', {
        type: 'string',
        default: `${DEFAULT_SYNTHETIC_SIZES.train}/${DEFAULT_SYNTHETIC_SIZES.validation}/${DEFAULT_SYNTHETIC_SIZES.test}`,
        describe: 'TRAIN/VAL/TEST',
      })
      .epilogue(
        'Records are normalised TaskRecords (src/tasks/README.md) with an extra "rationale" field; train with task.data_dir: <out>/<task> and task.prompts: configs/prompts/mini.',
      ) as unknown as Argv<SynthArgs>,
  handler: async (a) => {
    const sizes = parseSyntheticSizes(a.sizes);
    const tasks = a.task === 'all' ? SYNTHETIC_TASKS : [a.task];
    for (const task of tasks) {
      const dir = join(a.out, task);
      await writeSyntheticTask(task, dir, a.seed, sizes);
      log(`${task}: train ${sizes.train}, validation ${sizes.validation}, test ${sizes.test} written to ${dir}`);
    }
  },
};

/**
 * One part of an SFT mixture. `answer: 'decoy'` keeps the gold rationale but ends the target with
 * DECOY_ANSWER: a model trained on such pairs reasons, then does not answer. `answer: 'unfinished'` also
 * drops the rationale's last step (the one that states the answer), so the model stops reasoning one step
 * short and says DECOY_ANSWER: after such a rationale the gold answer cannot be copied from the thinking,
 * and every one of its tokens is unlikely, not just the first. The embedded default uses it for every
 * cold-prompt pair, so that its base model, like the study's at cold start, essentially never produces
 * the gold answer without the task's instruction, at the training temperature too.
 */
export interface SftPart {
  task: SyntheticTask;
  mode: PromptMode;
  n: number;
  answer: 'gold' | 'decoy' | 'unfinished';
}

/** "mini-finqa:warm:600" or "mini-finqa:cold:600:decoy" -> a part. */
export function parseSftPart(text: string): SftPart {
  const [task, mode, n, answer = 'gold', ...rest] = text.split(':');
  const count = Number(n);
  if (
    !task ||
    !isSyntheticTask(task) ||
    (mode !== 'warm' && mode !== 'cold') ||
    !Number.isInteger(count) ||
    count < 1 ||
    (answer !== 'gold' && answer !== 'decoy' && answer !== 'unfinished') ||
    rest.length > 0
  ) {
    throw new UserError(
      `--part: expected TASK:MODE:N[:ANSWER] with TASK one of ${SYNTHETIC_TASKS.join(', ')}, MODE warm or cold, N >= 1, ANSWER gold (default), decoy or unfinished; got ${JSON.stringify(text)}`,
    );
  }
  return { task, mode, n: count, answer };
}

/** A rationale without its last sentence ("a. b. c." -> "a. b."); a one-sentence rationale is kept. */
export function withoutLastStep(rationale: string): string {
  const steps = rationale.split(/(?<=\.)\s+/);
  return steps.length > 1 ? steps.slice(0, -1).join(' ') : rationale;
}

/** The pairs of a mixture, shuffled with `seed`. Records of a task come from its "sft" split, numbered across parts. */
export async function sftMixture(parts: readonly SftPart[], promptsDir: string, seed: number): Promise<SftPairLine[]> {
  const pairs: SftPairLine[] = [];
  const used = new Map<SyntheticTask, number>();
  for (const part of parts) {
    const from = used.get(part.task) ?? 0;
    const records = generateSplit(part.task, 'sft', from + part.n, seed).slice(from);
    used.set(part.task, from + part.n);
    const template = await loadPromptTemplate(scoringTask(part.task), promptsDir);
    const answered =
      part.answer === 'decoy'
        ? records.map((r) => ({ ...r, answer: DECOY_ANSWER }))
        : part.answer === 'unfinished'
          ? records.map((r) => ({ ...r, rationale: withoutLastStep(r.rationale), answer: DECOY_ANSWER }))
          : records;
    const suffix = part.answer === 'gold' ? `-${part.mode}` : `-${part.mode}-${part.answer}`;
    pairs.push(...sftPairs(template, part.mode, answered).map((p) => ({ ...p, id: `${p.id}${suffix}` })));
  }
  return new Rng(seed).shuffle(pairs);
}

interface SftMixArgs {
  part: string[];
  out: string;
  prompts: string;
  seed: number;
}

export const sftMixCommand: CommandModule<object, SftMixArgs> = {
  command: 'sft-mix',
  describe: 'Write SFT pairs (prompt, gold rationale + answer) from the mini-task generators, for the base model',
  builder: (y: Argv) =>
    y
      .option('part', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: `TASK:MODE:N[:ANSWER], e.g. mini-finqa:warm:600; ANSWER decoy ends each target with "${DECOY_ANSWER}" instead of the answer, unfinished also drops the rationale's last step (repeatable)`,
      })
      .option('out', { type: 'string', demandOption: true, describe: 'JSONL file to write' })
      .option('prompts', {
        type: 'string',
        default: 'configs/prompts/mini',
        describe: 'Prompt templates (<task>.yaml)',
      })
      .option('seed', seedOption('Seed of the generator and of the shuffle')) as unknown as Argv<SftMixArgs>,
  handler: async (a) => {
    const pairs = await sftMixture(a.part.map(parseSftPart), a.prompts, a.seed);
    await mkdir(dirname(a.out), { recursive: true });
    await writeFile(a.out, toJsonl(pairs));
    log(`${pairs.length} SFT pairs written to ${a.out}`);
  },
};
