/**
 * RL learns: GRPO, GARL(q = 1) and PAFT(q = 0.75), run by the real trainer (runTraining) on the tiny
 * model, each raise the training reward (metrics.csv `mean_reward`: the exact-match reward of the
 * step's own rollouts) from a chance-level start to at least 0.9 within STEPS steps.
 *
 * The task: three questions with distinct one-digit answers; each prompt is one bare word (triangle
 * -> 3, hand -> 5, week -> 7; no chat template), so the word the answer depends on sits right where
 * the model decides. A rollout is one sampled rationale token X (thinking_budget 1), the forced close
 * `\n</think>\n\n`, then the answer and `<|im_end|>` (answer_budget 2); M = 16 rollouts a question.
 *
 * The start state: a short SFT of the committed tiny base model (models/tiny-base) on nine pairs
 * (word, `X\n</think>\n\nX`): every word with every candidate X in {3, 5, 7} once. The SFT optimum
 * picks X uniformly whatever the word and copies it into the answer, so the start reward is about
 * 1/3 for every question (asserted <= 0.6 at the first step, whose rollouts come before any RL
 * update). Nothing in the SFT data prefers the gold answer: only the RL signal can.
 *
 * Why a wrong sign fails it (the train graph minimises -sum coef * log p). Each mutation below was
 * made in a copy of src/ and run with this file; the number is the mean reward of the last three
 * steps (it must be >= 0.9; the unmutated run gives 0.98-1.00):
 * - GRPO advantages r_m - mean(r) negated: the update lowers the rollouts that were right and raises
 *   the wrong ones: 0.00.
 * - GARL: the rationale X of rollout m carries c_m / M^2 with c_m = w_m / W - 1, where w_m =
 *   p(gold | word, X) is near 1 when X is the gold digit (the model copies X) and near 0 otherwise;
 *   the teacher-forced gold answer carries w_m / (W M^2). Both negated: 0.00; the answer one alone:
 *   0.01 (the gold answer is unlearned); the rationale one alone: 0.70 (the gold X is pushed down,
 *   and only the answer coefficient, SFT-like on the gold answer, still pulls up); rationale and
 *   answer coefficients swapped: 0.62.
 * - PAFT's weight W^(1-q) / (M^q K) negated (the drawn rollouts, mostly those with the gold X, are
 *   unlearned): 0.00.
 * Positions one token early (a coefficient on the token before the one it belongs to) only slow the
 * learning down, so they are caught less surely: on GRPO's completions 0.55 (0.86 with seed 1), on
 * the teacher-forced sequences 0.38 for PAFT (0.49) but 0.94 for GARL (0.85), which still passes:
 * the shifted answer coefficient still lands on the gold answer token, and teacher-forcing the gold
 * answer teaches it without any rationale signal. Such shifts are the business of the layout tests.
 *
 * Seeded, one thread (onnxruntime's multi-threaded reductions are not bit-reproducible): a run is
 * repeatable on one machine. Seeds 1-8 all pass (last three steps 0.93-1.00, first step 0.27-0.40),
 * and so do seeds 1-3 on the base model from before its rebuild (commit 8782e9a).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { readMetricsCsv } from '../../src/run-dir/csv.js';
import { runPaths } from '../../src/run-dir/paths.js';
import { runTraining } from '../../src/experiment/train.js';

const TINY_BASE = fileURLToPath(new URL('../../models/tiny-base/', import.meta.url));

/** How many sides, fingers, days: the prompt is the bare word. */
const QUESTIONS = [
  { id: 'triangle', question: 'triangle', answer: '3' },
  { id: 'hand', question: 'hand', answer: '5' },
  { id: 'week', question: 'week', answer: '7' },
];
const CANDIDATES = QUESTIONS.map((q) => q.answer);
const SEED = 2;
/** Rollouts per question. */
const M = 16;
const SFT_STEPS = 30;
const STEPS = 20;

let dir: string;
let start: string;

