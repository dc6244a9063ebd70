/** Completions kept: rollouts.jsonl during training, completions in eval predictions, and `metrics --pred` on them. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runMetrics } from '../../src/cli/metrics.js';
import { readPredictionRecords } from '../../src/run-dir/json.js';
import { runPaths } from '../../src/run-dir/paths.js';
import { readRolloutLog, rolloutLogRows } from '../../src/experiment/rollout-log.js';
import type { StepResult } from '../../src/experiment/step.js';
import { runTraining } from '../../src/experiment/train.js';
import { extractAnswer } from '../../src/tasks/extract.js';
import { FIXTURES, scratchWithModel, testConfig, type Scratch } from './helpers.js';

let s: Scratch;
beforeAll(async () => {
  s = await scratchWithModel(1);
});
afterAll(async () => s.cleanup());

const quiet = { console: false, progress: false };

describe('rolloutLogRows', () => {
  const ro = (t: number) => ({ tokens: [t] }) as never;
  const r: Pick<StepResult, 'rollouts' | 'diagnostics' | 'logW'> = {
    rollouts: {
      rollouts: [
        [ro(1), ro(2)],
        [ro(3), ro(4)],
      ],
      completions: [
        ['1', '2'],
        ['3', '4'],
      ],
      answers: [
        ['a', 'b'],
        ['c', 'd'],
      ],
      rewards: [
        [0, 1],
        [1, 0],
      ],
    },
    diagnostics: [{ logW: -1 }, { logW: -Infinity }],
    logW: [
      [-1.5, -0.5],
      [-Infinity, -Infinity],
    ],
  };
  const items = [{ id: 'x' }, { id: 'y' }];

  it('takes the first rollout of each question in turn, k in all, at most every rollout', () => {
    expect(
      rolloutLogRows(5, items, r, 3).map((row) => [row.id, row.sample, row.completion, row.answer, row.reward]),
    ).toEqual([
      ['x', 0, '1', 'a', 0],
      ['y', 0, '3', 'c', 1],
      ['x', 1, '2', 'b', 1],
    ]);
    expect(rolloutLogRows(5, items, r, 10)).toHaveLength(4);
    expect(rolloutLogRows(5, items, r, 0)).toEqual([]);
    expect(rolloutLogRows(5, items, { diagnostics: [{}, {}] }, 2)).toEqual([]);
  });

  it('carries log W and log w where there are (null when not finite), and leaves them out for reward algorithms', () => {
    const [x, y] = rolloutLogRows(0, items, r, 2);
    expect(x).toMatchObject({ step: 0, log_W: -1, log_w: -1.5 });
    expect(y).toMatchObject({ log_W: null, log_w: null });
    const reward = rolloutLogRows(
      0,
      items,
      { rollouts: r.rollouts, diagnostics: [{ meanReward: 0.5 }, { meanReward: 0.5 }] },
      1,
    )[0]!;
    expect('log_W' in reward || 'log_w' in reward).toBe(false);
  });
});

describe('a run keeps its completions', () => {
  it('rollouts.jsonl has train.log_rollouts rows a step; training is bit-identical with none; eval predictions have completions', async () => {
    const kept = join(s.dir, 'kept');
    const results: StepResult[] = [];
    const a = await runTraining(testConfig(s, 'garl', kept, ['train.log_rollouts=3', 'train.eval_every=0']), {
      ...quiet,
      onStep: (_, r) => results.push(r),
    });
    const none = join(s.dir, 'none');
    await runTraining(testConfig(s, 'garl', none, ['train.log_rollouts=0', 'train.eval_every=0']), quiet);

    const rows = await readRolloutLog(runPaths(kept).rollouts);
    expect(rows.map((row) => [row.step, row.sample])).toEqual([
      [1, 0],
      [1, 0],
      [1, 1],
      [2, 0],
      [2, 0],
      [2, 1],
    ]);
    rows.forEach((row, i) => {
      const r = results[row.step - 1]!; // steps count from 1
      const g = (i % 3) % 2; // 2 questions a step: rows are (q0, s0), (q1, s0), (q0, s1)
      expect(row.reward).toBe(r.rollouts!.rewards[g]![row.sample]);
      expect(row.answer).toBe(r.rollouts!.answers[g]![row.sample]);
      expect(row.answer).toBe(extractAnswer(row.completion).answer);
      expect(row.log_W).toBe(r.diagnostics[g]!.logW);
      expect(row.log_w).toBe(r.logW![g]![row.sample]);
    });
    expect(rows[0]!.id).not.toBe(rows[1]!.id);
    expect(rows.every((row) => row.completion.length > 0)).toBe(true);
    await expect(readFile(runPaths(none).rollouts)).rejects.toThrow(/ENOENT/);
    // Keeping rollouts draws nothing from the run's random streams.
    const weights = (dir: string) => readFile(join(runPaths(dir).checkpoint(2), 'model.safetensors'));
    expect((await weights(none)).equals(await weights(kept))).toBe(true);

    const predictions = await readPredictionRecords(runPaths(kept).predictions('test'));
    for (const q of predictions) {
      expect(q.completions).toHaveLength(16);
      expect(q.completions!.map((c) => extractAnswer(c).answer)).toEqual(q.answers);
    }
    // `metrics --pred` reads the file eval wrote and agrees with eval's own summary.
    const scores = await runMetrics(
      'hotpotqa',
      join(FIXTURES, 'task', 'test.jsonl'),
      runPaths(kept).predictions('test'),
    );
    expect(scores).toMatchObject({ format: 'eval', n: 2, missing: 0 });
    expect(100 * scores.em!).toBeCloseTo(a.summary!.test.em!, 10);
    expect(100 * scores.f1!).toBeCloseTo(a.summary!.test.f1!, 10);
  });
});
