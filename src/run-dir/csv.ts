/** metrics.csv and validation.csv: their columns, appending rows safely, reading them back (paths.ts: the run directory). */
import { appendFile, open, readFile, writeFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { UserError } from '../errors.js';
import { addErrorPath, readTextIfExists, writeFileAtomic } from '../util/atomic-write.js';
import type { RunPaths } from './paths.js';
import { fromLegacyRows } from './step-numbering.js';

/** Per-step training metrics, in column order. Times in seconds; `q` empty for algorithms without one. */
export const METRICS_COLUMNS = [
  'step',
  'q',
  'mean_reward',
  'mean_W',
  'no_success_share',
  'max_scaled_c',
  'loss',
  'grad_norm',
  'kl',
  'mean_rationale_tokens',
  'tokens_per_s',
  't_generate',
  't_score',
  't_train',
  't_optimizer',
  'lr',
  'entropy',
  'log_W_p10',
  'log_W_p50',
  'log_W_p90',
  'above_eps',
] as const;

export type MetricsColumn = (typeof METRICS_COLUMNS)[number];

/**
 * One training step. Empty cells (null) are measurements that do not apply (mean_W and max_scaled_c
 * for GRPO, kl without a KL term, q for GRPO/RLOO/SFT).
 *   step                   the step: the row describes the N-th optimizer step, after which N are done (from 1)
 *   q                      q in effect at this step (GARL, PAFT)
 *   mean_reward            mean exact-match reward of the step's rollouts (every algorithm)
 *   mean_W                 mean over questions of W = mean_m w_m (GARL, PAFT)
 *   no_success_share       share of questions none of whose rollouts got reward 1
 *   max_scaled_c           max over the step of max_m c_m / M^q (GARL: the paper's cold-start diagnostic)
 *   loss, grad_norm        the loss and the global gradient norm before clipping
 *   kl                     mean k3 KL to the reference (GRPO with kl_beta > 0)
 *   mean_rationale_tokens  mean rationale length of the rollouts
 *   tokens_per_s           generated tokens per second of generation
 *   t_generate, t_score, t_train, t_optimizer   seconds spent in each phase
 *   lr                     learning rate of the step
 *   entropy                mean over the rollouts' sampled tokens of -log p under the sampling distribution
 *                          (an unbiased estimate of the policy's per-token entropy, nats; forced tokens excluded)
 *   log_W_p10, log_W_p50, log_W_p90   quantiles over the step's questions of log W (natural log; GARL, PAFT)
 *   above_eps              share of gradient coordinates with |g| > the optimizer's eps after clipping (1e-8 under
 *                          SGD): near 1, AdamW's step is sign-like and the same for every q; near 0, it is SGD at lr/eps
 * With train.updates_per_batch > 1 a row is one batch: loss, grad_norm, kl and above_eps are those of its first
 * (on-policy) update, the times those of all its updates. The PPO clip fraction is not a column (see README).
 */
export type MetricsRow = { step: number } & { [K in Exclude<MetricsColumn, 'step'>]: number | null };

export const VALIDATION_COLUMNS = ['step', 'p1', 'p16', 'm16'] as const;

/** One validation: after step `step` (that many optimizer steps), p@1, p@k and m@k in percent (k = eval.samples, 16 in the study). */
export interface ValidationRow {
  step: number;
  p1: number;
  p16: number;
  m16: number;
}

type Row<C extends string> = { [K in C]: number | null };

/** A cell: shortest round-trip form for numbers, empty for null. */
export function csvNumber(v: number | null | undefined): string {
  return v === null || v === undefined ? '' : String(v);
}

/** A CSV line of the given columns (numbers only, so no quoting is ever needed). */
export function csvLine<C extends string>(columns: readonly C[], row: Row<C>): string {
  return (
    columns
      .map((c) => {
        const v = row[c];
        if (v !== null && typeof v !== 'number')
          throw new TypeError(`csv column ${c}: expected a number or null, got ${typeof v}`);
        return csvNumber(v);
      })
      .join(',') + '\n'
  );
}

/**
 * Appends rows to a CSV file of its own run, one write per line. Opening creates the file with its
 * header (exclusively: never two headers), or checks the existing header and cuts off a partial last
 * line left by a crash.
 */
export class CsvAppender<C extends string> {
  private constructor(
    readonly path: string,
    readonly columns: readonly C[],
  ) {}

  static async open<C extends string>(path: string, columns: readonly C[]): Promise<CsvAppender<C>> {
    const header = columns.join(',') + '\n';
    try {
      await writeFile(path, header, { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const text = await readFile(path, 'utf8');
      const first = text.slice(0, text.indexOf('\n') + 1);
      if (first !== header)
        throw new UserError(
          `${path}: its columns (${first.trim() || 'none'}) are not this version's (${header.trim()}); move the file away to continue`,
        );
      if (!text.endsWith('\n')) {
        const handle = await open(path, 'r+');
        try {
          await handle.truncate(Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)));
        } finally {
          await handle.close();
        }
      }
    }
    return new CsvAppender(path, columns);
  }

  /** Appends one row as one write (O_APPEND): whole lines, never interleaved. */
  async append(row: Row<C>): Promise<void> {
    try {
      await appendFile(this.path, csvLine(this.columns, row));
    } catch (err) {
      addErrorPath(err, this.path);
      throw err;
    }
  }
}

/** Opens metrics.csv for appending. */
export function openMetricsCsv(paths: Pick<RunPaths, 'metrics'>): Promise<CsvAppender<MetricsColumn>> {
  return CsvAppender.open(paths.metrics, METRICS_COLUMNS);
}

/** Opens validation.csv for appending. */
export function openValidationCsv(
  paths: Pick<RunPaths, 'validation'>,
): Promise<CsvAppender<(typeof VALIDATION_COLUMNS)[number]>> {
  return CsvAppender.open(paths.validation, VALIDATION_COLUMNS);
}

/**
 * Reads a numeric CSV written by CsvAppender: drops a partial last line, keeps the last row for each
 * step (rows re-appended after a resume win), sorts by step. Unknown columns are ignored; missing
 * ones read as null. Errors name the file and the line.
 */
export function parseStepCsv<C extends string>(text: string, columns: readonly C[], where: string): Row<C>[] {
  const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
  if (complete.trim() === '') return [];
  const records = parse(complete, { columns: true, skip_empty_lines: true, relax_column_count: true }) as Record<
    string,
    string
  >[];
  const byStep = new Map<number, Row<C>>();
  records.forEach((rec, i) => {
    const row = {} as Row<C>;
    for (const c of columns) {
      const cell = rec[c];
      if (cell === undefined || cell === '') row[c] = null;
      else {
        const v = Number(cell);
        if (Number.isNaN(v) && cell !== 'NaN')
          throw new UserError(`${where}:${i + 2}: ${c}: expected a number, got "${cell}"`);
        row[c] = v;
      }
    }
    const step = (row as Record<string, number | null>)['step'];
    if (step === null || step === undefined || !Number.isInteger(step))
      throw new UserError(`${where}:${i + 2}: step: expected an integer, got "${rec['step'] ?? ''}"`);
    byStep.set(step, row);
  });
  return [...byStep.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r);
}

/** metrics.csv as rows, or [] when the file does not exist yet. */
export async function readMetricsCsv(path: string): Promise<MetricsRow[]> {
  const text = await readTextIfExists(path);
  return text === null ? [] : (parseStepCsv(text, METRICS_COLUMNS, path) as MetricsRow[]);
}

/** validation.csv as rows, or [] when the file does not exist yet. */
export async function readValidationCsv(path: string): Promise<ValidationRow[]> {
  const text = await readTextIfExists(path);
  if (text === null) return [];
  return parseStepCsv(text, VALIDATION_COLUMNS, path).map((r, i) => {
    for (const c of ['p1', 'p16', 'm16'] as const)
      if (r[c] === null) throw new UserError(`${path}: row ${i + 1}: ${c}: expected a number, got an empty cell`);
    return r as ValidationRow;
  });
}

/**
 * A run folder's metrics.csv and validation.csv in this version's numbering (a legacy folder's are
 * shifted: step-numbering.ts), and whether they were legacy.
 */
export async function readRunCsvs(
  paths: Pick<RunPaths, 'metrics' | 'validation'>,
): Promise<{ metrics: MetricsRow[]; validation: ValidationRow[]; legacy: boolean }> {
  return fromLegacyRows(await readMetricsCsv(paths.metrics), await readValidationCsv(paths.validation));
}

/** Drops the rows after `step` (for --resume from a checkpoint at `step`), atomically. */
export async function truncateCsvAfterStep(path: string, step: number): Promise<void> {
  const text = await readTextIfExists(path);
  if (text === null) return;
  const lines = text.split('\n');
  const header = lines[0]!;
  const stepIndex = header.split(',').indexOf('step');
  if (stepIndex < 0) throw new UserError(`${path}: no step column`);
  const kept = lines.slice(1).filter((l, i, all) => {
    if (l === '' || (i === all.length - 1 && !text.endsWith('\n'))) return false;
    return Number(l.split(',')[stepIndex]) <= step;
  });
  await writeFileAtomic(path, [header, ...kept].join('\n') + '\n');
}
