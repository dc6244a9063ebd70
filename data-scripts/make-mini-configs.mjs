#!/usr/bin/env node
// Writes configs/mini/<task>-<start>-<method>.yaml: the mini experiments of issue 7, for each synthetic
// task x {cold, warm} x {GRPO, GARL at q in {0, 0.25, 0.5, 0.75, 1}, PAFT at q in {0.25, 0.75}} (48 files).
// Every run shares the settings below (tiny base model, committed synthetic data, short prompts) and
// differs only in task, start and algorithm. Usage: node data-scripts/make-mini-configs.mjs [OUT_DIR]
// (default configs/mini). Deterministic: the output is committed and regenerated bit for bit.
import { GARL_QS, PAFT_QS, writeGrid } from './experiment-grid.mjs';

const out = process.argv[2] ?? 'configs/mini';
const TASKS = ['mini-finqa', 'mini-hotpotqa', 'mini-musique'];
const METHODS = [
  { file: 'grpo', yaml: '{name: grpo}' },
  ...GARL_QS.map((q) => ({ file: `garl-q${q}`, yaml: `{name: garl, q: ${q}}` })),
  ...PAFT_QS.map((q) => ({ file: `paft-q${q}`, yaml: `{name: paft, q: ${q}}` })),
];

/** The shared body: see configs/default.yaml for what each setting is for. */
export function miniConfig(task, start, method) {
  return [
    `# ${task}, ${start} start, ${method.file}: one of the 48 mini experiments (written by data-scripts/make-mini-configs.mjs).`,
    `# Run: ./bin/tsallis-run train --config configs/mini/${task}-${start}-${method.file}.yaml`,
    'model: {path: models/tiny-base}',
    'seed: 0',
    'threads: 2',
    `task: {name: ${task}, start: ${start}, data_dir: data/${task}, prompts: configs/prompts/mini}`,
    `algorithm: ${method.yaml}`,
    'rollout: {m: 16, max_new_tokens: 112, answer_budget: 16}',
    'train: {steps: 120, questions_per_step: 4, micro_batch_tokens: 8192, eval_every: 20, eval_questions: 128}',
    ...(start === 'cold'
      ? [
          "# AdamW with PyTorch's defaults (betas 0.9/0.999, eps 1e-8), clip 1: lr / eps = 5e4 (see results/mini/README.md).",
        ]
      : [
          "# AdamW with PyTorch's defaults (betas 0.9/0.999, eps 1e-8), clip 1. lr 5e-5 at warm start: 5e-4 cost 13-15 points",
          '# of test p@1 on warm mini-HotPotQA, 5e-5 kept the base (the warm-start lr scan in results/mini/README.md).',
        ]),
    `optimizer: {name: adamw, lr: ${start === 'cold' ? '0.0005' : '0.00005'}, eps: 1.0e-8, warmup_steps: 0, grad_clip: 1, weight_decay: 0}`,
    'eval: {samples: 16, split: test}',
    'output: {dir: "results/runs/mini/{name}"}',
    '',
  ].join('\n');
}

writeGrid(out, TASKS, METHODS, miniConfig);
