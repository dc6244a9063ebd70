/**
 * The experiment config: every knob, its default and its documentation in one zod schema, which is
 * also the TypeScript type (`Config`) and the validator whose messages the user reads.
 *
 * YAML keys are snake_case. Three stages, all inside `configSchema`:
 *   1. shape: types, ranges and unknown keys, field by field; static defaults filled in;
 *   2. derived defaults (`deriveDefaults`): values that depend on other fields
 *      (the run name, the output directory, the token budgets of the task, PAFT's K = M);
 *   3. cross-field rules (`crossFieldIssues`), checked on the derived values.
 *
 * Token budgets (the study's s1-style forced `</think>`): a rollout may generate at most
 * `max_new_tokens` tokens; the rationale at most `thinking_budget`, then `</think>` is forced and
 * `answer_budget` tokens are kept for the answer. The rule is
 *   thinking_budget + answer_budget <= max_new_tokens
 * and any one of the three left out is derived from the others (all three left out: the task's
 * defaults in TASK_DEFAULTS, the study's "4096-128" etc.).
 *
 * Paths in the config (model.path, task.data_dir, task.prompts, output.dir) are kept as written:
 * relative paths are relative to the directory the command runs in, not to the config file. model.path may
 * also be a Hub id (owner/name[@revision]), resolved to its snapshot in the Hugging Face cache when the model
 * is loaded (src/model/download.ts), never here: the resolved config keeps the id as written.
 */
import { z } from 'zod';
import type { Aggregation } from '../objectives/coefficients.js';
import { AGGREGATIONS } from '../objectives/coefficients.js';
import { ALGORITHM_NAMES, ALGORITHMS, type Algorithm, type AlgorithmName } from '../objectives/algorithm.js';
import { qScheduleSchema, type QSchedule } from '../objectives/schedule.js';
import type { LrScheduleConfig, OptimizerConfig } from '../runtime/optimizer.js';
import { EXTRACT_RULES } from '../tasks/extract.js';
import { JSONL_FIELDS } from '../tasks/jsonl.js';
import type { AnswerTask } from '../tasks/record.js';

// ---------------------------------------------------------------------------------------------
// Leaf helpers: each carries the "expected ..." phrase its error messages (and the docs) use.

/**
 * Each leaf schema carries the "expected ..." phrase of its messages and of the docs as zod metadata,
 * which `.describe()` clones inherit and z.toJSONSchema() writes as `x-expected` (json-schema.ts).
 */
function leaf<T extends z.ZodType>(schema: T, expected: string): T {
  return schema.meta({ 'x-expected': expected });
}

/** What a leaf schema of the config accepts, in words ("a number in [0, 1]"), if it is one of ours. */
export function expectedOf(schema: z.core.$ZodType): string | undefined {
  const e = z.globalRegistry.get(schema)?.['x-expected'];
  return typeof e === 'string' ? e : undefined;
}

/** An integer in [min, max] (max omitted: unbounded). */
function int(min: number, max?: number) {
  const e = max === undefined ? `expected an integer >= ${min}` : `expected an integer in [${min}, ${max}]`;
  let s = z.number({ error: e }).int({ error: e }).min(min, { error: e });
  if (max !== undefined) s = s.max(max, { error: e });
  return leaf(s, e.slice('expected '.length));
}

interface Range {
  gt?: number;
  min?: number;
  max?: number;
  lt?: number;
}

/** A finite number in a range; the message spells the range as an interval. */
function real(r: Range) {
  const lo = r.gt ?? r.min,
    hi = r.lt ?? r.max;
  let what: string;
  if (lo !== undefined && hi !== undefined)
    what = `a number in ${r.gt !== undefined ? '(' : '['}${lo}, ${hi}${r.lt !== undefined ? ')' : ']'}`;
  else if (lo !== undefined) what = `a number ${r.gt !== undefined ? '>' : '>='} ${lo}`;
  else if (hi !== undefined) what = `a number ${r.lt !== undefined ? '<' : '<='} ${hi}`;
  else what = 'a number';
  const e = `expected ${what}`;
  let s = z.number({ error: e });
  if (r.gt !== undefined) s = s.gt(r.gt, { error: e });
  if (r.min !== undefined) s = s.min(r.min, { error: e });
  if (r.lt !== undefined) s = s.lt(r.lt, { error: e });
  if (r.max !== undefined) s = s.max(r.max, { error: e });
  return leaf(s, what);
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  const what = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  return leaf(z.enum(values, { error: `expected ${what}` }), what);
}

