/** Progress of an evaluation: the callback of evaluateRecords, its log lines, and the final test of train. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { evalSettingsOf, evaluateRecords } from '../../src/experiment/eval/evaluate.js';
import { evalProgress } from '../../src/experiment/progress.js';
import { loadSplit, loadTaskContext } from '../../src/experiment/task-data.js';
import { runTraining } from '../../src/experiment/train.js';
import { loadModel } from '../../src/model/checkpoint.js';
import { runPaths } from '../../src/run-dir/paths.js';
import { Policy } from '../../src/runtime/policy.js';
import { scratchWithModel, testConfig, type Scratch } from './helpers.js';

let s: Scratch;
beforeAll(async () => {
  s = await scratchWithModel();
});
afterAll(async () => s.cleanup());

describe('eval progress', () => {
  it('evaluateRecords reports the questions done, increasing up to the total, after each generation batch', async () => {
    const config = testConfig(s, 'garl', join(s.dir, 'unused'));
    const task = await loadTaskContext(config);
    const records = [...(await loadSplit(task, 'validation')), ...(await loadSplit(task, 'test'))];
    const model = await loadModel(s.model);
    const policy = new Policy(model.config, model.weights, { threads: 1 });
    const calls: [number, number][] = [];
    try {
      // 2 samples and 4 sequences a call: 2 questions a batch.
      const settings = { ...evalSettingsOf(config, 2), sequencesPerCall: 4 };
      const r = await evaluateRecords(policy, model.tokenizer, task, records, settings, undefined, (done, total) =>
        calls.push([done, total]),
      );
      expect(r.metrics.n).toBe(4);
    } finally {
      await policy.release();
    }
    expect(calls).toEqual([
      [0, 4],
      [2, 4],
      [4, 4],
    ]);
  });

  it('without a bar: one line each time another tenth of the questions is done', () => {
    const lines: string[] = [];
    const p = evalProgress('test', false, (line) => lines.push(line));
    for (const done of [0, 1, 2, 3, 5, 6, 20]) p.update(done, 20);
    p.stop();
    expect(lines).toEqual([
      'test: 2/20 questions (10%)',
      'test: 5/20 questions (25%)',
      'test: 6/20 questions (30%)',
      'test: 20/20 questions (100%)',
    ]);
  });

  it("train's final test logs its progress", async () => {
    const out = join(s.dir, 'run');
    await runTraining(testConfig(s, 'garl', out, ['train.steps=0']), { console: false, progress: false });
    const log = (await readFile(runPaths(out).log, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(log).toContain('final test: 2/2 questions (100%)');
  });
});
