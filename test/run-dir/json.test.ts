/** summary.json, eval/<split>.json and the predictions file: written whole, validated, read back (src/run-dir/json.ts). */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { samplingMetrics } from '../../src/experiment/eval/sampling-metrics.js';
import {
  readEvalSummary,
  readPredictionRecords,
  readRunSummary,
  writeEvalSummary,
  writePredictions,
  writeRunSummary,
  type RunSummary,
} from '../../src/run-dir/json.js';
import { runPaths } from '../../src/run-dir/paths.js';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tsallis-run-dir-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const summary: RunSummary = {
  name: 'r',
  task: 'finqa',
  start: 'cold',
  method: 'garl',
  q: 0.75,
  seed: 0,
  steps: 4,
  best_step: 3,
  best_validation_m16: 36,
  test: { split: 'test', checkpoint_step: 3, n: 20, k: 16, p1: 30.5, p16: 61.1, m16: 38.3, wall_s: 1 },
  wall_s: 10,
  finished_at: '2026-05-01T00:00:00.000Z',
};

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
