import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  claimRunDir,
  CsvAppender,
  METRICS_COLUMNS,
  openMetricsCsv,
  openValidationCsv,
  parseStepCsv,
  readEvalSummary,
  readMetricsCsv,
  readPredictionRecords,
  readRunSummary,
  readValidationCsv,
  runPaths,
  truncateCsvAfterStep,
  writeEvalSummary,
  writePredictions,
  writeRunSummary,
  type MetricsRow,
  type RunSummary,
} from '../../src/experiment/layout.js';
import { checkpointStep } from '../../src/experiment/step-numbering.js';
import { samplingMetrics } from '../../src/eval/sampling-metrics.js';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tsallis-layout-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function metricsRow(step: number, extra: Partial<MetricsRow> = {}): MetricsRow {
  const row = Object.fromEntries(METRICS_COLUMNS.map((c) => [c, null])) as unknown as MetricsRow;
  return { ...row, step, mean_reward: step / 10, loss: 1 / 3, lr: 1e-6, ...extra };
}

const summary: RunSummary = {
  name: 'r', task: 'finqa', start: 'cold', method: 'garl', q: 0.75, seed: 0, steps: 4, best_step: 3, best_validation_m16: 36,
  test: { split: 'test', checkpoint_step: 3, n: 20, k: 16, p1: 30.5, p16: 61.1, m16: 38.3, wall_s: 1 },
  wall_s: 10, finished_at: '2026-05-01T00:00:00.000Z',
};

describe('the run directory', () => {
  it('names every artefact', () => {
    const p = runPaths('runs/a');
    expect([p.config, p.metrics, p.validation, p.summary, p.log]).toEqual(['runs/a/config.yaml', 'runs/a/metrics.csv', 'runs/a/validation.csv', 'runs/a/summary.json', 'runs/a/log.jsonl']);
    expect([p.evalSummary('test'), p.predictions('validation'), p.checkpoint(40), p.best]).toEqual([
      'runs/a/eval/test.json', 'runs/a/eval/validation.predictions.jsonl', 'runs/a/checkpoints/checkpoint-40', 'runs/a/checkpoints/best',
    ]);
    expect(checkpointStep('checkpoint-40')).toBe(40);
    expect(checkpointStep('best')).toBeNull();
    expect(checkpointStep('step-39')).toBeNull(); // an earlier version's name (step-numbering.test.ts)
    expect(() => p.checkpoint(0)).toThrow(/positive integer/);
    expect(() => p.checkpoint(-1)).toThrow(/positive integer/);
  });

  it('lets only one of two runs started at once claim a directory', async () => {
    const dir = join(tmp, 'sweep', 'same-name');
    const results = await Promise.allSettled([claimRunDir(dir), claimRunDir(dir)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(String(failed.reason)).toMatch(/the run directory already exists; pass --resume/);
    await expect(claimRunDir(dir, { resume: true })).resolves.toMatchObject({ dir });
    expect((await readdir(dir)).sort()).toEqual(['checkpoints', 'eval']);
  });
});

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
    await expect(CsvAppender.open(p.validation, ['step', 'p1'])).rejects.toThrow(/its columns \(step,p1,p16,m16\) are not this version's \(step,p1\)/);
  });

  it('keeps whole lines when many runs append at once into one results directory', async () => {
    const runs = await Promise.all(Array.from({ length: 6 }, (_, i) => claimRunDir(join(tmp, 'results', `run-${i}`))));
    const appenders = await Promise.all(runs.map((p) => openMetricsCsv(p)));
    await Promise.all(appenders.map(async (a, i) => {
      for (let s = 0; s < 40; s++) await a.append(metricsRow(s, { q: i / 10 }));
    }));
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
    expect(() => parseStepCsv('step,x\n0,1\n1,abc\n', ['step', 'x'], 'm.csv')).toThrow('m.csv:3: x: expected a number, got "abc"');
    expect(() => parseStepCsv('step,x\n,1\n', ['step', 'x'], 'm.csv')).toThrow(/m\.csv:2: step: expected an integer/);
  });
});

describe('JSON artefacts', () => {
  it('writes summaries whole, validated, and reads them back', async () => {
    const p = runPaths(tmp);
    expect(await readRunSummary(p.summary)).toBeNull();
    await writeRunSummary(p, summary);
    // Marked as counting steps from 1, and read back as written.
    expect(JSON.parse(await readFile(p.summary, 'utf8'))).toMatchObject({ step_base: 1, best_step: 3 });
    expect(await readRunSummary(p.summary)).toEqual({ step_base: 1, ...summary });
    await expect(writeRunSummary(p, { ...summary, test: { ...summary.test, m16: 150 } })).rejects.toThrow();
    expect(await readRunSummary(p.summary)).toEqual({ step_base: 1, ...summary }); // the bad write left the good file alone
    expect((await readdir(tmp)).filter((f) => f.includes('.tmp'))).toEqual([]);
    await writeFile(p.summary, '{"name": "r"');
    await expect(readRunSummary(p.summary)).rejects.toThrow(/summary\.json: not valid JSON/);
  });

  it('eval summaries and predictions', async () => {
    const p = runPaths(tmp);
    await writeEvalSummary(p, summary.test);
    expect(await readEvalSummary(p.evalSummary('test'))).toEqual({ step_base: 1, ...summary.test });
    const { records } = samplingMetrics('hotpotqa', [{ id: 'a', answers: ['Paris', 'London'], golds: ['Paris'] }]);
    await writePredictions(p.predictions('test'), records);
    expect(await readPredictionRecords(p.predictions('test'))).toEqual(records);
    await writeFile(p.predictions('test'), '{"id": "a"}\n');
    await expect(readPredictionRecords(p.predictions('test'))).rejects.toThrow(/test\.predictions\.jsonl:1: gold: /);
  });
});
