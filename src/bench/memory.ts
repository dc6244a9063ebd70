/**
 * Peak memory of one score pass and one train step, run in a fresh process so that the peak
 * (VmHWM) belongs to this work alone: `node dist/bench/memory.js PRESET BATCH LENGTH`.
 */
import { readFileSync } from 'node:fs';
import { PRESET_CONFIGS, type Preset } from '../model/presets.js';
import { randomWeights } from '../model/init.js';
import { Policy } from '../runtime/policy.js';
import { padBatch } from '../runtime/batch.js';
import { Rng } from '../util/rng.js';

const [preset, b, t] = process.argv.slice(2);
const c = PRESET_CONFIGS[preset as Preset];
const B = Number(b),
  T = Number(t);
const peakMiB = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
const t0 = performance.now();
const policy = new Policy(c, randomWeights(c, 0), { threads: 2 });
const rng = new Rng(1);
const batch = padBatch(
  Array.from({ length: B }, () => Array.from({ length: T }, () => rng.int(c.vocabSize))),
  0,
);
const afterInit = peakMiB();
const logprobs = await policy.score(batch);
const afterScore = peakMiB();
const { loss } = await policy.trainStep(batch, { coef: new Float32Array(B * (T - 1)).fill(1 / (B * (T - 1))) });
console.log(
  JSON.stringify({
    preset,
    batch: `${B}x${T}`,
    peak_rss_mib_after_init: Math.round(afterInit),
    peak_rss_mib_after_score: Math.round(afterScore),
    peak_rss_mib_after_train_step: Math.round(peakMiB()),
    finite: Number.isFinite(loss) && logprobs.every(Number.isFinite),
    wall_s: Number(((performance.now() - t0) / 1000).toFixed(1)),
  }),
);
