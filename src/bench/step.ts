/**
 * `--only step`: the trainer's own steps on a config (its data order, seed and step context, no run
 * directory), split into the step's timed phases and `other`: the wall time of trainingStep that no
 * phase covers (answer extraction and rewards, coefficients, sequence packing). Rebuilding the
 * generate session after each optimizer step counts in `generate`, as in the trainer's metrics.
 * Warm-up steps (the first builds every session) are run and left out of the means. It also counts
 * the tokens the train and score graphs ran per step (padding included, a shared prompt once per
 * micro-batch), which train.shared_prompt changes: `--set train.shared_prompt=false` gives the other side.
 */
import { qScheduleOf, type Config } from '../config/schema.js';
import { DataOrder } from '../experiment/data-order.js';
import { trainingStep } from '../experiment/step.js';
import { RandomStreams } from '../experiment/streams.js';
import { PHASES, type PhaseName } from '../experiment/timer.js';
import { createStepContext, loadRunInputs, trainItems } from '../experiment/run-inputs.js';

export const STEP_PARTS = [...PHASES, 'other'] as const;
export type StepPart = (typeof STEP_PARTS)[number];

export interface StepBench {
  config: string;
  algorithm: string;
  /** The config's q (a number or a schedule); null for algorithms without one. */
  q: unknown;
  warmup: number;
  steps: number;
  /** Mean seconds per measured step, by part; the parts add up to `step_s`. */
  seconds: Record<StepPart, number>;
  share: Record<StepPart, number>;
  /** Mean wall seconds of trainingStep. */
  step_s: number;
  generated_tokens: number;
  trained_tokens: number;
  /** Tokens the train and score graphs ran per step, padding and prompts included (StepResult.graphTokens). */
  train_graph_tokens: number;
  score_graph_tokens: number;
  /** Generated tokens over generate seconds; null when nothing was generated (SFT). */
  generated_tokens_per_s: number | null;
  /** Trained (rationale and answer) tokens over train seconds. */
  trained_tokens_per_s: number | null;
}

export async function benchStep(config: Config, opts: { steps: number; warmup: number }): Promise<StepBench> {
  if (!(Number.isInteger(opts.steps) && opts.steps >= 1 && Number.isInteger(opts.warmup) && opts.warmup >= 0)) {
    throw new Error(
      `--only step needs --steps >= 1 and --warmup >= 0 (whole numbers), got ${opts.steps} and ${opts.warmup}`,
    );
  }
  const inputs = await loadRunInputs(config);
  const streams = RandomStreams.fromSeed(config.seed);
  const { count, item } = trainItems(config, inputs);
  const order = DataOrder.start(count, streams.data);
  const ctx = createStepContext(config, inputs, inputs.start.weights, streams);
  const total: Record<StepPart, number> = { generate: 0, score: 0, train: 0, optimizer: 0, other: 0 };
  let wall = 0,
    generated = 0,
    trained = 0,
    trainGraph = 0,
    scoreGraph = 0;
  try {
    for (let step = 1; step <= opts.warmup + opts.steps; step++) {
      const items = order.next(config.train.questions_per_step).map(item);
      const t0 = performance.now();
      const r = await trainingStep(ctx, step, items);
      const s = (performance.now() - t0) / 1000;
      if (step <= opts.warmup) continue;
      const m = r.metrics;
      const phases: Record<PhaseName, number> = {
        generate: m.t_generate ?? 0,
        score: m.t_score ?? 0,
        train: m.t_train ?? 0,
        optimizer: m.t_optimizer ?? 0,
      };
      for (const p of PHASES) total[p] += phases[p];
      total.other += s - PHASES.reduce((a, p) => a + phases[p], 0);
      wall += s;
      generated += r.generatedTokens;
      trained += r.trainedTokens ?? 0;
      trainGraph += r.graphTokens.train;
      scoreGraph += r.graphTokens.score;
    }
  } finally {
    await ctx.policy.release();
    await ctx.kl?.reference.release();
  }
  const n = opts.steps;
  const a = config.algorithm;
  const seconds = Object.fromEntries(STEP_PARTS.map((p) => [p, total[p] / n])) as Record<StepPart, number>;
  return {
    config: config.name,
    algorithm: a.name,
    q: qScheduleOf(config) ?? null,
    warmup: opts.warmup,
    steps: n,
    seconds,
    share: Object.fromEntries(STEP_PARTS.map((p) => [p, total[p] / wall])) as Record<StepPart, number>,
    step_s: wall / n,
    generated_tokens: generated / n,
    trained_tokens: trained / n,
    train_graph_tokens: trainGraph / n,
    score_graph_tokens: scoreGraph / n,
    generated_tokens_per_s: total.generate > 0 && generated > 0 ? generated / total.generate : null,
    trained_tokens_per_s: total.train > 0 ? trained / total.train : null,
  };
}

/** The result as a readable table. */
export function stepTable(b: StepBench): string {
  const rate = (x: number | null) => (x === null ? '-' : x.toFixed(0));
  const q = b.q === null ? '' : `, q ${JSON.stringify(b.q)}`;
  return [
    `${b.config} (${b.algorithm}${q}): mean of ${b.steps} step${b.steps === 1 ? '' : 's'} after ${b.warmup} warm-up`,
    'part        s/step   share',
    ...STEP_PARTS.map(
      (p) => `${p.padEnd(10)} ${b.seconds[p].toFixed(3).padStart(7)} ${(100 * b.share[p]).toFixed(1).padStart(6)}%`,
    ),
    `${'step'.padEnd(10)} ${b.step_s.toFixed(3).padStart(7)}`,
    `generated ${b.generated_tokens.toFixed(0)} tokens/step, ${rate(b.generated_tokens_per_s)}/s of generate; trained ${b.trained_tokens.toFixed(0)} tokens/step, ${rate(b.trained_tokens_per_s)}/s of train`,
    `graphs ran ${b.train_graph_tokens.toFixed(0)} train and ${b.score_graph_tokens.toFixed(0)} score tokens/step (padding and prompts included)`,
  ].join('\n');
}

/** The result as one flat JSON object (like the other bench lines): seconds to 0.1 ms, shares to 0.1 %, rates to a token. */
export function stepRecord(b: StepBench): Record<string, unknown> {
  const r = (x: number, digits: number) => Number(x.toFixed(digits));
  return {
    config: b.config,
    algorithm: b.algorithm,
    q: b.q,
    warmup: b.warmup,
    steps: b.steps,
    ...Object.fromEntries(STEP_PARTS.map((p) => [`${p}_s`, r(b.seconds[p], 4)])),
    ...Object.fromEntries(STEP_PARTS.map((p) => [`${p}_share`, r(b.share[p], 3)])),
    step_s: r(b.step_s, 4),
    generated_tokens: r(b.generated_tokens, 1),
    trained_tokens: r(b.trained_tokens, 1),
    train_graph_tokens: r(b.train_graph_tokens, 1),
    score_graph_tokens: r(b.score_graph_tokens, 1),
    generated_tokens_per_s: b.generated_tokens_per_s === null ? null : Math.round(b.generated_tokens_per_s),
    trained_tokens_per_s: b.trained_tokens_per_s === null ? null : Math.round(b.trained_tokens_per_s),
  };
}
