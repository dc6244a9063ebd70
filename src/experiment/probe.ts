/**
 * How cold a start is, and which q can move, before a single training step (`tsallis-run probe`).
 *
 * Rollouts are sampled exactly as training samples them: the config's seed gives the same data
 * order and sampling stream, and the probe's first rounds are the run's first steps (questions_per_step
 * questions, M rollouts each) at the starting weights. Each of the `questions` questions gets
 * `rounds` x M rollouts, one round after another. Per rollout: the exact-match reward at the
 * training temperature, and log w = log p(y* | x*, z) (the gold answer teacher-forced after the
 * rationale). Per question: log W = log of the mean w over its rollouts (an estimate of log P) and
 * the best rollout's log w.
 *
 * `above_eps` (and `paft_above_eps`): GARL's (PAFT's) gradient on the step-1 batch (the first questions_per_step questions, their
 * first M rollouts) for each q, clipped as the trainer clips it, and the share of its coordinates
 * whose magnitude exceeds the optimizer's eps. Where that share is large AdamW's first step is
 * sign-like (about lr per coordinate) whatever q is; where it is near zero AdamW acts as SGD with
 * learning rate lr / eps and the P^-q scale of the theory decides how fast q moves.
 */
import { aggregationOf, algorithmOf, optimizerEps, optimizerOf, type Config } from '../config/schema.js';
import { ALGORITHMS, groupCoefficients, type Algorithm } from '../objectives/algorithm.js';
import { logMeanExp } from '../objectives/tsallis.js';
import { clipGradients } from '../runtime/optimizer.js';
import { Policy } from '../runtime/policy.js';
import type { Rollout } from '../runtime/rollout.js';
import { DataOrder } from './data-order.js';
import { accumulateGradients } from './gradients.js';
import { questionItem } from './items.js';
import { sequenceCoefficients, type CoefficientGroup, type TrainingSequence } from './sequences.js';
import {
  adamFirstStepNorm,
  sgdFirstStepNorm,
  binomialUpper95,
  quantiles,
  rolloutEntropy,
  type Quantiles,
} from './stats.js';
import { answerWeights, keepsCache, sampleRollouts } from './step.js';
import { RandomStreams } from './streams.js';
import { PhaseTimer } from './timer.js';
import { loadRunInputs, rolloutContext } from './run-inputs.js';

export type { Quantiles };

export const PROBE_QS = [0, 0.25, 0.5, 0.75, 1] as const;

export interface ProbeOptions {
  /** Rollouts wanted in all; rounded up to whole rounds of questions x M. */
  rollouts: number;
  /** Training questions probed (the run's first ones, in its data order). */
  questions: number;
  /** Progress lines (one per batch of questions). */
  onProgress?: (done: number, total: number) => void;
}

export interface ProbeResult {
  model: string;
  task: string;
  start: string;
  temperature: number;
  top_p: number;
  top_k: number;
  m: number;
  questions: number;
  rollouts: number;
  successes: number;
  success_rate: number;
  /** One-sided 95% upper bound of the success probability (exact binomial; 3 / n when there is none). */
  success_rate_upper95: number;
  /** Share of questions with at least one success among their rollouts. */
  questions_with_success: number;
  /** Per question, natural log of the mean w over its rollouts. */
  log_w: Quantiles;
  /** Per question, the largest log w of its rollouts. */
  best_log_w: Quantiles;
  /** Mean over generated tokens of -log p under the sampling distribution (an unbiased estimate of the per-token entropy, nats). */
  entropy: number;
  optimizer: { name: 'adamw' | 'sgd'; lr: number; eps: number; lr_over_eps: number | null; grad_clip: number };
  /** Per q: share of GARL's step-1 gradient coordinates with |g| > eps (after clipping), and the gradient norm before clipping. */
  above_eps: Record<string, number>;
  grad_norm: Record<string, number>;
  /** Per q: the norm of AdamW's first update from that (clipped) gradient (stats.ts adamFirstStepNorm; under SGD the eps above is a reference only). */
  adam_step_norm: Record<string, number>;
  /** The same for PAFT's step-1 gradient (the K draws of the run's step 1). */
  paft_above_eps: Record<string, number>;
  paft_grad_norm: Record<string, number>;
  paft_adam_step_norm: Record<string, number>;
  /** Per q: the norm of the configured optimizer's first update (AdamW: adam_step_norm; SGD: lr x the clipped |g|). */
  first_step_norm: Record<string, number>;
  paft_first_step_norm: Record<string, number>;
  wall_s: number;
}

