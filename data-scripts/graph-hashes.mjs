#!/usr/bin/env node
// Builds every graph variant the project emits from the compiled build (dist/) and prints one line
// "<variant> <sha256 of the serialised ModelProto>" per variant: score, next-token, train with and
// without PPO clipping and the KL term, generate in each sampling mode with the weights as inputs and
// as step-body initializers, in float32 and float64, for each model preset and for configs that
// switch on each architecture option (q/k/v bias, untied lm_head, no q/k norm, one KV head per query
// head, every RoPE scaling type). Then the shared-prefix score and train graphs (each train option) for
// the same configs and dtypes but dynamic NTK RoPE, which they refuse; they come after the others so
// that adding them left the earlier lines as they were; after them, for the same configs, the generate
// graphs that also return their KV cache and the cached score graph that reads it. A refactor that must
// not change the graphs keeps every line.
//
// Usage: npm run build && node data-scripts/graph-hashes.mjs [--dist DIR] [--check FILE] [--only SUBSTRING]
//   --check FILE  compare against a recorded output (test/fixtures/graph-hashes.txt), print only the verdict and
//                 the differing variants, and exit 1 on a difference.
// The builders share a counter for symbolic dims, so variants are built in one fixed order: run the
// whole list (or the same --only filter) when comparing.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = resolve(flag('--dist') ?? resolve(root, 'dist'));
const load = (path) => import(pathToFileURL(resolve(dist, path)).href);

const {
  buildScoreGraph,
  buildNextTokenGraph,
  buildTrainGraph,
  buildSharedPrefixScoreGraph,
  buildSharedPrefixTrainGraph,
} = await load('runtime/graphs.js');
const { buildGenerateGraph } = await load('runtime/generate-graph.js');
const { buildCachedScoreGraph } = await load('runtime/cached-score-graph.js');
const { PRESET_CONFIGS } = await load('model/presets.js');
const { randomWeights } = await load('model/init.js');
const { parameterSpecs } = await load('model/config.js');

const base = {
  vocabSize: 97,
  hiddenSize: 32,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 16,
  intermediateSize: 48,
  rmsNormEps: 1e-6,
  ropeTheta: 10000,
  maxPositionEmbeddings: 512,
};
const qwen3 = { ...base, architecture: 'qwen3', tieWordEmbeddings: true, attentionBias: false, qkNorm: true };
const CONFIGS = {
  ...Object.fromEntries(Object.entries(PRESET_CONFIGS).map(([name, c]) => [`preset-${name}`, c])),
  'qwen3-toy': qwen3,
  'qwen2-bias-untied': {
    ...base,
    architecture: 'qwen2',
    tieWordEmbeddings: false,
    attentionBias: true,
    qkNorm: false,
    numKvHeads: 1,
  },
  'llama-untied': {
    ...base,
    architecture: 'llama',
    tieWordEmbeddings: false,
    attentionBias: false,
    qkNorm: false,
    headDim: 8,
  },
  'qwen3-mha': { ...qwen3, numKvHeads: 4 },
  'rope-linear': { ...qwen3, ropeScaling: { type: 'linear', factor: 3 } },
  'rope-dynamic': { ...qwen3, maxPositionEmbeddings: 8, ropeScaling: { type: 'dynamic', factor: 2 } },
  'rope-yarn': {
    ...qwen3,
    ropeScaling: {
      type: 'yarn',
      factor: 4,
      originalMaxPositionEmbeddings: 32,
      betaFast: 32,
      betaSlow: 1,
      truncate: true,
    },
  },
  'rope-yarn-mscale': {
    ...qwen3,
    ropeScaling: {
      type: 'yarn',
      factor: 16,
      originalMaxPositionEmbeddings: 64,
      betaFast: 8,
      betaSlow: 1,
      mscale: 1,
      mscaleAllDim: 0.5,
      truncate: true,
    },
  },
  'rope-llama3': {
    ...base,
    architecture: 'llama',
    tieWordEmbeddings: false,
    attentionBias: false,
    qkNorm: false,
    ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 64 },
  },
};
/** Embedding the step weights copies every weight into the graph: only for models up to this many parameters. */
const STEP_WEIGHTS_LIMIT = 5e6;
const DTYPES = ['float32', 'float64'];
const TRAIN_OPTIONS = { plain: {}, clip: { clip: true }, kl: { kl: true }, 'clip+kl': { clip: true, kl: true } };
const MODES = ['greedy', 'sample', 'filtered'];

function* variants() {
  for (const [name, c] of Object.entries(CONFIGS)) {
    const weights = () => randomWeights(c, 1);
    const small = parameterSpecs(c).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0) <= STEP_WEIGHTS_LIMIT;
    for (const dtype of DTYPES) {
      yield [`${name}/${dtype}/score`, () => buildScoreGraph(c, dtype)];
      yield [`${name}/${dtype}/next-token`, () => buildNextTokenGraph(c, dtype)];
      for (const [opt, o] of Object.entries(TRAIN_OPTIONS))
        yield [`${name}/${dtype}/train-${opt}`, () => buildTrainGraph(c, o, dtype)];
      for (const mode of MODES) {
        yield [`${name}/${dtype}/generate-${mode}`, () => buildGenerateGraph(c, mode, dtype)];
        if (small)
          yield [`${name}/${dtype}/generate-${mode}-step-weights`, () => buildGenerateGraph(c, mode, dtype, weights())];
      }
    }
  }
  for (const [name, c] of Object.entries(CONFIGS)) {
    if (c.ropeScaling?.type === 'dynamic') continue;
    for (const dtype of DTYPES) {
      yield [`${name}/${dtype}/score-shared-prefix`, () => buildSharedPrefixScoreGraph(c, dtype)];
      for (const [opt, o] of Object.entries(TRAIN_OPTIONS))
        yield [`${name}/${dtype}/train-shared-prefix-${opt}`, () => buildSharedPrefixTrainGraph(c, o, dtype)];
    }
  }
  for (const [name, c] of Object.entries(CONFIGS)) {
    if (c.ropeScaling?.type === 'dynamic') continue;
    for (const dtype of DTYPES) {
      for (const mode of MODES)
        yield [
          `${name}/${dtype}/generate-${mode}-keep-cache`,
          () => buildGenerateGraph(c, mode, dtype, undefined, undefined, true),
        ];
      yield [`${name}/${dtype}/cached-score`, () => buildCachedScoreGraph(c, dtype)];
    }
  }
}

const only = flag('--only');
const check = flag('--check');
const lines = [];
for (const [name, build] of variants()) {
  if (only && !name.includes(only)) continue;
  const hash = createHash('sha256').update(build().bytes).digest('hex');
  lines.push(`${name} ${hash}`);
  // With --check only the verdict is printed (the hashes are the file's business).
  if (!check) console.log(`${name} ${hash}`);
}

if (check) {
  const want = new Map(
    readFileSync(check, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ')),
  );
  const got = new Map(lines.map((l) => l.split(' ')));
  const differ = [...want.keys()].filter((k) => (!only || k.includes(only)) && got.get(k) !== want.get(k));
  const extra = [...got.keys()].filter((k) => !want.has(k));
  console.error(
    `${got.size} variants built, ${differ.length} differ from ${check}, ${extra.length} not recorded there`,
  );
  for (const k of differ) console.error(`  differs: ${k}`);
  for (const k of extra) console.error(`  not recorded: ${k}`);
  if (differ.length || extra.length) process.exit(1);
}
