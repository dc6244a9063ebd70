/**
 * The report: the study's tables (Markdown or CSV; seeds aggregated as mean ± sd with 95% confidence
 * intervals), a table of every run, and the curves and diagnostic figures as SVG files beside them
 * (curves.ts, diagnostics.ts; one style per method and q in all of them, colours.ts).
 * `buildReport` is pure (runs in, files out); `writeReport` puts the files on disk.
 *
 * Where the files go (`out`):
 *   a path ending in .md (Markdown) or .csv (CSV): the tables there, everything else beside it;
 *   any other path: a directory, holding report.md (or tables.csv and runs.csv) and the SVGs.
 * `summary` (report --summary FILE), when given, is a path of its own: the flat CSV of summary.ts,
 * with the seeds summary beside it (<FILE base>-seeds.csv).
 * `perRun` (report --per-run) also writes each run's figure into its run directory (<run>/report.svg,
 * run-figure.ts); off by default, since a report may be made from runs one may not write to.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { toCsv, toMarkdown } from '../plot/table.js';
import { buildCurves } from './curves.js';
import { buildDiagnostics, DIAGNOSTIC_READINGS } from './diagnostics.js';
import { RUN_FIGURE, runFigure } from './run-figure.js';
import { collectRuns, type RunRecord } from './runs.js';
import { seedsSummaryPath, writeSummaryCsv } from './summary.js';
import {
  runsTable,
  STARTS,
  studyTable,
  studyTableCiMarkdownCells,
  studyTableMarkdownCells,
  studyTablesCsv,
  taskTitle,
} from './tables.js';

export type ReportFormat = 'md' | 'csv';

export interface ReportFile {
  /** File name, relative to the report's directory. */
  name: string;
  text: string;
}

export interface Report {
  /** The main file: report.md, or tables.csv. */
  main: ReportFile;
  /** The rest: runs.csv (CSV format), the SVG curves and the diagnostic figures. */
  others: ReportFile[];
}

