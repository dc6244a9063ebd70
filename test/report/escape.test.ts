import type { MetricsRow } from '../../src/run-dir/csv.js';
import { escapeStep, LOG_W_ESCAPE, REWARD_ESCAPE } from '../../src/report/escape.js';

/** Rows with only the columns the criteria read (the rest null). */
const rows = (rewards: number[], logW: (number | null)[] = []): MetricsRow[] =>
  rewards.map((r, i) => ({ step: i + 1, mean_reward: r, log_W_p50: logW[i] ?? null }) as unknown as MetricsRow);

describe('escapeStep', () => {
  it('reward: the first step whose trailing 5-step mean reaches 0.05, worked by hand', () => {
    // Trailing means from step 5: (0+0+0+0.1+0.1)/5 = 0.04, then (0+0+0.1+0.1+0.1)/5 = 0.06 at step 6.
    expect(escapeStep(rows([0, 0, 0, 0.1, 0.1, 0.1, 0.1]), REWARD_ESCAPE)).toBe(6);
    // A mean of exactly 0.05 counts: 0.25 / 5 at step 5.
    expect(escapeStep(rows([0, 0, 0, 0, 0.25]), REWARD_ESCAPE)).toBe(5);
    // Fewer than 5 steps never escape, whatever their values.
    expect(escapeStep(rows([1, 1, 1, 1]), REWARD_ESCAPE)).toBeNull();
  });

  it('log W: the trailing mean of the median log W reaches -12; a step without log W never averages in', () => {
    const logW = [-20, -15, -12, -10, -8, -6];
    // Means from step 5: (-20-15-12-10-8)/5 = -13, then (-15-12-10-8-6)/5 = -10.2 at step 6.
    expect(escapeStep(rows([0, 0, 0, 0, 0, 0], logW), LOG_W_ESCAPE)).toBe(6);
    // One missing value (GRPO writes none) keeps every window containing it at -Infinity.
    const gap = [-5, -5, -5, -5, null, -5, -5, -5, -5, -5];
    expect(escapeStep(rows(Array(10).fill(0), gap), LOG_W_ESCAPE)).toBe(10);
    expect(escapeStep(rows([0, 0, 0, 0, 0]), LOG_W_ESCAPE)).toBeNull();
  });
});
