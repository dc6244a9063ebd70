#!/usr/bin/env node
// Training dynamics of the mini sweep, one row per run (and seed), from the run folders' metrics.csv and
// validation.csv (what the report's curves plot, reduced to numbers the reading can cite):
//   escape step         first step whose trailing 5-step mean training reward reaches 0.05 (the pre-registered
//                       escape criterion of results/mini/README.md); empty when it never does
//   T (log W)           first step whose trailing 5-step mean of the median log W reaches -12 (the escape step
//                       T(q) of the SGD arm's pre-registration); empty when it never does
//   reward first/last   mean exact-match reward over the first and the last quarter of the steps
//   log W first/last    median over questions of log W (natural log), mean over the first / last quarter (GARL, PAFT)
//   above eps           share of gradient coordinates above AdamW's eps, mean over the first quarter
//   entropy first/last  the rollouts' mean token entropy (nats), first / last quarter
//   |g| median          median gradient norm before clipping (grad_clip 1 in the mini configs)
//   val p@1             validation p@1 at each validation, in order
// Steps count from 1 (step N = after N optimizer steps): run folders of earlier versions, whose files count from 0, are
// read shifted by one by the report's reader (src/run-dir/step-numbering.ts), so old and new runs give the same numbers.
// Usage: node data-scripts/mini-dynamics.mjs [RUNS_DIR] [OUT.md]   (default results/mini/runs, results/mini/dynamics.md;
// reads the runs with the report's own reader in dist/, so `npm run build` first)
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { escapeStep, LOG_W_ESCAPE, REWARD_ESCAPE } from '../dist/report/escape.js';
import { collectRuns } from '../dist/report/runs.js';
import { compareRuns, compareTasks } from '../dist/report/tables.js';

const runsDir = process.argv[2] ?? 'results/mini/runs';
const out = process.argv[3] ?? 'results/mini/dynamics.md';

const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const median = (xs) => (xs.length ? [...xs].sort((a, b) => a - b)[xs.length >> 1] : null);
const fmt = (x) => (x === null ? '' : x.toPrecision(2));
const fix = (x) => (x === null ? '' : x.toFixed(1));
const column = (rows, c) => rows.map((r) => r[c]).filter((x) => x !== null);

const runs = (await collectRuns([runsDir])).filter((r) => r.status === 'finished' && r.method !== 'base');
runs.sort(
  (a, b) =>
    compareTasks(a.task, b.task) ||
    a.start.localeCompare(b.start) ||
    compareRuns(a, b) ||
    (a.seed ?? 0) - (b.seed ?? 0),
);

const rows = runs.map((r) => {
  const quarter = Math.max(1, Math.floor(r.metrics.length / 4));
  const first = r.metrics.slice(0, quarter),
    last = r.metrics.slice(-quarter);
  return {
    task: r.task,
    start: r.start,
    label: r.label,
    folder: basename(r.dir),
    seed: r.seed,
    escape: escapeStep(r.metrics, REWARD_ESCAPE),
    escapeLogW: escapeStep(r.metrics, LOG_W_ESCAPE),
    rewardFirst: mean(column(first, 'mean_reward')),
    rewardLast: mean(column(last, 'mean_reward')),
    logWFirst: mean(column(first, 'log_W_p50')),
    logWLast: mean(column(last, 'log_W_p50')),
    aboveEps: mean(column(first, 'above_eps')),
    entropyFirst: mean(column(first, 'entropy')),
    entropyLast: mean(column(last, 'entropy')),
    grad: median(column(r.metrics, 'grad_norm')),
    val: r.validation.map((v) => v.p1.toFixed(1)).join(' / '),
    test: r.summary.test.p1,
  };
});

const lines = [
  '# Training dynamics of the mini sweep',
  '',
  `Written by \`node data-scripts/mini-dynamics.mjs\` from the run folders in ${runsDir}/. Steps count from 1 (step N:`,
  'after N optimizer steps). Escape step: first step whose trailing 5-step mean training reward reaches 0.05 (the',
  'pre-registered criterion). T (log W): first step whose trailing 5-step mean of the median log W reaches -12 (the',
  "SGD arm's T(q)). Reward: mean exact-match",
  "reward of the training rollouts over the first and last quarter of the steps; log W: median over the step's questions",
  'of log W (natural log; GARL, PAFT), averaged over the quarter; above eps: share of gradient coordinates above',
  "AdamW's eps in the first quarter; entropy: the rollouts' mean token entropy (nats); |g|: median gradient norm before",
  'clipping at 1; validation p@1 (%) at each validation; test p@1 (%).',
  '',
  '| task | start | run | seed | folder | escape step | T (log W) | reward first | reward last | log W first | log W last | above eps | entropy first | entropy last | \\|g\\| median | validation p@1 | test p@1 |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map(
    (r) =>
      `| ${r.task} | ${r.start} | ${r.label} | ${r.seed ?? ''} | ${r.folder} | ${r.escape ?? ''} | ${r.escapeLogW ?? ''} | ${fmt(r.rewardFirst)} | ${fmt(r.rewardLast)} | ${fix(r.logWFirst)} | ${fix(r.logWLast)} | ${fmt(r.aboveEps)} | ${fmt(r.entropyFirst)} | ${fmt(r.entropyLast)} | ${fmt(r.grad)} | ${r.val} | ${r.test.toFixed(2)} |`,
  ),
  '',
];
writeFileSync(out, lines.join('\n'));
process.stderr.write(`${rows.length} runs -> ${out}\n`);