/** Builds every file of the report. `mainName` names the main file (default report.md / tables.csv). */
export function buildReport(runs: readonly RunRecord[], format: ReportFormat, mainName?: string): Report {
  const tables = STARTS.map((s) => studyTable(runs, s));
  const curves = buildCurves(runs);
  const diagnostics = buildDiagnostics(runs);
  const svgs = [...curves, ...diagnostics].map((c) => ({ name: c.file, text: c.svg }));
  if (format === 'csv') {
    const main = mainName ?? 'tables.csv';
    const runsName = `${basename(main, extname(main))}-runs.csv`.replace(/^tables-runs\.csv$/, 'runs.csv');
    return {
      main: { name: main, text: toCsv(studyTablesCsv(tables)) },
      others: [{ name: runsName, text: toCsv(runsTable(runs)) }, ...svgs],
    };
  }
  const finished = runs.filter((r) => r.status === 'finished').length;
  const incomplete = runs.filter((r) => r.status === 'incomplete').length;
  const invalid = runs.filter((r) => r.status === 'invalid').length;
  const lines: string[] = ['# Results', ''];
  lines.push(
    `${runs.length} runs: ${finished} finished, ${incomplete} incomplete, ${invalid} invalid. ` +
      'Test set, percent, from the checkpoint with the best validation m@k. Cells are mean ± sd over the finished runs (seeds; sd with n - 1), ' +
      'n the seeds per row ("3 / – / 2": per dataset, in column order, where they differ); where a cell has several seeds, a second table gives the 95% ' +
      'confidence interval of the mean (Student t, n - 1 degrees of freedom; one seed: its value, no interval). "incomplete" marks a cell whose runs have not finished.',
    '',
  );
  for (const t of tables) {
    const name = t.start === 'cold' ? 'Cold' : 'Warm';
    lines.push(`## ${name} start`, '');
    if (t.rows.length === 0) {
      lines.push('No runs.', '');
      continue;
    }
    lines.push(toMarkdown(studyTableMarkdownCells(t)));
    if (t.rows.some((r) => r.cells.some((c) => c.runs > 1)))
      lines.push(`### ${name} start, 95% confidence intervals`, '', toMarkdown(studyTableCiMarkdownCells(t)));
  }
  const unplaced = runs.filter((r) => r.status !== 'invalid' && (r.start === null || r.task === null));
  if (unplaced.length)
    lines.push(`Not in the tables (task or start unknown): ${unplaced.map((r) => r.dir).join(', ')}.`, '');
  lines.push('## Runs', '', toMarkdown(runsTable(runs)));
  if (curves.length) {
    lines.push(
      '## Curves',
      '',
      'Against step, one line per method and q, the mean over its seeds, shaded from the lowest to the highest seed where there are several; ' +
        'a method and q has the same colour in every figure (GARL and PAFT by q, PAFT dashed). Training quantities are a moving average over the last steps ' +
        '(the window, a twentieth of the run, is in each title) with the per-step mean faint behind; validation p@1, p@k and m@k are drawn point by point. ' +
        `Token entropy and log W are under Diagnostics. \`report --per-run\` also draws each run alone, into \`<run dir>/${RUN_FIGURE}\`.`,
      '',
    );
    let group = '';
    for (const c of curves) {
      const g = `${taskTitle(c.task === 'unknown' ? null : c.task)}, ${c.start} start`;
      if (g !== group) {
        lines.push(`### ${g}`, '');
        group = g;
      }
      lines.push(`![${c.title}](${c.file})`, '');
    }
  }
  if (diagnostics.length) {
    lines.push(
      '## Diagnostics',
      '',
      'Against step, one line per q (GARL; the entropy figure: every method, PAFT dashed), the mean over seeds; a method and q has the colour it has in the curves.',
      '',
    );
    for (const kind of [...new Set(diagnostics.map((d) => d.kind))]) lines.push(`- ${DIAGNOSTIC_READINGS[kind]}`);
    lines.push('');
    let group = '';
    for (const d of diagnostics) {
      const g = `${taskTitle(d.task)}, ${d.start} start`;
      if (g !== group) {
        lines.push(`### ${g}`, '');
        group = g;
      }
      lines.push(`![${d.title}](${d.file})`, '');
    }
  }
  return { main: { name: mainName ?? 'report.md', text: lines.join('\n').replace(/\n+$/, '\n') }, others: svgs };
}

/** Where the files of a report go, from --out (see the module comment). */
export function reportLocation(out: string, format: ReportFormat): { dir: string; mainName: string } {
  const ext = extname(out).toLowerCase();
  if (ext === '.md' || ext === '.csv') return { dir: dirname(out), mainName: basename(out) };
  return { dir: out, mainName: format === 'md' ? 'report.md' : 'tables.csv' };
}

/**
 * Finds and reads the runs under `paths`, builds the report and writes it; with `summary`, also the
 * flat summary CSV there and the seeds summary beside it (summary.ts). Returns the runs and the paths written.
 */
export async function writeReport(
  paths: readonly string[],
  options: { format: ReportFormat; out: string; summary?: string; perRun?: boolean },
): Promise<{ runs: RunRecord[]; files: string[] }> {
  const runs = await collectRuns(paths);
  const { dir, mainName } = reportLocation(options.out, options.format);
  const report = buildReport(runs, options.format, mainName);
  const summaries =
    options.summary === undefined ? [] : [options.summary, seedsSummaryPath(options.summary)].map((p) => resolve(p));
  const clash = [report.main, ...report.others].find((f) => summaries.includes(resolve(dir, f.name)));
  if (clash)
    throw new UserError(
      `--summary ${options.summary}: the report writes ${join(dir, clash.name)} itself; choose another path`,
    );
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const f of [report.main, ...report.others]) {
    const path = join(dir, f.name);
    await writeFile(path, f.text);
    files.push(path);
  }
  if (options.summary !== undefined) files.push(...(await writeSummaryCsv(options.summary, runs)));
  if (options.perRun) {
    for (const r of runs) {
      const svg = runFigure(r);
      if (svg === null) continue;
      await writeFile(join(r.dir, RUN_FIGURE), svg);
      files.push(join(r.dir, RUN_FIGURE));
    }
  }
  return { runs, files };
}
