#!/usr/bin/env node
// The warm rows' pre-registered checks (results/mini/README.md, "The warm rows at lr 5e-5"), from the run folders:
// each cell's mean ± sd of test p@1 over seeds beside its task's base (the base rows' mean over seeds), then
//   1. no cell below its task's base - 3 points;
//   2. no cell above its task's base + 5 points;
//   3. on each task the GARL cells span at most 4 points;
//   4. the mean training reward over the last 30 steps is above that over the first 30 in at least 60 of the 72 runs.
// With fewer runs finished it reports what they show and says how many there are.
// Usage: node data-scripts/warm-checks.mjs [RUNS_DIR]   (default results/mini/warm/runs; reads the runs with the
// report's own reader in dist/, so `npm run build` first). Markdown on stdout.
import { collectRuns } from '../dist/report/runs.js';
import { seedStats } from '../dist/report/stats.js';
import { compareRuns, compareTasks } from '../dist/report/tables.js';

const runsDir = process.argv[2] ?? 'results/mini/warm/runs';
const mean = (xs) => seedStats(xs)?.mean ?? Number.NaN;
const f2 = (x) => (x === null || Number.isNaN(x) ? '-' : x.toFixed(2));

const runs = (await collectRuns([runsDir])).filter((r) => r.status === 'finished' && r.start === 'warm');
runs.sort((a, b) => compareTasks(a.task, b.task) || compareRuns(a, b) || (a.seed ?? 0) - (b.seed ?? 0));
const base = new Map();
for (const r of runs.filter((x) => x.method === 'base'))
  base.set(r.task, [...(base.get(r.task) ?? []), r.summary.test.p1]);
const cells = new Map();
for (const r of runs.filter((x) => x.method !== 'base')) {
  const key = `${r.task}\t${r.label}`;
  const cell = cells.get(key) ?? { task: r.task, label: r.label, method: r.method, p1: [] };
  cell.p1.push(r.summary.test.p1);
  cells.set(key, cell);
}
const trained = runs.filter((r) => r.method !== 'base');
const lines = [
  `Warm rows (${trained.length} of 72 runs finished, ${[...base.values()].flat().length} base rows; test p@1, %):`,
  '',
  '| task | cell | n | mean | sd | 95% interval | base | mean - base | check 1 (>= base - 3) | check 2 (<= base + 5) |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
];
let fails1 = 0,
  fails2 = 0;
for (const c of cells.values()) {
  const b = base.has(c.task) ? mean(base.get(c.task)) : NaN;
  const st = seedStats(c.p1);
  const m = st.mean;
  const ok1 = m >= b - 3,
    ok2 = m <= b + 5;
  fails1 += ok1 ? 0 : 1;
  fails2 += ok2 ? 0 : 1;
  lines.push(
    `| ${c.task} | ${c.label} | ${st.n} | ${f2(m)} | ${f2(st.sd)} | ${st.ci95Low === null ? '-' : `${f2(st.ci95Low)} to ${f2(st.ci95High)}`} | ${f2(b)} | ${f2(m - b)} | ${ok1 ? 'yes' : 'NO'} | ${ok2 ? 'yes' : 'NO'} |`,
  );
}
lines.push('');
lines.push(`1. cells below base - 3: ${fails1} of ${cells.size}`);
lines.push(`2. cells above base + 5: ${fails2} of ${cells.size}`);
const spans = [...new Set([...cells.values()].map((c) => c.task))].map((task) => {
  const garl = [...cells.values()].filter((c) => c.task === task && c.method === 'garl').map((c) => mean(c.p1));
  return `${task} ${garl.length ? (Math.max(...garl) - Math.min(...garl)).toFixed(2) : '-'} (${garl.length} GARL cells)`;
});
lines.push(`3. GARL span per task (at most 4): ${spans.join('; ')}`);
const window = 30;
const rising = trained.filter((r) => {
  const rewards = r.metrics.map((m) => m.mean_reward).filter((x) => x !== null);
  return mean(rewards.slice(-window)) > mean(rewards.slice(0, window));
});
lines.push(
  `4. training reward, last ${window} steps above first ${window}: ${rising.length} of ${trained.length} runs (needs 60 of 72)`,
);
const flat = trained.filter((r) => !rising.includes(r)).map((r) => `${r.task} ${r.label} seed ${r.seed}`);
if (flat.length) lines.push(`   not rising: ${flat.join('; ')}`);
process.stdout.write(`${lines.join('\n')}\n`);