function text(what = 'a non-empty string') {
  return leaf(z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` }), what);
}

function flag() {
  return leaf(z.boolean({ error: 'expected true or false' }), 'true or false');
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const runName = leaf(
  z
    .string({ error: 'expected a run name (letters, digits, ".", "_", "-")' })
    .regex(NAME_PATTERN, { error: 'expected a run name (letters, digits, ".", "_", "-"; no "/" or spaces)' }),
  'a run name (letters, digits, ".", "_", "-")',
);

const qField = () =>
  leaf(
    qScheduleSchema,
    'a number in [0, 1] or a q schedule (a list of {until, q} segments, or {linear: [{step, q}, ...]})',
  );

// ---------------------------------------------------------------------------------------------
// Tasks and their token budgets.

export const CONFIG_TASKS = [
  'finqa',
  'hotpotqa',
  'musique',
  'mini-finqa',
  'mini-hotpotqa',
  'mini-musique',
  'jsonl',
] as const;
export type ConfigTaskName = (typeof CONFIG_TASKS)[number];

/**
 * Per-task defaults of the token budgets. The study's: FinQA 4096-128, HotPotQA 3072-128, MuSiQue
 * 2048-128 (total, of which 128 are kept for the answer). The synthetic mini-tasks are the project's
 * choice: short enough for 2 CPU cores.
 */
export const TASK_DEFAULTS: Record<ConfigTaskName, { max_new_tokens: number; answer_budget: number }> = {
  finqa: { max_new_tokens: 4096, answer_budget: 128 },
  hotpotqa: { max_new_tokens: 3072, answer_budget: 128 },
  musique: { max_new_tokens: 2048, answer_budget: 128 },
  'mini-finqa': { max_new_tokens: 256, answer_budget: 32 },
  'mini-hotpotqa': { max_new_tokens: 256, answer_budget: 32 },
  'mini-musique': { max_new_tokens: 256, answer_budget: 32 },
  // A user's own task: the project's guess for short-answer reasoning (GSM8K-like); set rollout.* for others.
  jsonl: { max_new_tokens: 1024, answer_budget: 64 },
};

/** The dataset whose answer normalisation, rewards and metrics a task uses (mini-finqa -> finqa). */
export function scoringTask(task: ConfigTaskName): AnswerTask {
  return task.replace(/^mini-/, '') as AnswerTask;
}

// ---------------------------------------------------------------------------------------------
// The sections.

const model = z
  .strictObject({
    path: text(
      'a path to a Hugging Face model directory (config.json, model.safetensors, tokenizer.json), or a Hub id owner/name[@revision]',
    ).describe(
      'Hugging Face model directory to start from (config.json, model.safetensors, tokenizer.json, tokenizer_config.json), or a Hub id ' +
        '`owner/name` or `owner/name@revision` (branch, tag or commit) read from the Hugging Face cache ($HF_HUB_CACHE, else $HF_HOME/hub), ' +
        'offline: fetch it first with `tsallis-run model download owner/name[@revision]`. A path that exists wins over a Hub id. Required.',
    ),
    save_dtype: oneOf(['f32', 'f16', 'bf16'])
      .default('f32')
      .describe('Floating-point type of the weights in saved checkpoints (training itself is f32).'),
  })
  .describe('The model to train.');

const fieldName = () => text('a field name');
const fieldMap = z
  .strictObject(
    Object.fromEntries(
      JSONL_FIELDS.map((f) => [f, fieldName().optional().describe(`The file's name of the "${f}" field.`)]),
    ) as Record<(typeof JSONL_FIELDS)[number], z.ZodOptional<ReturnType<typeof fieldName>>>,
  )
  .describe(
    "jsonl only: the file's names of the fields id, question, answer, context, rationale, aliases, e.g. {question: problem, answer: solution}. Default: the same names.",
  );

const answerPattern = leaf(
  z.string({ error: 'expected a regular expression' }).refine(
    (s) => {
      try {
        new RegExp(s, 'gm');
        return s !== '';
      } catch {
        return false;
      }
    },
    { error: 'expected a valid, non-empty JavaScript regular expression' },
  ),
  'a regular expression',
);

