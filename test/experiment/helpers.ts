/** Shared set-up of the experiment tests: a tiny random model and a config over the synthetic task in test/fixtures/experiment. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { initModel } from '../../src/model/checkpoint.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/experiment/', import.meta.url));

export interface Scratch {
  dir: string;
  model: string;
  cleanup(): Promise<void>;
}

/** A temporary directory holding a tiny random model (project tokenizer). */
export async function scratchWithModel(seed = 0): Promise<Scratch> {
  const dir = await mkdtemp(join(tmpdir(), 'tsallis-exp-'));
  const model = join(dir, 'model');
  await initModel('tiny', model, seed);
  return { dir, model, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export const ALGORITHM_YAML: Record<string, string> = {
  grpo: '{name: grpo, kl_beta: 0.05}',
  rloo: '{name: rloo}',
  garl: '{name: garl, q: 0.75}',
  paft: '{name: paft, q: 0.5}',
  sft: '{name: sft}',
};

/** A small, fast config: M = 4, 16 new tokens, 2 questions a step, validation every step. */
export function testConfig(s: Scratch, algorithm: string, out: string, extra: string[] = []): Config {
  const text = [
    `model: {path: ${JSON.stringify(s.model)}}`,
    'seed: 7',
    'threads: 1',
    `task: {name: mini-hotpotqa, start: cold, data_dir: ${JSON.stringify(join(FIXTURES, 'task'))}, prompts: ${JSON.stringify(join(FIXTURES, 'prompts'))}}`,
    `algorithm: ${ALGORITHM_YAML[algorithm] ?? algorithm}`,
    'rollout: {m: 4, max_new_tokens: 16, answer_budget: 4}',
    'train: {steps: 2, questions_per_step: 2, micro_batch_tokens: 128, eval_every: 1}',
    'optimizer: {lr: 0.001}',
    'eval: {samples: 16}',
    `output: {dir: ${JSON.stringify(out)}}`,
  ].join('\n');
  return parseConfig(text, 'test-config', extra);
}
