#!/usr/bin/env node
// Writes configs/study/<task>-<start>-<method>.yaml: the study's own experiments (Lin & Ie, arXiv 2604.25907)
// for each dataset x {cold, warm} x {GRPO, GARL at q in {0, 0.25, 0.5, 0.75, 1}, PAFT at q in {0.25, 0.75}}
// (48 files), on Qwen3-0.6B with a CUDA GPU. What the paper fixes (M = 32, the thinking budgets, 16
// evaluation samples, best-validation-m@16 selection, the subsets, K = M, GRPO's clip 0.2 / no KL /
// token-mean) is set from ../shared/notes/paper.md; what it leaves open (learning rate, batch, steps,
// temperatures) is the project's choice, listed in configs/study/README.md. Usage:
// node data-scripts/make-study-configs.mjs [OUT_DIR] (default configs/study). Deterministic: the output is
// committed and regenerated bit for bit.
import { GARL_QS, PAFT_QS, writeGrid } from './experiment-grid.mjs';

const out = process.argv[2] ?? 'configs/study';
/** The study's token budgets ("4096-128": 4096 new tokens, of which 128 are kept for the answer). */
const TASKS = [
  { name: 'finqa', title: 'FinQA', maxNewTokens: 4096, sizes: '6145/872/1132' },
  { name: 'hotpotqa', title: 'HotPotQA', maxNewTokens: 3072, sizes: '9067/342/343' },
  { name: 'musique', title: 'MuSiQue', maxNewTokens: 2048, sizes: '9985/579/445' },
];
const ANSWER_BUDGET = 128;
const M = 32;
const METHODS = [
  {
    file: 'grpo',
    title: 'GRPO',
    yaml: '{name: grpo, eps_low: 0.2, eps_high: 0.2, kl_beta: 0, aggregation: token-mean}',
  },
  ...GARL_QS.map((q) => ({ file: `garl-q${q}`, title: `GARL q = ${q}`, yaml: `{name: garl, q: ${q}}` })),
  ...PAFT_QS.map((q) => ({ file: `paft-q${q}`, title: `PAFT q = ${q}`, yaml: `{name: paft, q: ${q}, k: ${M}}` })),
];

/** One config: the settings every study run shares, then the task's budgets and the method. */
export function studyConfig(task, start, method) {
  const file = `configs/study/${task.name}-${start}-${method.file}.yaml`;
  return [
    '# yaml-language-server: $schema=../config.schema.json',
    `# ${task.title}, ${start} start, ${method.title}: the study's setup (Lin & Ie), one of the 48 configs in configs/study/`,
    "# (written by data-scripts/make-study-configs.mjs; configs/study/README.md says which values are the paper's).",
    '# Needs: the model, `huggingface-cli download Qwen/Qwen3-0.6B --local-dir models/Qwen3-0.6B`;',
    `# the data, \`data-scripts/${task.name}.sh\` (data download + data prepare into data/${task.name}, subsets ${task.sizes});`,
    '# a GPU with the CUDA provider, `npm install onnxruntime-node --onnxruntime-node-install=cuda12`.',
    `# Run: ./bin/tsallis-run train --config ${file}`,
    'model: {path: models/Qwen3-0.6B}',
    'device: cuda',
    'seed: 0',
    `task: {name: ${task.name}, start: ${start}, data_dir: data/${task.name}, prompts: configs/prompts}`,
    `algorithm: ${method.yaml}`,
    '# M = 32 rollouts from the model itself (temperature 1, no truncation); thinking budget + 128 answer tokens.',
    `rollout: {m: ${M}, temperature: 1, top_p: 1, top_k: 0, max_new_tokens: ${task.maxNewTokens}, thinking_budget: ${task.maxNewTokens - ANSWER_BUDGET}, answer_budget: ${ANSWER_BUDGET}}`,
    '# Validation m@16 on the whole validation split every 25 steps; the best checkpoint is tested.',
    'train: {steps: 200, questions_per_step: 16, micro_batch_tokens: 16384, eval_every: 25, eval_questions: 0}',
    'optimizer: {name: adamw, lr: 1.0e-6, warmup_steps: 10, decay: constant, grad_clip: 1, weight_decay: 0.01}',
    'eval: {samples: 16, temperature: 0.6, top_p: 0.95, top_k: 20, split: test}',
    'output: {dir: "results/runs/study/{name}"}',
    '',
  ].join('\n');
}

writeGrid(out, TASKS, METHODS, studyConfig, (task) => task.name);