const task = z
  .strictObject({
    name: oneOf(CONFIG_TASKS).describe(
      'Dataset: one of the study\'s three, a synthetic mini-task, or "jsonl" for your own (see src/tasks/README.md, "Your own task"). Required.',
    ),
    data_dir: text('a directory path')
      .optional()
      .describe(
        'Directory holding train.jsonl, validation.jsonl and test.jsonl (as written by `data prepare`, or your own for jsonl). Default: data/<task.name>.',
      ),
    start: oneOf(['cold', 'warm'])
      .default('warm')
      .describe('Prompt: "warm" (task description and answer format) or "cold" (the linearised input alone).'),
    prompts: text('a directory or .yaml file path')
      .default('configs/prompts')
      .describe('Directory of the prompt templates (<task>.yaml), or one template file.'),
    fields: fieldMap.optional(),
    answer_pattern: answerPattern
      .optional()
      .describe(
        'Regular expression (multiline) whose last match, first group, is an answer: cuts jsonl gold answers (GSM8K: "#### *(.+)") and reads completions with extract: pattern.',
      ),
    extract: oneOf(EXTRACT_RULES)
      .optional()
      .describe(
        'Answer extraction: "tags" (the study\'s: after </think>, an Answer: line or \\boxed{}), "pattern" (task.answer_pattern), "last-line", "boxed". Default: "tags".',
      ),
    reward: text('"exact", "relaxed", "numeric", "f1" or a module path')
      .optional()
      .describe(
        'Reward: "exact", "relaxed", "numeric", "f1", or a path to an ES module whose default export (record, prediction, completion) returns a number in [0, 1]. It then also decides "correct" at evaluation (reward > 0.5). Default: the study\'s exact match in training, relaxed match at evaluation.',
      ),
    numeric_tolerance: real({ min: 0 })
      .optional()
      .describe('reward: numeric: accepted |prediction - gold|, relative to max(1, |gold|). Default: 1e-6.'),
    f1_threshold: real({ min: 0, max: 1 })
      .optional()
      .describe('reward: f1: the token F1 that earns reward 1. Default: 0.5.'),
  })
  .describe('The task: data, prompts, answer extraction and reward.');

const aggregation = oneOf(AGGREGATIONS as unknown as readonly [Aggregation, ...Aggregation[]]);

const grpo = z.strictObject({
  name: z.literal('grpo'),
  eps_low: real({ min: 0, lt: 1 }).default(0.2).describe('PPO clip: the ratio is clipped below at 1 - eps_low.'),
  eps_high: real({ min: 0 })
    .default(0.2)
    .describe('PPO clip: the ratio is clipped above at 1 + eps_high (DAPO uses 0.28).'),
  kl_beta: real({ min: 0 })
    .default(0)
    .describe('Weight of the k3 KL term to the frozen starting model (0: no KL, no reference model).'),
  scale_std: flag().default(true).describe("Divide advantages by the group's standard deviation (false: Dr. GRPO)."),
  std_eps: real({ min: 0 }).default(1e-6).describe('Added to the standard deviation before dividing.'),
  aggregation: aggregation.default(ALGORITHMS.grpo.aggregation).describe('Loss aggregation over tokens and sequences.'),
});

const rloo = z.strictObject({
  name: z.literal('rloo'),
  aggregation: aggregation.default(ALGORITHMS.rloo.aggregation).describe('Loss aggregation over tokens and sequences.'),
});

const garl = z.strictObject({
  name: z.literal('garl'),
  q: qField().describe(
    'Tsallis q: a number in [0, 1] or a schedule over the steps done, e.g. [{until: 100, q: 1}, {q: 0}] (q = 1 for steps 1..100, then 0). Required.',
  ),
  baseline: oneOf(['leave-one-out', 'none'])
    .default('leave-one-out')
    .describe("Baseline: the paper's leave-one-out W_-m^(1-q), or none (plug-in form)."),
  scale_by_mq: flag().default(true).describe("Multiply by the paper's 1/M^q."),
});

const paft = z.strictObject({
  name: z.literal('paft'),
  q: qField().describe('Tsallis q: a number in [0, 1] or a schedule over steps. Required.'),
  k: int(1)
    .optional()
    .describe('Draws per question (with replacement, from w_m / sum w). Default: rollout.m (the paper: K = M = 32).'),
  scale_by_mq: flag().default(true).describe("Multiply by the paper's 1/M^q."),
});

