/** Shared set-up of the experiment tests: a tiny random model and a config over the synthetic task in test/fixtures/experiment. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createStepContext, loadRunInputs, trainItems } from '../../src/experiment/run-inputs.js';
import { RandomStreams } from '../../src/experiment/streams.js';
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

/**
 * A step context over a copy of the config's starting weights (what an update changes), a copy of them
 * as they were, and the first two training items: one step of a config, ready to run and compare.
 */
export async function stepSetup(c: Config) {
  const inputs = await loadRunInputs(c);
  const weights = new Map([...inputs.start.weights].map(([k, v]) => [k, Float32Array.from(v)]));
  const ctx = createStepContext(c, inputs, weights, RandomStreams.fromSeed(c.seed));
  const { item } = trainItems(c, inputs);
  return {
    ctx,
    inputs,
    weights,
    before: new Map([...weights].map(([k, v]) => [k, Float32Array.from(v)])),
    items: [0, 1].map(item),
  };
}

/** How far each weight moved from `before`. */
export function weightUpdate(
  weights: ReadonlyMap<string, Float32Array>,
  before: ReadonlyMap<string, Float32Array>,
): Map<string, Float32Array> {
  return new Map([...weights].map(([k, w]) => [k, w.map((x, i) => x - before.get(k)![i]!)]));
}

/** The largest |a - b| over every tensor, and the largest |b| (the scale to read it against). */
export function maxDifference(
  a: ReadonlyMap<string, Float32Array>,
  b: ReadonlyMap<string, Float32Array>,
): { diff: number; scale: number } {
  let diff = 0,
    scale = 0;
  for (const [name, u] of b) {
    const v = a.get(name)!;
    for (let i = 0; i < u.length; i++) {
      diff = Math.max(diff, Math.abs(v[i]! - u[i]!));
      scale = Math.max(scale, Math.abs(u[i]!));
    }
  }
  return { diff, scale };
}

/** |a - b| <= tol x max(1, |b|). */
export const close = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