/** A config on the scratch task: one thread, tiny budgets, no validation, one sample in the final test. */
function config(
  model: string,
  algorithm: string,
  out: string,
  steps: number,
  questionsPerStep: number,
  optimizer: string,
): Config {
  const text = [
    `model: {path: ${JSON.stringify(model)}}`,
    `seed: ${SEED}`,
    'threads: 1',
    `task: {name: mini-hotpotqa, start: cold, data_dir: ${JSON.stringify(join(dir, 'task'))}, prompts: ${JSON.stringify(join(dir, 'prompts'))}}`,
    `algorithm: ${algorithm}`,
    `rollout: {m: ${M}, temperature: 1, thinking_budget: 1, answer_budget: 2, max_new_tokens: 6}`,
    `train: {steps: ${steps}, questions_per_step: ${questionsPerStep}, micro_batch_tokens: 2048, eval_every: 0}`,
    `optimizer: ${optimizer}`,
    'eval: {samples: 1}',
    `output: {dir: ${JSON.stringify(out)}}`,
  ].join('\n');
  return parseConfig(text, 'rl-learns');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsallis-rl-learns-'));
  await mkdir(join(dir, 'task'));
  await mkdir(join(dir, 'prompts'));
  // The bare question as the prompt, the bare digit as the answer.
  await writeFile(
    join(dir, 'prompts', 'hotpotqa.yaml'),
    [
      'task: hotpotqa',
      'answer: "{{answer}}"',
      'warm: {chat_template: false, user: "{{question}}"}',
      'cold: {chat_template: false, user: "{{question}}"}',
      '',
    ].join('\n'),
  );
  const record = (q: (typeof QUESTIONS)[number]) =>
    JSON.stringify({
      task: 'hotpotqa',
      id: q.id,
      question: q.question,
      context: '',
      answer: q.answer,
      aliases: [],
      meta: { type: 'bridge', level: 'easy', supportingFacts: [] },
    });
  for (const split of ['train', 'validation', 'test'])
    await writeFile(join(dir, 'task', `${split}.jsonl`), QUESTIONS.map(record).join('\n') + '\n');
  // Every question with every candidate once: the SFT model answers uniformly and copies X.
  const pairs = QUESTIONS.flatMap((q) =>
    CANDIDATES.map((x) => JSON.stringify({ id: `${q.id}-${x}`, prompt: q.question, target: `${x}\n</think>\n\n${x}` })),
  );
  await writeFile(join(dir, 'sft.jsonl'), pairs.join('\n') + '\n');

  const sftOut = join(dir, 'sft');
  const sft = config(
    TINY_BASE,
    `{name: sft, data: ${JSON.stringify(join(dir, 'sft.jsonl'))}}`,
    sftOut,
    SFT_STEPS,
    pairs.length,
    '{lr: 0.003, decay: cosine, weight_decay: 0}',
  );
  const r = await runTraining(sft, { console: false, progress: false });
  expect(r.completedSteps).toBe(SFT_STEPS);
  start = runPaths(sftOut).checkpoint(SFT_STEPS); // after all SFT steps
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('RL raises the training reward from the SFT start (1/3) to >= 0.9', () => {
  it.each([
    ['grpo', '{name: grpo}'],
    ['garl q=1', '{name: garl, q: 1}'],
    ['paft q=0.75', '{name: paft, q: 0.75}'],
  ])(
    '%s',
    async (name, algorithm) => {
      const out = join(dir, name.replace(/[^a-z0-9.]+/g, '-'));
      const rewards: number[] = [];
      const result = await runTraining(
        config(
          start,
          algorithm,
          out,
          STEPS,
          QUESTIONS.length,
          '{lr: 0.0007, warmup_steps: 5, decay: cosine, weight_decay: 0}',
        ),
        {
          console: false,
          progress: false,
          onStep: (_, r) => rewards.push(r.metrics.mean_reward!),
        },
      );
      expect(result.completedSteps).toBe(STEPS);
      // metrics.csv holds the same rewards the callback saw.
      expect((await readMetricsCsv(runPaths(out).metrics)).map((row) => row.mean_reward)).toEqual(rewards);

      const first = rewards[0]!;
      const last = mean(rewards.slice(-3));
      const trace = `${name}: mean_reward per step ${rewards.map((r) => r.toFixed(2)).join(' ')}`;
      // The start (the SFT model's own rollouts, before any update) is near chance ...
      expect({ trace, first: first <= 0.6 }).toEqual({ trace, first: true });
      // ... and RL brings it to >= 0.9 (mean of the last three steps).
      expect({ trace, last: last >= 0.9 }).toEqual({ trace, last: true });
    },
    300_000,
  );
});
