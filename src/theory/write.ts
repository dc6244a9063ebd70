/**
 * Writes the theory studies to a directory: for each table <name>.csv and <name>.md, for each plot
 * <name>.svg, and summary.md (every study's description, tables, plot and findings on one page).
 * The only I/O of src/theory.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { linePlot } from '../plot/svg.js';
import { formatNumber, toCsv, toMarkdown } from '../plot/table.js';
import type { Study } from './studies/study.js';

/** Writes every file and returns their paths, in the order written. */
export function writeStudies(studies: readonly Study[], outDir: string, meta: { seed: number }): string[] {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  const put = (name: string, text: string) => {
    const path = join(outDir, name);
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, text);
    renameSync(tmp, path); // readers never see half a file
    written.push(path);
  };
  for (const s of studies) {
    for (const t of s.tables) {
      put(`${t.name}.csv`, toCsv(t.table));
      put(`${t.name}.md`, `# ${s.title}\n\n${s.description}\n\n${toMarkdown(t.table)}`);
    }
    for (const p of s.plots) put(`${p.name}.svg`, linePlot(p.spec));
  }
  put('summary.md', summaryMarkdown(studies, meta));
  return written;
}

export function summaryMarkdown(studies: readonly Study[], meta: { seed: number }): string {
  const out: string[] = [
    `# Theory studies (seed ${meta.seed})`,
    '',
    "Written by `tsallis-run theory`. Each check compares a measured number with the theory's value.",
    '',
  ];
  const all = studies.flatMap((s) => s.findings);
  out.push(`${all.filter((f) => f.ok).length} of ${all.length} checks hold.`, '');
  for (const s of studies) {
    out.push(`## ${s.title}`, '', s.description, '');
    for (const p of s.plots) out.push(`![${s.title}](${p.name}.svg)`, '');
    out.push(
      toMarkdown(
        {
          columns: ['check', 'measured', 'expected', 'tolerance', 'holds'],
          rows: s.findings.map((f) => [f.claim, f.measured, f.expected, f.tolerance, f.ok]),
        },
        5,
      ),
    );
    for (const t of s.tables) out.push(`Data: [${t.name}.csv](${t.name}.csv), [${t.name}.md](${t.name}.md)`, '');
  }
  return out.join('\n');
}

/** One line per finding, for the console. */
export function findingLines(studies: readonly Study[]): string[] {
  return studies.flatMap((s) =>
    s.findings.map(
      (f) =>
        `${f.ok ? 'ok  ' : 'FAIL'} ${f.claim}: ${formatNumber(f.measured, 5)} (expected ${formatNumber(f.expected, 5)} ± ${formatNumber(f.tolerance, 3)})`,
    ),
  );
}
