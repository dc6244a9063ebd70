#!/usr/bin/env node
// The figures of the warm arms on disjoint training questions (results/mini/README.md, "Warm start, each training
// question once" and "Warm start, four times the updates"), read with the project's own run-folder readers in dist/
// (`npm run build` first):
//   once:   p@1 gain over the base at T = 1 on the test split and on the trained questions (3 seeds), the gap, and
//           the training reward of steps 91-120 against 1-30, from the committed results/mini/once; with
//           data-scripts/warm-once.sh's folder at hand (checkpoints, predictions), also the gain on the training
//           questions by the step that drew them (exploratory);
//   longer: the test gain of checkpoints 120-480 and the training reward by block of 120 steps (results/mini/longer);
//   pool:   the exploratory pool check's step-120 test gains on both splits (results/mini/pool).
// Usage: node data-scripts/warm-arms.mjs [RESULTS_MINI [ONCE_RUNS]]   (defaults results/mini, results/runs/once)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { seedStats } from '../dist/report/stats.js';
import { readMetricsCsv } from '../dist/run-dir/csv.js';
import { readEvalSummary, readPredictionRecords } from '../dist/run-dir/json.js';

const [mini = 'results/mini', onceRuns = 'results/runs/once'] = process.argv.slice(2);
const mean = (xs) => seedStats(xs).mean;
const signed = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
const show = (xs) => xs.map((x) => x.toFixed(2)).join(' / ');
/** Test (or train) p@1 of an eval folder's eval/<split>.json, or of a committed copy's <split>.json. */
async function p1(dir, split = 'test') {
  const nested = join(dir, 'eval', `${split}.json`);
  return (await readEvalSummary(existsSync(nested) ? nested : join(dir, `${split}.json`))).p1;
}
/** Mean training reward (percent) of steps from..to of a run folder. */
async function reward(run, from, to) {
  const rows = await readMetricsCsv(join(run, 'metrics.csv'));
  return 100 * mean(rows.filter((r) => r.step >= from && r.step <= to).map((r) => r.mean_reward));
}
const seeds = [0, 1, 2];

for (const t of ['hotpotqa', 'musique']) {
  const gain = {};
  for (const split of ['test', 'train']) {
    const base = await Promise.all(seeds.map((s) => p1(join(mini, 'once/eval', `mini-${t}-base-seed${s}`), split)));
    const grpo = await Promise.all(
      seeds.map((s) => p1(join(mini, 'once/eval', `mini-${t}-warm-grpo-seed${s}`), split)),
    );
    gain[split] = mean(grpo) - mean(base);
    console.log(`once ${t} ${split}: base ${show(base)}, GRPO ${show(grpo)}, G ${signed(gain[split])}`);
  }
  console.log(`once ${t} G_train - G_test: ${(gain.train - gain.test).toFixed(2)}`);
  const runs = seeds.map((s) => join(mini, 'once/runs', `mini-${t}-warm-grpo-seed${s}`));
  const rise = await Promise.all(runs.map(async (r) => (await reward(r, 91, 120)) - (await reward(r, 1, 30))));
  console.log(`once ${t} training reward, steps 91-120 minus 1-30 (points): ${rise.map(signed).join(' / ')}`);
  if (!existsSync(join(onceRuns, 'runs'))) continue;
  // Exploratory: each training question's gain by the step that drew it (the data order of checkpoint 120).
  const ids = readFileSync(join(onceRuns, 'data', `mini-${t}`, 'train.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l).id);
  const byThird = [[], [], []];
  for (const s of seeds) {
    const state = join(
      onceRuns,
      'runs',
      `mini-${t}-warm-grpo-seed${s}`,
      'checkpoints/checkpoint-120/trainer_state.json',
    );
    const order = JSON.parse(readFileSync(state, 'utf8')).data_order.order;
    const stepOf = new Map(order.map((q, j) => [ids[q], Math.floor(j / 4) + 1]));
    const perQuestion = async (who) => {
      const file = join(onceRuns, 'eval', `mini-${t}-${who}-seed${s}`, 'eval/train.predictions.jsonl');
      return new Map((await readPredictionRecords(file)).map((r) => [r.id, mean(r.correct.map(Number))]));
    };
    const [trained, base] = [await perQuestion('warm-grpo'), await perQuestion('base')];
    for (let third = 0; third < 3; third++) {
      const qs = ids.filter((id) => Math.floor((stepOf.get(id) - 1) / 40) === third);
      byThird[third].push(100 * (mean(qs.map((id) => trained.get(id))) - mean(qs.map((id) => base.get(id)))));
    }
  }
  const thirds = byThird.map((v, i) => `steps ${40 * i + 1}-${40 * i + 40} ${signed(mean(v))}`);
  console.log(`once ${t} gain on training questions by the step that drew them: ${thirds.join(', ')}`);
}

const base = await Promise.all(seeds.map((s) => p1(join(mini, 'once/eval', `mini-hotpotqa-base-seed${s}`))));
for (const step of [120, 240, 360, 480]) {
  const v = await Promise.all(
    seeds.map((s) => p1(join(mini, 'longer/eval', `mini-hotpotqa-warm-grpo-seed${s}-step${step}`))),
  );
  console.log(`longer checkpoint ${step}: ${show(v)}, mean gain ${signed(mean(v) - mean(base))}`);
}
for (const s of seeds) {
  const run = join(mini, 'longer/runs', `mini-hotpotqa-warm-grpo-seed${s}`);
  const blocks = await Promise.all([1, 121, 241, 361].map((from) => reward(run, from, from + 119)));
  console.log(`longer seed ${s} training reward by block of 120 steps: ${show(blocks)}`);
}
const poolSeeds = [3, 4, 5];
const poolBase = await Promise.all(poolSeeds.map((s) => p1(join(mini, 'pool/eval', `mini-hotpotqa-base-seed${s}`))));
console.log(`pool base, seeds 3-5: ${show(poolBase)}, mean ${mean(poolBase).toFixed(2)}`);
for (const split of ['once', 'longer']) {
  const v = await Promise.all(poolSeeds.map((s) => p1(join(mini, 'pool/eval', `${split}-seed${s}`))));
  console.log(`pool ${split} split: ${show(v)}, mean gain ${signed(mean(v) - mean(poolBase))}`);
}