const sft = z.strictObject({
  name: z.literal('sft'),
  data: text('a path to a JSONL file')
    .optional()
    .describe('JSONL of {"prompt", "target"} pairs. Default: the task\'s train split, gold answers as targets.'),
  aggregation: aggregation.default(ALGORITHMS.sft.aggregation).describe('Loss aggregation over tokens and sequences.'),
});

/** Each algorithm's section, by the name of its row in ALGORITHMS (src/objectives/algorithm.ts): one per row, no other. */
const SECTIONS = { grpo, rloo, garl, paft, sft } satisfies Record<AlgorithmName, z.ZodType>;
type Section = (typeof SECTIONS)[AlgorithmName];

const algorithm = z
  .discriminatedUnion('name', ALGORITHM_NAMES.map((n) => SECTIONS[n]) as [Section, ...Section[]])
  .describe(`The training objective, chosen by \`name\`: ${ALGORITHM_NAMES.join(' | ')}. Required.`);

/**
 * What the sections say against what the rows say, checked by the compiler: each section sits under
 * its own name, and the sections with q, with eps_low and eps_high, and with kl_beta are exactly the
 * algorithms whose rows have hasQ, clips and allowsKl. So the guards below, which ask the row, may
 * read those fields.
 */
type AlgorithmSection = z.output<typeof algorithm>;
type SectionWith<K extends string> = Extract<AlgorithmSection, Record<K, unknown>>;
type RowsWith<F extends 'hasQ' | 'clips' | 'allowsKl'> = {
  [N in AlgorithmName]: (typeof ALGORITHMS)[N][F] extends true ? N : never;
}[AlgorithmName];
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type SectionsMatchRows = Holds<
  Same<
    | { [N in AlgorithmName]: Same<z.output<(typeof SECTIONS)[N]>['name'], N> }[AlgorithmName]
    | Same<SectionWith<'q'>['name'], RowsWith<'hasQ'>>
    | Same<SectionWith<'eps_low' | 'eps_high'>['name'], RowsWith<'clips'>>
    | Same<SectionWith<'kl_beta'>['name'], RowsWith<'allowsKl'>>,
    true
  >
>;

/** Whether the algorithm has a q (its row's hasQ): a constant or a schedule in `q`. */
export function hasQ(a: AlgorithmSection): a is SectionWith<'q'> {
  return ALGORITHMS[a.name].hasQ;
}

/** Whether the algorithm clips the PPO ratio (its row's clips): bounds in `eps_low` and `eps_high`. */
export function clips(a: AlgorithmSection): a is SectionWith<'eps_low' | 'eps_high'> {
  return ALGORITHMS[a.name].clips;
}

/** Whether the algorithm allows a KL term (its row's allowsKl): its weight in `kl_beta`. */
export function allowsKl(a: AlgorithmSection): a is SectionWith<'kl_beta'> {
  return ALGORITHMS[a.name].allowsKl;
}

const rollout = z
  .strictObject({
    m: int(1).default(32).describe('Rollouts (samples) per question, M (the paper: 32).'),
    temperature: real({ gt: 0, max: 10 }).default(1).describe('Sampling temperature of training rollouts.'),
    top_p: real({ gt: 0, max: 1 })
      .default(1)
      .describe('Nucleus sampling: keep the smallest set of tokens with this much mass (1: off).'),
    top_k: int(0).default(0).describe('Keep only the k most likely tokens (0: off).'),
    thinking_budget: int(0)
      .optional()
      .describe('Most rationale tokens before `</think>` is forced. Default: max_new_tokens - answer_budget.'),
    answer_budget: int(1)
      .optional()
      .describe(
        "Tokens kept for the answer after `</think>`. Default: per task (128 for the study's tasks, 32 for mini-tasks).",
      ),
    max_new_tokens: int(1)
      .optional()
      .describe(
        'Most generated tokens per rollout. Default: thinking_budget + answer_budget, or per task (FinQA 4096, HotPotQA 3072, MuSiQue 2048, mini 256).',
      ),
  })
  .describe('Sampling of training rollouts.');

