// The experiment grid that configs/mini/ and configs/study/ share: each task x start x method, one YAML
// file each, named <task>-<start>-<method>.yaml. Imported by make-mini-configs.mjs and make-study-configs.mjs.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const STARTS = ['cold', 'warm'];
/** The study's q grid for GARL, and the two q of PAFT. */
export const GARL_QS = [0, 0.25, 0.5, 0.75, 1];
export const PAFT_QS = [0.25, 0.75];

/**
 * Writes `render(task, start, method)` to <out>/<taskName(task)>-<start>-<method.file>.yaml for the whole
 * grid, after removing the *.yaml already in `out` (so a method dropped from the grid leaves no stale file).
 */
export function writeGrid(out, tasks, methods, render, taskName = (task) => task) {
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(out)) if (f.endsWith('.yaml')) rmSync(join(out, f));
  let n = 0;
  for (const task of tasks)
    for (const start of STARTS)
      for (const method of methods) {
        writeFileSync(join(out, `${taskName(task)}-${start}-${method.file}.yaml`), render(task, start, method));
        n++;
      }
  process.stderr.write(`${n} configs written to ${out}\n`);
}
