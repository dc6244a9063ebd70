/**
 * `npm run bench -- [--preset tiny|small] [--only train|generate|profile|memory|step] [--threads N]`: speed
 * figures, one JSON object per line. Timings are medians over repeated runs after a warm-up. `profile`
 * (not part of the default run) breaks the train step's kernel time down by op type and gives its Gemm
 * kernels' share of the machine's Gemm peak, the products' kernel time and the linear-layer limit.
 *
 * `--only step [--config FILE] [--set KEY=VALUE]... [--steps N] [--warmup K]` runs the trainer's steps on a
 * config (default configs/default.yaml, its own threads and device; --set overrides fields as train's
 * does): K warm-up steps (default 1), then the means over N (default 3) of the generate / score / train /
 * optimizer / other split, its shares, generated and trained tokens per second of their phase, the
 * tokens the train and score graphs ran and wall seconds per step; a table of the same on stderr.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PRESET_CONFIGS, type Preset } from '../model/presets.js';
import { randomWeights } from '../model/init.js';
import { Policy } from '../runtime/policy.js';
import { padBatch } from '../runtime/batch.js';
import { generate } from '../runtime/generate.js';
import { parameterCount, type ModelConfig } from '../model/config.js';
import { profileTrainStep } from './profile.js';
import { benchStep, stepRecord, stepTable } from './step.js';
import { loadConfig } from '../config/load.js';
import type { GenerateOptions } from '../runtime/rollout.js';
import { Rng } from '../util/rng.js';

function parseBenchArgs() {
  try {
    return parseArgs({
      options: {
        preset: { type: 'string', multiple: true },
        only: { type: 'string' },
        threads: { type: 'string', default: '2' },
        repeats: { type: 'string', default: '5' },
        config: { type: 'string', default: 'configs/default.yaml' },
        steps: { type: 'string', default: '3' },
        warmup: { type: 'string', default: '1' },
        set: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message} (npm run bench -- --help lists the options)\n`);
    process.exit(2);
  }
}
const { values } = parseBenchArgs();
if (values.help) {
  process.stdout.write(`npm run bench -- [--preset tiny|small]... [--only train|generate|profile|memory|step] [--threads N]
    [--repeats N] [--config FILE] [--set KEY=VALUE]... [--steps N] [--warmup K]

Speed figures, one JSON object per line (tables on stderr). Timings are medians over --repeats runs (default 5)
after a warm-up; never run it beside other heavy work. --only step runs the trainer's steps on --config (default
configs/default.yaml): --warmup steps (default 1), then the means over --steps (default 3) of the generate / score /
train / optimizer / other split and the tokens the train and score graphs ran per step; --set overrides a config
field as train's --set does (e.g. --set train.shared_prompt=false). --only profile breaks the train step's kernel time
down by op type, with its products' time and the linear layers' tokens/s at the Gemm peak measured in the same run.
`);
  process.exit(0);
}
const presets = (values.preset ?? ['tiny', 'small']) as Preset[];
const threads = Number(values.threads);
const repeats = Number(values.repeats);

async function median(f: () => Promise<void>, n: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(n / 2)]!;
}

/** The train workload: 8 x 256 random tokens, every next-token log-prob weighted 1 / (8 x 255). */
function trainBatch(c: ModelConfig) {
  const rng = new Rng(1);
  const B = 8,
    T = 256;
  const batch = padBatch(
    Array.from({ length: B }, () => Array.from({ length: T }, () => rng.int(c.vocabSize))),
    0,
  );
  return { batch, coef: new Float32Array(B * (T - 1)).fill(1 / (B * (T - 1))) };
}

