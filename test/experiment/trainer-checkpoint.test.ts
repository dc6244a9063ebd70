/** Trainer checkpoints refuse non-finite weights and optimizer state, at save and at load. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NonFiniteError } from '../../src/errors.js';
import type { DataOrderState } from '../../src/experiment/data-order.js';
import type { StreamStates } from '../../src/experiment/streams.js';
import {
  FULL_WEIGHTS_FILE,
  OPTIMIZER_FILE,
  readTrainerCheckpoint,
  writeTrainerCheckpoint,
  type CheckpointModel,
  type TrainerState,
} from '../../src/experiment/trainer-checkpoint.js';
import type { ModelConfig } from '../../src/model/config.js';
import { randomWeights } from '../../src/model/init.js';
import { PRESET_CONFIGS } from '../../src/model/presets.js';
import { readSafetensors, writeSafetensors } from '../../src/model/safetensors.js';
import { writeProjectTokenizer } from '../../src/model/tokenizer-project.js';
import { createOptimizer, type Optimizer } from '../../src/runtime/optimizer.js';

let root: string;
let tokenizerDir: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'trainer-checkpoint-test-'));
  tokenizerDir = join(root, 'tokenizer');
  await writeProjectTokenizer(tokenizerDir, { vocabSize: 1024 });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const config: ModelConfig = {
  ...PRESET_CONFIGS.tiny,
  vocabSize: 1024,
  hiddenSize: 16,
  numLayers: 1,
  numHeads: 2,
  numKvHeads: 1,
  headDim: 8,
  intermediateSize: 24,
};

function setup(): { model: CheckpointModel; optimizer: Optimizer; state: TrainerState } {
  const weights = randomWeights(config, 0);
  const optimizer = createOptimizer(weights, { kind: 'adamw' });
  const state: TrainerState = {
    version: 2,
    step: 1,
    optimizer: optimizer.scalarState(),
    rng: {} as StreamStates,
    data_order: {} as DataOrderState,
    best: null,
    elapsed_s: 0,
  };
  // BF16 on disk, so the exact float32 weights go to weights.f32.safetensors.
  return { model: { config, weights, tokenizerDir, dtype: 'BF16' }, optimizer, state };
}

it('refuses NaN in the optimizer state before writing anything', async () => {
  const { model, optimizer, state } = setup();
  const [name, t] = [...optimizer.stateTensors()][1]!;
  t.data[2] = NaN;
  const dir = join(root, 'nan-opt', 'checkpoint-1');
  const err = await writeTrainerCheckpoint(dir, model, state, optimizer).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NonFiniteError);
  expect((err as Error).message).toBe(
    `${dir}: not saved (optimizer state): tensor "${name}" holds NaN at flat index 2; the weights diverged (try a lower learning rate); nothing was written`,
  );
  await expect(readdir(join(root, 'nan-opt'))).rejects.toThrow(/ENOENT/);
});

it('refuses Infinity in the weights before writing anything', async () => {
  const { model, optimizer, state } = setup();
  (model.weights.get('model.norm.weight') as Float32Array)[0] = Infinity;
  const dir = join(root, 'inf-w', 'checkpoint-1');
  await expect(writeTrainerCheckpoint(dir, model, state, optimizer)).rejects.toThrow(
    `${dir}: not saved: tensor "model.norm.weight" holds Infinity at flat index 0`,
  );
  await expect(readdir(join(root, 'inf-w'))).rejects.toThrow(/ENOENT/);
});

it('a checkpoint with non-finite float32 weights or optimizer state does not load, naming file and tensor', async () => {
  const { model, optimizer, state } = setup();
  const dir = join(root, 'ok', 'checkpoint-1');
  await writeTrainerCheckpoint(dir, model, state, optimizer);
  expect((await readTrainerCheckpoint(dir)).weights.size).toBe(model.weights.size);

  const full = join(dir, FULL_WEIGHTS_FILE);
  const weights = await readSafetensors(full);
  weights.get('model.embed_tokens.weight')!.data[9] = NaN;
  await writeSafetensors(full, weights);
  await expect(readTrainerCheckpoint(dir)).rejects.toThrow(
    `${full}: tensor "model.embed_tokens.weight" holds NaN at flat index 9`,
  );
  weights.get('model.embed_tokens.weight')!.data[9] = 0;
  await writeSafetensors(full, weights);

  const optimizerPath = join(dir, OPTIMIZER_FILE);
  const tensors = await readSafetensors(optimizerPath);
  const [name, t] = [...tensors][0]!;
  t.data[1] = -Infinity;
  await writeSafetensors(optimizerPath, tensors);
  const err = await readTrainerCheckpoint(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NonFiniteError);
  expect((err as Error).message).toMatch(`${optimizerPath}: tensor "${name}" holds -Infinity at flat index 1`);
});