const train = z
  .strictObject({
    steps: int(0)
      .default(200)
      .describe('Optimizer steps. 0: no training; the starting model is tested (the report\'s "Base model" row).'),
    questions_per_step: int(1).default(8).describe('Questions per step (each gets rollout.m rollouts).'),
    updates_per_batch: int(1)
      .default(1)
      .describe(
        'Optimizer steps over each batch of rollouts (TRL num_iterations, verl ppo_epochs), each with the ratio against the sampling-time log-probs so the PPO clip acts from the second on; lr advances per batch. GRPO only.',
      ),
    micro_batch_tokens: int(1)
      .default(16384)
      .describe(
        'Token budget of one forward/backward micro-batch; gradients are accumulated over micro-batches. At least rollout.max_new_tokens.',
      ),
    shared_prompt: flag()
      .default(true)
      .describe(
        "Run each question's prompt once per micro-batch in the train and score graphs, shared by its rollouts' continuations, instead of once per rollout (the same numbers up to float rounding; false: every sequence whole). Not for dynamic NTK RoPE, which always runs whole sequences.",
      ),
    cached_scoring: flag()
      .default(true)
      .describe(
        "Score GARL's and PAFT's gold answers against the KV cache generation left: only each rollout's close and gold answer run through the model, not its prompt and rationale again (the same log-likelihoods up to float rounding; false: a teacher-forced pass over every whole sequence). Not for dynamic NTK RoPE, which always scores whole sequences.",
      ),
    eval_every: int(0)
      .default(20)
      .describe(
        'Validation (m@k on the validation split) every this many steps, and after the last: with 20, after steps 20, 40, ... (steps count from 1; 0: never, the final weights are then tested).',
      ),
    eval_questions: int(0).default(0).describe('Validation questions per evaluation (0: the whole validation split).'),
    checkpoint_every: int(0)
      .default(0)
      .describe(
        'Also keep a checkpoint every this many steps: checkpoints/checkpoint-N for N a multiple of it (0: only the best and the last).',
      ),
    log_every: int(1)
      .default(1)
      .describe('Log a progress line every this many steps (the metrics CSV gets every step).'),
    log_rollouts: int(0)
      .default(2)
      .describe(
        'Rollouts of each step kept in rollouts.jsonl with their text, answer, reward and log W (0: none): the first of each question in turn. Training is the same for any value.',
      ),
    max_nonfinite_steps: int(1)
      .default(3)
      .describe(
        'Stop the run (exit 2) after this many steps in a row whose loss or gradient norm is not finite; such steps are skipped, weight decay included.',
      ),
  })
  .describe('The training loop.');

const schedule = {
  lr: real({ gt: 0 }).default(1e-6).describe('Peak learning rate.'),
  warmup_steps: int(0).default(0).describe('Linear warmup steps (at most train.steps).'),
  decay: oneOf(['constant', 'linear', 'cosine'])
    .default('constant')
    .describe('Decay after warmup, down to min_lr at the last step.'),
  min_lr: real({ min: 0 }).default(0).describe('Floor of the decay (at most lr).'),
  grad_clip: real({ min: 0 }).default(1).describe('Clip the global gradient norm to this (0: off).'),
};

const adamw = z.strictObject({
  name: z.literal('adamw').default('adamw'),
  ...schedule,
  betas: z
    .tuple([real({ min: 0, lt: 1 }), real({ min: 0, lt: 1 })], { error: 'expected a list of two numbers in [0, 1)' })
    .default([0.9, 0.999])
    .describe('Adam betas [beta1, beta2].'),
  eps: real({ gt: 0 }).default(1e-8).describe('Adam epsilon.'),
  weight_decay: real({ min: 0 }).default(0.01).describe('Decoupled weight decay (not applied to norms and biases).'),
});

const sgd = z.strictObject({
  name: z.literal('sgd'),
  ...schedule,
  momentum: real({ min: 0, lt: 1 }).default(0).describe('SGD momentum.'),
  weight_decay: real({ min: 0 }).default(0).describe('Coupled L2 weight decay (not applied to norms and biases).'),
});

const optimizer = z
  .discriminatedUnion('name', [adamw, sgd])
  .prefault({})
  .describe('The optimizer, chosen by `name`: adamw (the default when `name` is left out) | sgd.');

const evalSection = z
  .strictObject({
    samples: int(1).default(16).describe('Samples per question: k of p@k and m@k (the study: 16).'),
    temperature: real({ gt: 0, max: 10 })
      .default(0.6)
      .describe("Sampling temperature at evaluation (the paper does not say; Qwen3's thinking-mode recommendation)."),
    top_p: real({ gt: 0, max: 1 }).default(0.95).describe('Nucleus sampling at evaluation (1: off).'),
    top_k: int(0).default(20).describe('Top-k at evaluation (0: off).'),
    split: oneOf(['validation', 'test']).default('test').describe('Split of the final evaluation.'),
    questions: int(0)
      .default(0)
      .describe('Final evaluation on the first n questions of the split only (0: all of them).'),
    compare_base: flag()
      .default(false)
      .describe(
        'Also evaluate the starting model on the same split after training (summary.json base_test), so the printed table shows the escape (or its absence) beside the base.',
      ),
  })
  .describe('Sampling-based evaluation (p@1, p@k, m@k).');

