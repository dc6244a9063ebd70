/** metrics.csv and validation.csv: appending, reading, resuming (src/run-dir/csv.ts). */
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CsvAppender,
  METRICS_COLUMNS,
  openMetricsCsv,
  openValidationCsv,
  parseStepCsv,
  readMetricsCsv,
  readValidationCsv,
  truncateCsvAfterStep,
  type MetricsRow,
} from '../../src/run-dir/csv.js';
import { claimRunDir, runPaths } from '../../src/run-dir/paths.js';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tsallis-run-dir-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function metricsRow(step: number, extra: Partial<MetricsRow> = {}): MetricsRow {
  const row = Object.fromEntries(METRICS_COLUMNS.map((c) => [c, null])) as unknown as MetricsRow;
  return { ...row, step, mean_reward: step / 10, loss: 1 / 3, lr: 1e-6, ...extra };
}

describe('CSV artefacts', () => {
  it('round-trip rows, with nulls, NaN and full precision', async () => {
    const p = runPaths(tmp);
    const csv = await openMetricsCsv(p);
    const rows = [metricsRow(0, { q: 0.75, kl: Number.NaN }), metricsRow(1, { max_scaled_c: 1e-300 })];
    for (const r of rows) await csv.append(r);
    const back = await readMetricsCsv(p.metrics);
    expect(back).toEqual(rows);
    expect((await readFile(p.metrics, 'utf8')).split('\n')[0]).toBe(METRICS_COLUMNS.join(','));
    expect(await readMetricsCsv(join(tmp, 'absent.csv'))).toEqual([]);
  });

  it('writes the header once, checks it on reopening, and cuts a partial last line', async () => {
    const p = runPaths(tmp);
    const v = await openValidationCsv(p);
    await v.append({ step: 10, p1: 1, p16: 2, m16: 3 });
    await appendFile(p.validation, '20,4,5'); // a crash mid-append
    expect(await readValidationCsv(p.validation)).toEqual([{ step: 10, p1: 1, p16: 2, m16: 3 }]);
    const again = await openValidationCsv(p);
    await again.append({ step: 20, p1: 4, p16: 5, m16: 6 });
    expect(await readFile(p.validation, 'utf8')).toBe('step,p1,p16,m16\n10,1,2,3\n20,4,5,6\n');
    await expect(CsvAppender.open(p.validation, ['step', 'p1'])).rejects.toThrow(
      /its columns \(step,p1,p16,m16\) are not this version's \(step,p1\)/,
    );
  });

  it('keeps whole lines when many runs append at once into one results directory', async () => {
    const runs = await Promise.all(Array.from({ length: 6 }, (_, i) => claimRunDir(join(tmp, 'results', `run-${i}`))));
    const appenders = await Promise.all(runs.map((p) => openMetricsCsv(p)));
    await Promise.all(
      appenders.map(async (a, i) => {
        for (let s = 0; s < 40; s++) await a.append(metricsRow(s, { q: i / 10 }));
      }),
    );
    for (const [i, p] of runs.entries()) {
      const back = await readMetricsCsv(p.metrics);
      expect(back.map((r) => r.step)).toEqual(Array.from({ length: 40 }, (_, s) => s));
      expect(back.every((r) => r.q === i / 10)).toBe(true);
    }
  });

  it('appends are line-atomic even into one file', async () => {
    const a = await CsvAppender.open(join(tmp, 'shared.csv'), ['step', 'x'] as const);
    await Promise.all(Array.from({ length: 200 }, (_, s) => a.append({ step: s, x: s * 1.5 })));
    const back = parseStepCsv(await readFile(join(tmp, 'shared.csv'), 'utf8'), ['step', 'x'], 'shared.csv');
    expect(back).toHaveLength(200);
    expect(back.every((r) => r.x === r.step! * 1.5)).toBe(true);
  });

  it('on resume, drops rows after the checkpoint; readers keep the last row of a step', async () => {
    const p = runPaths(tmp);
    const csv = await openMetricsCsv(p);
    for (let s = 0; s < 5; s++) await csv.append(metricsRow(s));
    await truncateCsvAfterStep(p.metrics, 2);
    expect((await readMetricsCsv(p.metrics)).map((r) => r.step)).toEqual([0, 1, 2]);
    await csv.append(metricsRow(2, { loss: 42 }));
    const back = await readMetricsCsv(p.metrics);
    expect(back.map((r) => r.step)).toEqual([0, 1, 2]);
    expect(back[2]!.loss).toBe(42);
  });

  it('names the file and line of a bad cell', () => {
    expect(() => parseStepCsv('step,x\n0,1\n1,abc\n', ['step', 'x'], 'm.csv')).toThrow(
      'm.csv:3: x: expected a number, got "abc"',
    );
    expect(() => parseStepCsv('step,x\n,1\n', ['step', 'x'], 'm.csv')).toThrow(/m\.csv:2: step: expected an integer/);
  });
});
