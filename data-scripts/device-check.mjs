#!/usr/bin/env node
// The non-CPU path against the CPU, in one short run (issue 15, goal 4), from the compiled build (dist/):
// on the tiny base (models/tiny-base) with random-looking token batches,
//   1. score parity: Policy.score log-probs on DEVICE against the CPU (max abs difference);
//   2. one train step: the loss and every gradient on DEVICE against the CPU (max relative difference);
//   3. speed: generate and train tokens/s on DEVICE and on the CPU (medians of 3 after a warm-up).
// Prints one JSON object per check and writes them all to --out FILE (default: stdout only). A device whose
// execution provider is missing or does not start gives a `{"check": "start", "ok": false, ...}` line.
//
// Usage: node data-scripts/device-check.mjs --device webgpu|cuda|cpu [--out FILE] [--preset tiny|small]
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const device = flag('--device', 'cpu');
const out = flag('--out');
const preset = flag('--preset');
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const load = (path) => import(pathToFileURL(resolve(root, 'dist', path)).href);
const { Policy } = await load('runtime/policy.js');
const { padBatch } = await load('runtime/batch.js');
const { generate } = await load('runtime/generate.js');
const { loadModel } = await load('model/checkpoint.js');
const { PRESET_CONFIGS } = await load('model/presets.js');
const { randomWeights } = await load('model/init.js');

const lines = [];
const report = (x) => {
  lines.push(x);
  console.log(JSON.stringify(x));
};
const { config, weights } = preset
  ? { config: PRESET_CONFIGS[preset], weights: randomWeights(PRESET_CONFIGS[preset], 0) }
  : await loadModel(resolve(root, 'models/tiny-base'));
const V = config.vocabSize;
const seqs = Array.from({ length: 8 }, (_, b) =>
  Array.from({ length: 128 + 16 * b }, (_, t) => 1 + ((b * 131 + t * 17) % (V - 1))),
);
const batch = padBatch(seqs, 0);
const T = batch.length;
const coef = new Float32Array(batch.batch * (T - 1)).fill(1 / (batch.batch * (T - 1)));
const policies = {
  cpu: new Policy(config, weights, { device: 'cpu', threads: 0 }),
  device: new Policy(config, weights, { device, threads: 0 }),
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function timed(f, n = 3) {
  await f();
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f();
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

try {
  try {
    await policies.device.score(batch);
    report({ check: 'start', device, ok: true });
  } catch (e) {
    report({ check: 'start', device, ok: false, error: String(e.message ?? e).slice(0, 400) });
    throw e;
  }
  // 1. score parity
  const [a, b] = await Promise.all([policies.cpu.score(batch), policies.device.score(batch)]);
  let scoreDiff = 0;
  for (let i = 0; i < a.length; i++)
    if (batch.mask[Math.floor(i / (T - 1)) * T + (i % (T - 1)) + 1])
      scoreDiff = Math.max(scoreDiff, Math.abs(a[i] - b[i]));
  report({ check: 'score', device, max_abs_logprob_diff: scoreDiff, ok: scoreDiff < 1e-3 });
  // 2. one train step's loss and gradients
  const [ga, gb] = [await policies.cpu.trainStep(batch, { coef }), await policies.device.trainStep(batch, { coef })];
  let worst = { name: '', rel: 0 };
  for (const [name, g] of ga.grads) {
    const h = gb.grads.get(name);
    let diff = 0,
      scale = 0;
    for (let i = 0; i < g.length; i++) {
      diff = Math.max(diff, Math.abs(g[i] - h[i]));
      scale = Math.max(scale, Math.abs(g[i]));
    }
    const rel = diff / Math.max(scale, 1e-30);
    if (rel > worst.rel) worst = { name, rel };
  }
  const lossDiff = Math.abs(ga.loss - gb.loss) / Math.max(Math.abs(ga.loss), 1e-30);
  report({
    check: 'train',
    device,
    loss_rel_diff: lossDiff,
    worst_grad: worst,
    ok: worst.rel < 1e-3 && lossDiff < 1e-4,
  });
  // 3. speed
  const prompts = seqs.map((s) => s.slice(0, 64));
  const o = {
    samplesPerPrompt: 4,
    maxNewTokens: 64,
    temperature: 1,
    topP: 1,
    topK: 0,
    stop: { eosIds: [], forceCloseIds: [] },
    seed: 1,
  };
  for (const [side, policy] of Object.entries(policies)) {
    const gen = await timed(() => generate(policy, prompts, o));
    const train = await timed(() => policy.trainStep(batch, { coef }));
    const trained = seqs.reduce((n, s) => n + s.length, 0);
    report({
      check: 'speed',
      side: side === 'cpu' ? 'cpu' : device,
      generate_tokens_per_s: Math.round((prompts.length * o.samplesPerPrompt * o.maxNewTokens) / gen),
      train_tokens_per_s: Math.round(trained / train),
    });
  }
} finally {
  if (out) writeFileSync(out, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  // A device session that never started rejects on release too.
  await Promise.allSettled(Object.values(policies).map((p) => p.release()));
}