const output = z
  .strictObject({
    dir: text('a directory path')
      .default('results/runs/{name}')
      .describe('Run directory; "{name}" is replaced by the run name. Each run needs its own directory.'),
  })
  .describe('Where the run writes its artefacts.');

/** The top-level `device` and `threads` fields, which the --device and --threads flags also set (src/cli/options.ts). */
export const deviceField = oneOf(['cpu', 'cuda', 'webgpu']);
export const threadsField = int(0);

/** The config as written (stage 1): shapes, ranges, unknown keys and static defaults. Used for the docs. */
export const configShapeSchema = z.strictObject({
  name: runName
    .optional()
    .describe(
      'Run name. Default: <task>-<start>-<algorithm>[-q<q>]-seed<seed>, e.g. finqa-cold-garl-q0.75-seed0 (<task>-<start>-base-seed<seed> with train.steps 0).',
    ),
  model: model,
  device: deviceField.default('cpu').describe('ONNX Runtime execution provider (also --device).'),
  threads: threadsField
    .default(0)
    .describe('CPU threads for ONNX Runtime (0: its default, all cores; also --threads).'),
  seed: int(0, 0xffffffff).default(0).describe('Seed of every random choice (data order, sampling, PAFT draws).'),
  task: task,
  algorithm: algorithm,
  rollout: rollout.prefault({}),
  train: train.prefault({}),
  optimizer: optimizer,
  eval: evalSection.prefault({}),
  output: output.prefault({}),
});

// ---------------------------------------------------------------------------------------------
// Stage 2: derived defaults.

type Shape = z.output<typeof configShapeSchema>;

/** A short label of q for names: 0.75 -> "0.75", a schedule -> "sched". */
export function qTag(q: QSchedule): string {
  return typeof q === 'number' ? String(q) : 'sched';
}

/** The default run name: <task>-<start>-<algorithm>[-q<q>]-seed<seed>, or <task>-<start>-base-seed<seed> with 0 steps. */
export function defaultRunName(c: Pick<Shape, 'task' | 'algorithm' | 'seed' | 'train'>): string {
  const a = c.algorithm;
  if (c.train.steps === 0) return `${c.task.name}-${c.task.start}-base-seed${c.seed}`;
  const q = hasQ(a) ? `-q${qTag(a.q)}` : '';
  return `${c.task.name}-${c.task.start}-${a.name}${q}-seed${c.seed}`;
}

function deriveDefaults(c: Shape) {
  const name = c.name ?? defaultRunName(c);
  const td = TASK_DEFAULTS[c.task.name];
  const r = c.rollout;
  const answer_budget = r.answer_budget ?? td.answer_budget;
  let max_new_tokens: number, thinking_budget: number;
  if (r.max_new_tokens !== undefined) {
    max_new_tokens = r.max_new_tokens;
    thinking_budget = r.thinking_budget ?? Math.max(0, max_new_tokens - answer_budget);
  } else if (r.thinking_budget !== undefined) {
    thinking_budget = r.thinking_budget;
    max_new_tokens = thinking_budget + answer_budget;
  } else {
    max_new_tokens = td.max_new_tokens;
    thinking_budget = Math.max(0, max_new_tokens - answer_budget);
  }
  const a = c.algorithm;
  const algorithm = a.name === 'paft' ? { ...a, k: a.k ?? r.m } : a;
  return {
    name,
    model: c.model,
    device: c.device,
    threads: c.threads,
    seed: c.seed,
    task: { ...c.task, data_dir: c.task.data_dir ?? `data/${c.task.name}` },
    algorithm,
    rollout: { ...r, thinking_budget, answer_budget, max_new_tokens },
    train: c.train,
    optimizer: c.optimizer,
    eval: c.eval,
    output: { dir: c.output.dir.replaceAll('{name}', name) },
  };
}

// ---------------------------------------------------------------------------------------------
// Stage 3: cross-field rules.

export interface CrossFieldIssue {
  path: (string | number)[];
  message: string;
}

