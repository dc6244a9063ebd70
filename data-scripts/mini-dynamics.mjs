#!/usr/bin/env node
// Training dynamics of the mini sweep, one row per run, from the run folders' metrics.csv and
// validation.csv (what the report's curves plot, reduced to numbers the reading can cite):
//   reward first/last   mean exact-match reward over the first and the last quarter of the steps
//   W first/last        mean W (teacher-forced p(y* | x*, z) averaged over the M rollouts), GARL/PAFT only
//   no success          share of questions whose M rollouts all failed, over all steps
//   |g| median          median gradient norm before clipping (grad_clip 1 in the mini configs)
//   val p@1             validation p@1 at each validation, in order
// Usage: node data-scripts/mini-dynamics.mjs [RUNS_DIR] [OUT.md]   (default results/mini/runs, results/mini/dynamics.md)
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';

const runsDir = process.argv[2] ?? 'results/mini/runs';
const out = process.argv[3] ?? 'results/mini/dynamics.md';

const num = (v) => (v === '' || v === undefined ? null : Number(v));
const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const median = (xs) => (xs.length ? [...xs].sort((a, b) => a - b)[xs.length >> 1] : null);
const fmt = (x, digits = 3) => (x === null ? '' : x.toPrecision(digits));
const TASKS = ['mini-finqa', 'mini-hotpotqa', 'mini-musique'];
const METHODS = ['base', 'grpo', 'garl', 'paft'];

const rows = [];
for (const name of readdirSync(runsDir).sort()) {
  const dir = join(runsDir, name);
  if (!existsSync(join(dir, 'summary.json'))) continue;
  const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  if (s.method === 'base') continue;
  const metrics = parse(readFileSync(join(dir, 'metrics.csv'), 'utf8'), { columns: true });
  const validation = parse(readFileSync(join(dir, 'validation.csv'), 'utf8'), { columns: true });
  const col = (rs, c) => rs.map((r) => num(r[c])).filter((x) => x !== null);
  const quarter = Math.max(1, Math.floor(metrics.length / 4));
  const first = metrics.slice(0, quarter), last = metrics.slice(-quarter);
  rows.push({
    task: s.task,
    start: s.start,
    method: s.method,
    label: s.method === 'grpo' ? 'GRPO' : `${s.method.toUpperCase()} q=${s.q}`,
    q: s.q ?? -1,
    rewardFirst: mean(col(first, 'mean_reward')),
    rewardLast: mean(col(last, 'mean_reward')),
    wFirst: mean(col(first, 'mean_W')),
    wLast: mean(col(last, 'mean_W')),
    noSuccess: mean(col(metrics, 'no_success_share')),
    grad: median(col(metrics, 'grad_norm')),
    val: validation.map((v) => Number(v.p1).toFixed(1)).join(' / '),
    test: s.test.p1,
  });
}
rows.sort((a, b) => TASKS.indexOf(a.task) - TASKS.indexOf(b.task) || a.start.localeCompare(b.start) || METHODS.indexOf(a.method) - METHODS.indexOf(b.method) || a.q - b.q);

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
  ...rows.map((r) => `| ${r.task} | ${r.start} | ${r.label} | ${fmt(r.rewardFirst, 2)} | ${fmt(r.rewardLast, 2)} | ${fmt(r.wFirst, 2)} | ${fmt(r.wLast, 2)} | ${fmt(r.noSuccess, 2)} | ${fmt(r.grad, 2)} | ${r.val} | ${r.test.toFixed(2)} |`),
  '',
];
writeFileSync(out, lines.join('\n'));
process.stderr.write(`${rows.length} runs -> ${out}\n`);