async function benchTrain(preset: Preset) {
  const c = PRESET_CONFIGS[preset];
  const policy = new Policy(c, randomWeights(c, 0), { threads });
  const { batch, coef } = trainBatch(c);
  const B = batch.batch,
    T = batch.length;
  const t0 = performance.now();
  await policy.trainStep(batch, { coef }); // builds the session
  const firstMs = performance.now() - t0;
  const ms = await median(async () => void (await policy.trainStep(batch, { coef })), repeats);
  const scoreMs = await median(async () => void (await policy.score(batch)), repeats);
  return {
    preset,
    params: parameterCount(c),
    threads,
    batch: `${B}x${T}`,
    train_tokens_per_s: Math.round((B * T) / (ms / 1000)),
    train_step_ms: Math.round(ms),
    score_tokens_per_s: Math.round((B * T) / (scoreMs / 1000)),
    first_step_ms: Math.round(firstMs),
  };
}

/** 32 sequences, 64 prompt tokens, 128 sampled tokens with no early stop; plus the prefill/decode split and per-step cost against length. */
async function benchGenerate(preset: Preset) {
  const c = PRESET_CONFIGS[preset];
  const policy = new Policy(c, randomWeights(c, 0), { threads });
  const rng = new Rng(2);
  const prompts = Array.from({ length: 32 }, () => Array.from({ length: 64 }, () => 1 + rng.int(c.vocabSize - 1)));
  const options = (maxNewTokens: number): GenerateOptions => ({
    samplesPerPrompt: 1,
    maxNewTokens,
    temperature: 1,
    topP: 1,
    topK: 0,
    stop: { eosIds: [], forceCloseIds: [] },
    seed: 3,
  });
  const t0 = performance.now();
  await generate(policy, prompts, options(2)); // builds the session (on the CPU again after every optimizer step)
  const firstMs = performance.now() - t0;
  const time = (n: number) => median(async () => void (await generate(policy, prompts, options(n))), repeats);
  const ms128 = await time(128);
  const ms1 = await time(1);
  const steps: Record<string, number> = {};
  let prev = ms1,
    prevN = 1;
  for (const n of [32, 64, 128, 256]) {
    const ms = n === 128 ? ms128 : await time(n);
    steps[`decode_step_ms_${prevN + 1}_${n}`] = Number(((ms - prev) / (n - prevN)).toFixed(2));
    prev = ms;
    prevN = n;
  }
  return {
    preset,
    threads,
    sequences: 32,
    prompt_tokens: 64,
    new_tokens: 128,
    generate_tokens_per_s: Math.round((32 * 128) / (ms128 / 1000)),
    generate_ms: Math.round(ms128),
    prefill_plus_first_step_ms: Math.round(ms1),
    first_call_ms: Math.round(firstMs),
    ...steps,
  };
}

/** The train step of benchTrain under onnxruntime's profiler. */
async function benchProfile(preset: Preset) {
  const c = PRESET_CONFIGS[preset];
  const { batch, coef } = trainBatch(c);
  return {
    preset,
    threads,
    batch: `${batch.batch}x${batch.length}`,
    ...(await profileTrainStep(c, batch, coef, threads)),
  };
}

/** Peak memory of a score pass and a train step, each measured in its own process. */
function benchMemory(preset: Preset, batch: number, length: number) {
  const script = fileURLToPath(new URL('./memory.js', import.meta.url));
  return execFileSync(process.execPath, [script, preset, String(batch), String(length)], { encoding: 'utf8' }).trim();
}

if (values.only === 'step') {
  const b = await benchStep(await loadConfig(values.config, values.set ?? []), {
    steps: Number(values.steps),
    warmup: Number(values.warmup),
  });
  console.error(stepTable(b));
  console.log(JSON.stringify(stepRecord(b)));
}
if (values.only === 'memory') {
  console.log(benchMemory('small', 8, 256));
  console.log(benchMemory('qwen3-0.6b', 1, 128));
}
if (values.only === 'profile') for (const preset of presets) console.log(JSON.stringify(await benchProfile(preset)));
for (const preset of values.only === 'memory' || values.only === 'profile' || values.only === 'step' ? [] : presets) {
  if (!values.only || values.only === 'train') console.log(JSON.stringify(await benchTrain(preset)));
  if (!values.only || values.only === 'generate') console.log(JSON.stringify(await benchGenerate(preset)));
}