/**
 * The rules that involve more than one field. Each names the field to blame and what it should be:
 * - rollout: thinking_budget + answer_budget <= max_new_tokens; m at least the algorithm's minM (GRPO
 *   and RLOO: 2, a group of one has no advantage);
 * - train: micro_batch_tokens >= rollout.max_new_tokens (one rollout must fit a micro-batch);
 *   eval_every and checkpoint_every at most steps; updates_per_batch > 1 only with an algorithm that
 *   clips (GRPO);
 * - optimizer: warmup_steps <= train.steps (< steps with a decay, which needs steps after warmup);
 *   min_lr <= lr.
 */
export function crossFieldIssues(c: ReturnType<typeof deriveDefaults>): CrossFieldIssue[] {
  const out: CrossFieldIssue[] = [];
  const tk = c.task;
  if (tk.fields !== undefined && tk.name !== 'jsonl')
    out.push({
      path: ['task', 'fields'],
      message: `expected only with task.name: jsonl (the ${tk.name} reader has fixed fields)`,
    });
  if (tk.extract === 'pattern' && tk.answer_pattern === undefined)
    out.push({ path: ['task', 'extract'], message: 'expected task.answer_pattern with extract: "pattern"' });
  if (tk.numeric_tolerance !== undefined && tk.reward !== 'numeric')
    out.push({
      path: ['task', 'numeric_tolerance'],
      message: `expected only with task.reward: numeric, got reward ${tk.reward ?? '(default)'}`,
    });
  if (tk.f1_threshold !== undefined && tk.reward !== 'f1')
    out.push({
      path: ['task', 'f1_threshold'],
      message: `expected only with task.reward: f1, got reward ${tk.reward ?? '(default)'}`,
    });
  const r = c.rollout;
  if (r.thinking_budget + r.answer_budget > r.max_new_tokens) {
    out.push({
      path: ['rollout', 'thinking_budget'],
      message: `expected thinking_budget + answer_budget <= max_new_tokens (${r.max_new_tokens}), so at most ${Math.max(0, r.max_new_tokens - r.answer_budget)}, got ${r.thinking_budget} + ${r.answer_budget}`,
    });
  }
  if (r.answer_budget > r.max_new_tokens) {
    out.push({
      path: ['rollout', 'answer_budget'],
      message: `expected at most rollout.max_new_tokens (${r.max_new_tokens}), got ${r.answer_budget}`,
    });
  }
  const a = c.algorithm;
  const row = ALGORITHMS[a.name];
  if (r.m < row.minM) {
    out.push({
      path: ['rollout', 'm'],
      message: `expected an integer >= ${row.minM} for ${a.name} (${row.minMReason}), got ${r.m}`,
    });
  }
  const t = c.train;
  if (t.micro_batch_tokens < r.max_new_tokens) {
    out.push({
      path: ['train', 'micro_batch_tokens'],
      message: `expected at least rollout.max_new_tokens (${r.max_new_tokens}) so that one rollout fits a micro-batch, got ${t.micro_batch_tokens}`,
    });
  }
  if (t.updates_per_batch > 1 && !row.clips) {
    // Without a ratio to pi_old the extra updates would be unclipped steps on stale coefficients.
    const clipping = ALGORITHM_NAMES.filter((n) => ALGORITHMS[n].clips);
    const have = `${clipping.join(' and ')} ${clipping.length === 1 ? 'has' : 'have'}`;
    out.push({
      path: ['train', 'updates_per_batch'],
      message: `expected 1 for ${a.name} (only ${have} the PPO ratio and clip that bound repeated updates on one batch), got ${t.updates_per_batch}`,
    });
  }
  if (t.steps > 0 && t.eval_every > t.steps)
    out.push({
      path: ['train', 'eval_every'],
      message: `expected at most train.steps (${t.steps}) or 0 (never), got ${t.eval_every}`,
    });
  if (t.steps > 0 && t.checkpoint_every > t.steps)
    out.push({
      path: ['train', 'checkpoint_every'],
      message: `expected at most train.steps (${t.steps}) or 0, got ${t.checkpoint_every}`,
    });
  const o = c.optimizer;
  if (t.steps > 0 && (o.decay === 'constant' ? o.warmup_steps > t.steps : o.warmup_steps >= t.steps)) {
    const bound =
      o.decay === 'constant'
        ? `at most train.steps (${t.steps})`
        : `less than train.steps (${t.steps}) with a ${o.decay} decay`;
    out.push({ path: ['optimizer', 'warmup_steps'], message: `expected ${bound}, got ${o.warmup_steps}` });
  }
  if (o.lr * o.weight_decay >= 1) {
    out.push({
      path: ['optimizer', 'weight_decay'],
      message: `expected lr x weight_decay below 1, got ${o.lr} x ${o.weight_decay}: each step would multiply the weights by ${1 - o.lr * o.weight_decay}, which flips their sign and grows them to non-finite values`,
    });
  }
  if (o.min_lr > o.lr)
    out.push({ path: ['optimizer', 'min_lr'], message: `expected at most optimizer.lr (${o.lr}), got ${o.min_lr}` });
  return out;
}

