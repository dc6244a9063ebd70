#!/usr/bin/env node
// The warm-once arm's figures (results/mini/README.md, "Warm start, each training question once"), from
// data-scripts/warm-once.sh's output: each cell's p@1 gain over the base on the test split and on its own
// training questions (3 seeds), the HotPotQA/MuSiQue training reward of steps 91-120 against 1-30, and
// (exploratory) the gain on training questions by the step that drew them.
// Usage: node data-scripts/once-gains.mjs [results/runs/once]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const R = process.argv[2] ?? 'results/runs/once';
const lines = (f) =>
  readFileSync(f, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
const signed = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
const seeds = [0, 1, 2];
for (const t of ['hotpotqa', 'musique']) {
  const evalOf = (who, s, split) => join(R, 'eval', `mini-${t}-${who}-seed${s}`, 'eval', split);
  const gain = {};
  for (const split of ['test', 'train']) {
    const p1 = (who) => seeds.map((s) => JSON.parse(readFileSync(evalOf(who, s, `${split}.json`), 'utf8')).p1);
    const [base, grpo] = [p1('base'), p1('warm-grpo')];
    gain[split] = mean(grpo) - mean(base);
    const show = (v) => v.map((x) => x.toFixed(2)).join(' / ');
    console.log(`${t} ${split}: base ${show(base)}, GRPO ${show(grpo)}, G ${signed(gain[split])}`);
  }
  console.log(`${t} G_train - G_test: ${(gain.train - gain.test).toFixed(2)}`);
  const ids = lines(join(R, 'data', `mini-${t}`, 'train.jsonl')).map((l) => JSON.parse(l).id);
  const byThird = [[], [], []];
  const rewards = [];
  for (const s of seeds) {
    const run = join(R, 'runs', `mini-${t}-warm-grpo-seed${s}`);
    const [header, ...rows] = lines(join(run, 'metrics.csv')).map((l) => l.split(','));
    const col = header.indexOf('mean_reward');
    const reward = (from, to) => mean(rows.filter((r) => +r[0] >= from && +r[0] <= to).map((r) => +r[col]));
    rewards.push(100 * (reward(91, 120) - reward(1, 30)));
    const state = JSON.parse(readFileSync(join(run, 'checkpoints', 'checkpoint-120', 'trainer_state.json'), 'utf8'));
    const stepOf = new Map(state.data_order.order.map((q, j) => [ids[q], Math.floor(j / 4) + 1]));
    const p1 = (who) =>
      new Map(
        lines(evalOf(who, s, 'train.predictions.jsonl'))
          .map((l) => JSON.parse(l))
          .map((r) => [r.id, r.correct.filter(Boolean).length / r.correct.length]),
      );
    const [trained, base] = [p1('warm-grpo'), p1('base')];
    for (let third = 0; third < 3; third++) {
      const qs = ids.filter((id) => Math.floor((stepOf.get(id) - 1) / 40) === third);
      byThird[third].push(100 * (mean(qs.map((id) => trained.get(id))) - mean(qs.map((id) => base.get(id)))));
    }
  }
  console.log(`${t} training reward, steps 91-120 minus 1-30 (points): ${rewards.map(signed).join(' / ')}`);
  const thirds = byThird.map((v, i) => `steps ${40 * i + 1}-${40 * i + 40} ${signed(mean(v))}`);
  console.log(`${t} gain on training questions by the step that drew them: ${thirds.join(', ')}`);
}
