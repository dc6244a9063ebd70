#!/usr/bin/env node
// The figures of the four-times arm and of the pool check (results/mini/README.md, "Warm start, four times the
// updates"), from the committed results: the test p@1 gain over the base at T = 1 of checkpoints 120-480, the
// training reward by 120-step block, and the pool check's step-120 gains on both splits.
// Usage: node data-scripts/longer-gains.mjs [results/mini]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const M = process.argv[2] ?? 'results/mini';
const p1 = (...parts) => JSON.parse(readFileSync(join(M, ...parts, 'test.json'), 'utf8')).p1;
const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
const signed = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
const show = (v) => v.map((x) => x.toFixed(2)).join(' / ');

const base = [0, 1, 2].map((s) => p1('once', 'eval', `mini-hotpotqa-base-seed${s}`));
console.log(`base (once arm), seeds 0-2: ${show(base)}, mean ${mean(base).toFixed(2)}`);
for (const step of [120, 240, 360, 480]) {
  const v = [0, 1, 2].map((s) => p1('longer', 'eval', `mini-hotpotqa-warm-grpo-seed${s}-step${step}`));
  console.log(`checkpoint ${step}: ${show(v)}, mean gain ${signed(mean(v) - mean(base))}`);
}
for (const s of [0, 1, 2]) {
  const csv = readFileSync(join(M, 'longer', 'runs', `mini-hotpotqa-warm-grpo-seed${s}`, 'metrics.csv'), 'utf8');
  const [header, ...rows] = csv
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  const col = header.indexOf('mean_reward');
  const block = (from) => 100 * mean(rows.filter((r) => +r[0] >= from && +r[0] < from + 120).map((r) => +r[col]));
  console.log(`seed ${s} training reward by block of 120 steps: ${show([1, 121, 241, 361].map(block))}`);
}
const poolBase = [3, 4, 5].map((s) => p1('pool', 'eval', `mini-hotpotqa-base-seed${s}`));
console.log(`pool check base, seeds 3-5: ${show(poolBase)}, mean ${mean(poolBase).toFixed(2)}`);
for (const split of ['once', 'longer']) {
  const v = [3, 4, 5].map((s) => p1('pool', 'eval', `${split}-seed${s}`));
  console.log(`pool check, ${split} split: ${show(v)}, mean gain ${signed(mean(v) - mean(poolBase))}`);
}
