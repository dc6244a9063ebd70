/** `tsallis-run report DIR...`: the study's tables, curves and diagnostics (and, with --summary, flat CSVs) from the run directories under DIR. */
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { writeReport, type ReportFormat } from '../report/report.js';
import { SUMMARY_COLUMNS } from '../report/summary.js';
import { pathFlag } from './options.js';

interface ReportArgs {
  dirs: string[];
  format: ReportFormat;
  out?: string;
  summary?: string;
  perRun: boolean;
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <dirs..>',
  describe:
    "Tables laid out like the study's Tables 1-3 (method and q by dataset, p@1 / p@16 / m@16 as mean ± sd over seeds with 95% intervals; cold and warm start), training curves (smoothed; loss, gradient norm, KL, W, length, validation p@1/p@k/m@k) and GARL diagnostics, from run directories",
  builder: (y: Argv) =>
    y
      .positional('dirs', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'Run directories, or folders searched recursively for them',
      })
      .option('format', {
        choices: ['md', 'csv'] as const,
        default: 'md' as const,
        describe: 'Tables as Markdown (report.md) or CSV (tables.csv and runs.csv)',
      })
      .option('out', {
        type: 'string',
        describe:
          'A .md/.csv file for the tables (SVG curves beside it), or a directory for all of them (default: <first DIR>/report)',
      })
      .option('summary', {
        type: 'string',
        coerce: pathFlag('summary'),
        describe:
          `Also write a flat CSV here, one row per finished run: ${SUMMARY_COLUMNS.join(',')} (test numbers in percent; q empty without a constant q; wall_s rounded to 0.1 s; ` +
          'm16_abstain: m@k with empty answers abstaining), and beside it <base>-seeds.csv, one row per task, start, method and q over the seeds: n, and mean, sd, ci95_low, ci95_high of p1, p16, m16',
      })
      .option('per-run', {
        type: 'boolean',
        default: false,
        describe:
          "Also write each run's curves (reward, loss, gradient norm, KL, W, length, entropy, validation p@1/p@k/m@k) into its run directory as report.svg",
      })
      .epilogue(
        'Runs without summary.json (still running, interrupted, failed) are listed as incomplete; unreadable ones as invalid. --summary leaves both out.',
      ) as unknown as Argv<ReportArgs>,
  handler: async (a) => {
    const out = a.out ?? join(a.dirs[0]!, 'report');
    const { runs, files } = await writeReport(a.dirs, { format: a.format, out, summary: a.summary, perRun: a.perRun });
    const count = (s: string) => runs.filter((r) => r.status === s).length;
    process.stderr.write(
      `${runs.length} runs (${count('finished')} finished, ${count('incomplete')} incomplete, ${count('invalid')} invalid)\n`,
    );
    for (const r of runs) if (r.status === 'invalid') process.stderr.write(`warning: ${r.problem}\n`);
    for (const f of files) process.stderr.write(`wrote ${f}\n`);
  },
};
