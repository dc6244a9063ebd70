#!/usr/bin/env node
// Training dynamics of the mini sweep, one row per run, from the run folders' metrics.csv and
// validation.csv (what the report's curves plot, reduced to numbers the reading can cite):
//   reward first/last   mean exact-match reward over the first and the last quarter of the steps
//   W first/last        mean W (teacher-forced p(y* | x*, z) averaged over the M rollouts), GARL/PAFT only
//   no success          share of questions whose M rollouts all failed, over all steps
//   |g| median          median gradient norm before clipping (grad_clip 1 in the mini configs)
//   val p@1             validation p@1 at each validation, in order
// Usage: node data-scripts/mini-dynamics.mjs [RUNS_DIR] [OUT.md]   (default results/mini/runs, results/mini/dynamics.md;
// reads the runs with the report's own reader in dist/, so `npm run build` first)
import { writeFileSync } from 'node:fs';
import { collectRuns } from '../dist/report/runs.js';
import { compareRuns, compareTasks } from '../dist/report/tables.js';

const runsDir = process.argv[2] ?? 'results/mini/runs';
const out = process.argv[3] ?? 'results/mini/dynamics.md';

const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const median = (xs) => (xs.length ? [...xs].sort((a, b) => a - b)[xs.length >> 1] : null);
const fmt = (x) => (x === null ? '' : x.toPrecision(2));
const column = (rows, c) => rows.map((r) => r[c]).filter((x) => x !== null);

const runs = (await collectRuns([runsDir])).filter((r) => r.status === 'finished' && r.method !== 'base');
runs.sort((a, b) => compareTasks(a.task, b.task) || a.start.localeCompare(b.start) || compareRuns(a, b));
const rows = runs.map((r) => {
  const quarter = Math.max(1, Math.floor(r.metrics.length / 4));
  const first = r.metrics.slice(0, quarter), last = r.metrics.slice(-quarter);
  return {
    task: r.task,
    start: r.start,
    label: r.label,
    rewardFirst: mean(column(first, 'mean_reward')),
    rewardLast: mean(column(last, 'mean_reward')),
    wFirst: mean(column(first, 'mean_W')),
    wLast: mean(column(last, 'mean_W')),
    noSuccess: mean(column(r.metrics, 'no_success_share')),
    grad: median(column(r.metrics, 'grad_norm')),
    val: r.validation.map((v) => v.p1.toFixed(1)).join(' / '),
    test: r.summary.test.p1,
  };
});

const lines = [
  '# Training dynamics of the mini sweep',
  '',
  'Written by `node data-scripts/mini-dynamics.mjs` from the run folders in results/mini/runs/. Reward: mean',
  'exact-match reward of the training rollouts over the first and last quarter of the steps; W: mean',
  'teacher-forced p(y* | x*, z) (GARL, PAFT); no success: share of questions whose 16 rollouts all failed;',
  '|g|: median gradient norm before clipping at 1; validation p@1 (%) at each validation; test p@1 (%).',
  '',
  '| task | start | run | reward first | reward last | W first | W last | no success | \\|g\\| median | validation p@1 | test p@1 |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.task} | ${r.start} | ${r.label} | ${fmt(r.rewardFirst)} | ${fmt(r.rewardLast)} | ${fmt(r.wFirst)} | ${fmt(r.wLast)} | ${fmt(r.noSuccess)} | ${fmt(r.grad)} | ${r.val} | ${r.test.toFixed(2)} |`),
  '',
];
writeFileSync(out, lines.join('\n'));
process.stderr.write(`${rows.length} runs -> ${out}\n`);