/** The whole config: shape, then derived defaults, then cross-field rules. Its output type is `Config`. */
export const configSchema = configShapeSchema.transform(deriveDefaults).superRefine((c, ctx) => {
  for (const i of crossFieldIssues(c)) ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
});

/** A validated config with every default filled in (what the trainer reads, and what config.yaml holds). */
export type Config = z.output<typeof configSchema>;
/** A config as it may be written in YAML (defaults optional). */
export type ConfigInput = z.input<typeof configSchema>;
export type AlgorithmConfig = Config['algorithm'];
export type OptimizerSettings = Config['optimizer'];

// ---------------------------------------------------------------------------------------------
// Views for the rest of the code, in the types its modules already use.

/** The objective's settings in src/objectives' own type. */
export function algorithmOf(c: Pick<Config, 'algorithm'>): Algorithm {
  const a = c.algorithm;
  switch (a.name) {
    case 'grpo':
      return { name: 'grpo', scaleByStd: a.scale_std, eps: a.std_eps };
    case 'rloo':
      return { name: 'rloo' };
    case 'garl':
      return { name: 'garl', q: a.q, baseline: a.baseline, scaleByMq: a.scale_by_mq };
    case 'paft':
      return { name: 'paft', q: a.q, k: a.k, scaleByMq: a.scale_by_mq };
    case 'sft':
      return { name: 'sft' };
  }
}

/** The loss aggregation in effect: the section's, else the row's (GARL and PAFT: 'group-mean', their coefficients carry 1/M or 1/K). */
export function aggregationOf(c: Pick<Config, 'algorithm'>): Aggregation {
  const a = c.algorithm;
  return 'aggregation' in a ? a.aggregation : ALGORITHMS[a.name].aggregation;
}

/** q, a constant or a schedule, of an algorithm that has one; undefined otherwise. */
export function qScheduleOf(c: Pick<Config, 'algorithm'>): QSchedule | undefined {
  return hasQ(c.algorithm) ? c.algorithm.q : undefined;
}

/** The PPO ratio bounds [1 - eps_low, 1 + eps_high] of an algorithm that clips; undefined otherwise. */
export function clipRangeOf(c: Pick<Config, 'algorithm'>): { low: number; high: number } | undefined {
  const a = c.algorithm;
  return clips(a) ? { low: 1 - a.eps_low, high: 1 + a.eps_high } : undefined;
}

/** The weight of the KL term to the starting model: kl_beta where the algorithm allows one, else 0. */
export function klBetaOf(c: Pick<Config, 'algorithm'>): number {
  const a = c.algorithm;
  return allowsKl(a) ? a.kl_beta : 0;
}

/** The optimizer's settings in src/runtime/optimizer's type. */
export function optimizerOf(c: Pick<Config, 'optimizer'>): OptimizerConfig {
  const o = c.optimizer;
  return o.name === 'adamw'
    ? { kind: 'adamw', beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, weightDecay: o.weight_decay }
    : { kind: 'sgd', momentum: o.momentum, weightDecay: o.weight_decay };
}

/** AdamW's eps, or PyTorch's Adam default 1e-8 under SGD: the threshold of the `above_eps` diagnostics. */
export function optimizerEps(c: Pick<Config, 'optimizer'>): number {
  return c.optimizer.name === 'adamw' ? c.optimizer.eps : 1e-8;
}

/** The learning-rate schedule in src/runtime/optimizer's type. */
export function lrScheduleOf(c: Pick<Config, 'optimizer' | 'train'>): LrScheduleConfig {
  const o = c.optimizer;
  return { peakLr: o.lr, warmupSteps: o.warmup_steps, decay: o.decay, totalSteps: c.train.steps, minLr: o.min_lr };
}