export async function runProbe(config: Config, options: ProbeOptions): Promise<ProbeResult> {
  const t0 = performance.now();
  // The run's own loading: the same records, model and input-length checks as training.
  const { task, trainRecords: records, start: model } = await loadRunInputs(config);
  const tokenizer = model.tokenizer;
  const policy = new Policy(model.config, model.weights, {
    device: config.device,
    threads: config.threads || undefined,
  });
  const M = config.rollout.m;
  const perStep = config.train.questions_per_step;
  const Q = Math.min(options.questions, records.length);
  const rounds = Math.max(1, Math.ceil(options.rollouts / (Q * M)));
  const streams = RandomStreams.fromSeed(config.seed);
  const questions = DataOrder.start(records.length, streams.data)
    .next(Q)
    .map((i) => questionItem(tokenizer, task, records[i]!));
  const opt = optimizerOf(config);
  const eps = optimizerEps(config);
  const ctx = { policy, ...rolloutContext(config, tokenizer, task, streams) };

  const logW: number[][] = questions.map(() => []);
  const succeeded = new Set<number>();
  const sampledRollouts: Rollout[] = [];
  let successes = 0;
  let firstBatch: { sequences: TrainingSequence[][]; logW: number[][] } | null = null;
  const batches = rounds * Math.ceil(Q / perStep);
  let done = 0;
  try {
    for (let round = 0; round < rounds; round++) {
      for (let from = 0; from < Q; from += perStep) {
        const items = questions.slice(from, from + perStep);
        const timer = new PhaseTimer();
        const sampled = await sampleRollouts(ctx, items, timer, keepsCache(ctx, items.length));
        sampled.rewards.forEach((rs, g) => {
          const s = rs.reduce((a, b) => a + b, 0);
          successes += s;
          if (s > 0) succeeded.add(from + g);
        });
        sampledRollouts.push(...sampled.rollouts.flat());
        const w = await answerWeights(ctx, items, sampled, timer);
        w.logW.forEach((ws, g) => logW[from + g]!.push(...ws));
        firstBatch ??= w;
        options.onProgress?.(++done, batches);
      }
    }

    // The step-1 gradient of GARL and PAFT (the run's first step) at each q: the same sequences and weights, only the coefficients change.
    const shares = async (
      name: 'garl' | 'paft',
      q: number,
    ): Promise<{ share: number; norm: number; step: number; firstStep: number }> => {
      const own = config.algorithm.name === name ? algorithmOf(config) : undefined;
      const algorithm = (own ? { ...own, q } : { name, q }) as Algorithm;
      const paftRng = RandomStreams.fromSeed(config.seed).paft; // PAFT's draws of the run's step 1, at every q
      const groups: CoefficientGroup[] = firstBatch!.sequences.map((sequences, g) => ({
        sequences,
        coefficients: groupCoefficients(
          algorithm,
          { logAnswerLikelihoods: firstBatch!.logW[g]! },
          { step: 0, rng: paftRng } /* no steps done yet */,
        ).sequences,
      }));
      const coefficients = sequenceCoefficients(groups, own ? aggregationOf(config) : ALGORITHMS[name].aggregation);
      const grads = (
        await accumulateGradients(
          policy,
          { sequences: groups.flatMap((g) => g.sequences), coefficients, sharedPrompt: ctx.sharedPrompt },
          tokenizer.padTokenId,
          ctx.microBatchTokens,
          new PhaseTimer(),
        )
      ).grads;
      const { norm, aboveEps } = clipGradients(grads, config.optimizer.grad_clip, eps);
      const adamStep = adamFirstStepNorm(grads.values(), config.optimizer.lr, eps);
      const firstStep = opt.kind === 'sgd' ? sgdFirstStepNorm(grads.values(), config.optimizer.lr) : adamStep;
      return { share: aboveEps, norm, step: adamStep, firstStep };
    };
    const above: Record<string, number> = {},
      norms: Record<string, number> = {},
      steps: Record<string, number> = {};
    const paftAbove: Record<string, number> = {},
      paftNorms: Record<string, number> = {},
      paftSteps: Record<string, number> = {};
    const firstSteps: Record<string, number> = {},
      paftFirstSteps: Record<string, number> = {};
    for (const q of PROBE_QS) {
      const k = String(q);
      ({ share: above[k], norm: norms[k], step: steps[k], firstStep: firstSteps[k] } = await shares('garl', q));
      ({
        share: paftAbove[k],
        norm: paftNorms[k],
        step: paftSteps[k],
        firstStep: paftFirstSteps[k],
      } = await shares('paft', q));
    }

    const rollouts = rounds * Q * M;
    return {
      model: config.model.path,
      task: config.task.name,
      start: config.task.start,
      temperature: config.rollout.temperature,
      top_p: config.rollout.top_p,
      top_k: config.rollout.top_k,
      m: M,
      questions: Q,
      rollouts,
      successes,
      success_rate: successes / rollouts,
      success_rate_upper95: binomialUpper95(successes, rollouts),
      questions_with_success: succeeded.size / Q,
      log_w: quantiles(logW.map(logMeanExp)),
      best_log_w: quantiles(logW.map((ws) => Math.max(...ws))),
      entropy: rolloutEntropy(sampledRollouts, ctx.stop.forceCloseIds.length),
      optimizer: {
        name: opt.kind,
        lr: config.optimizer.lr,
        eps,
        lr_over_eps: opt.kind === 'adamw' ? config.optimizer.lr / eps : null,
        grad_clip: config.optimizer.grad_clip,
      },
      above_eps: above,
      grad_norm: norms,
      adam_step_norm: steps,
      paft_above_eps: paftAbove,
      paft_grad_norm: paftNorms,
      paft_adam_step_norm: paftSteps,
      first_step_norm: firstSteps,
      paft_first_step_norm: paftFirstSteps,
      wall_s: (performance.now() - t0) / 1000,
    };
  } finally {
    await policy.release();
  }
}
