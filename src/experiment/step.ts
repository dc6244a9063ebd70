/**
 * One training step: a batch of questions -> M rollouts each -> the signal the algorithm needs
 * (exact-match rewards, or answer log-likelihoods log w_m) -> group coefficients -> one aggregated
 * rationale and answer coefficient per training sequence (and, with the KL term, beta over each
 * sequence's aggregation divisor) -> gradients accumulated over micro-batches -> grad-norm
 * clipping -> one optimizer step. What the step measures, which sequences it trains on, and whether
 * the PPO clip and the KL term apply, it reads from the algorithm's row (src/objectives/algorithm.ts):
 * signal, sequences ('completion', 'teacher-forced', or 'target': SFT skips generation, its sequences
 * are prompt ++ target), clips and allowsKl.
 *
 * With `updatesPerBatch` K > 1 (GRPO only: the config refuses it where the row does not clip), the
 * step makes K optimizer steps over the same sequences and coefficients, each against the sampling-time
 * log-probs: from the second update on the ratio pi_theta / pi_old leaves 1 and the PPO clip acts
 * (TRL's num_iterations, verl's ppo_epochs, without mini-batches). All K use the step's lr: the
 * schedule advances per batch, while the optimizer's own step count (AdamW's bias correction)
 * counts every update.
 */
import type { Tokenizer } from '../model/tokenizer.js';
import {
  ALGORITHMS,
  groupCoefficients,
  type Algorithm,
  type GroupDiagnostics,
  type GroupSignal,
} from '../objectives/algorithm.js';
import { aggregate, type Aggregation } from '../objectives/coefficients.js';
import { generate, generateWithCache, generationCacheBytes, type GenerationCache } from '../runtime/generate.js';
import { clipGradients, type Optimizer } from '../runtime/optimizer.js';
import type { Policy } from '../runtime/policy.js';
import type { GenerateOptions, Rollout, StopTokens } from '../runtime/rollout.js';
import type { AnswerTask, TaskRecord } from '../tasks/record.js';
import { defaultScoring, scoreCompletions, type TaskScoring } from '../tasks/reward-choice.js';
import { accumulateGradients, type GradientResult } from './gradients.js';
import type { MetricsRow } from '../run-dir/csv.js';
import { answerLogLikelihoods, cachedAnswerLogLikelihoods } from './likelihood.js';
import {
  completionSequence,
  sequenceCoefficients,
  sequenceDivisors,
  sftSequence,
  teacherForcedSequence,
  type CoefficientGroup,
  type TrainingSequence,
} from './sequences.js';
import type { RandomStreams } from './streams.js';
import { PhaseTimer } from './timer.js';
import { quantiles, rolloutEntropy } from './stats.js';

/** One question of a step: its prompt ids and, for rollout algorithms, its gold answers; for SFT, the target ids. */
export interface StepItem {
  id: string;
  prompt: number[];
  /** Gold answer and aliases (the exact-match reward). */
  golds?: string[];
  /** The question's record (what a reward module reads). */
  record?: TaskRecord;
  /** y*: the gold answer ids teacher-forced after a rationale (GARL, PAFT). */
  answerIds?: number[];
  /** SFT: the assistant turn to learn. */
  target?: number[];
}

/** Sampling settings of training rollouts (everything of GenerateOptions but the seed and stop tokens). */
export type RolloutSettings = Omit<GenerateOptions, 'seed' | 'stop'>;

export interface StepContext {
  algorithm: Algorithm;
  aggregation: Aggregation;
  /** PPO ratio bounds [1 - eps_low, 1 + eps_high]; applied where the algorithm's row clips (GRPO), ignored elsewhere. */
  clip?: { low: number; high: number };
  /** k3 KL to a frozen reference, weight beta; applied where the algorithm's row allows it (GRPO with kl_beta > 0), ignored elsewhere. */
  kl?: { reference: Policy; beta: number };
  policy: Policy;
  optimizer: Optimizer;
  /** The learning rate of a step, given the steps done before it (0 for step 1; src/run-dir/step-numbering.ts). */
  lr: (done: number) => number;
  /** Clip the global gradient norm to this (0: off). */
  gradClip: number;
  tokenizer: Tokenizer;
  task: AnswerTask;
  /** Answer extraction and reward; absent: the study's (tags, exact match). */
  scoring?: TaskScoring;
  stop: StopTokens;
  rollout: RolloutSettings;
  microBatchTokens: number;
  streams: RandomStreams;
  /** The `above_eps` metric's threshold: the optimizer's eps (AdamW), 1e-8 otherwise. */
  eps: number;
  /** Optimizer steps over each batch (default 1). */
  updatesPerBatch?: number;
  /**
   * Run each prompt once per micro-batch in the train and score graphs (train.shared_prompt: the
   * shared-prefix graphs), where the model allows; absent or false: every sequence whole.
   */
  sharedPrompt?: boolean;
  /**
   * Score GARL's and PAFT's gold answers against the generation's KV cache (train.cached_scoring), where
   * the model allows; absent or false: a teacher-forced pass over every whole sequence.
   */
  cachedScoring?: boolean;
}

/** A step's rollouts, per question (prompt-major), with their extracted answers and rewards. */
export interface StepRollouts {
  rollouts: Rollout[][];
  /** The decoded completion of each rollout, which the answer was extracted from. */
  completions: string[][];
  answers: string[][];
  rewards: number[][];
  /** The generation's KV cache, kept for scoring answers against it (then dropped). */
  cache?: GenerationCache;
}

export interface StepResult {
  metrics: MetricsRow;
  diagnostics: GroupDiagnostics[];
  rollouts?: StepRollouts;
  /** log w_m of each question's rollouts (GARL, PAFT). */
  logW?: number[][];
  /** Whether the optimizer stepped (false when the loss or the gradient norm was not finite). */
  updated: boolean;
  /** Optimizer steps made over the batch: updatesPerBatch, fewer when one was skipped (the rest then are too). */
  updates: number;
  /**
   * Why the optimizer did not step: the quantity that was not finite; null when every update stepped.
   * With K > 1 the first update skipped names it; the ones before it stepped.
   */
  skipped: 'loss' | 'gradient norm' | null;
  /** Per update made or tried, the share of trained tokens the PPO clip held (GRPO; empty otherwise). */
  clipFractions: number[];
  /** The first parameter the update left with a NaN or infinite value; null when every weight is finite. */
  nonFiniteWeights: string | null;
  generatedTokens: number;
  /** Rationale and answer tokens trained on (the train graph also runs prompts and padding, not counted). */
  trainedTokens?: number;
  /** Tokens the score and train graphs ran in the step, padding and prompts included (PhaseTimer.tokens). */
  graphTokens: { score: number; train: number };
}

const orNull = (x: number): number | null => (Number.isNaN(x) ? null : x);
const mean = (xs: readonly number[]): number | null =>
  xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;

/** Generates M rollouts per item and scores their answers with the task's reward (the exact match unless chosen otherwise). */
export async function sampleRollouts(
  ctx: Pick<StepContext, 'policy' | 'rollout' | 'stop' | 'tokenizer' | 'task' | 'scoring' | 'streams'>,
  items: readonly StepItem[],
  timer: PhaseTimer,
  /** Keep the generation's KV cache in the result (answerWeights scores against it). */
  keepCache = false,
): Promise<StepRollouts> {
  const M = ctx.rollout.samplesPerPrompt;
  const seed = ctx.streams.sampling.nextUint32();
  const prompts = items.map((it) => it.prompt);
  const options = { ...ctx.rollout, stop: ctx.stop, seed };
  const { rollouts: flat, cache } = await timer.time('generate', async () =>
    keepCache
      ? generateWithCache(ctx.policy, prompts, options, ctx.tokenizer.padTokenId)
      : { rollouts: await generate(ctx.policy, prompts, options, ctx.tokenizer.padTokenId), cache: undefined },
  );
  const rollouts = items.map((_, g) => flat.slice(g * M, (g + 1) * M));
  const completions = rollouts.map((group) => group.map((r) => ctx.tokenizer.decode(r.tokens)));
  const { answers, rewards } = await scoreCompletions(ctx.scoring ?? defaultScoring(ctx.task), items, completions);
  return { rollouts, completions, answers, rewards, cache };
}

/** The most bytes of generated keys and values a step keeps past generation; beyond it answers are scored teacher-forced. */
export const CACHE_KEEP_MAX_BYTES = 2 ** 30;

/**
 * Whether sampling `questions` questions keeps the generation's KV cache to score answers against it
 * (train.cached_scoring): where the model allows, and where the cache stays within CACHE_KEEP_MAX_BYTES,
 * since returning it from the runtime holds a second copy for a moment.
 */
export function keepsCache(ctx: Pick<StepContext, 'cachedScoring' | 'policy' | 'rollout'>, questions: number): boolean {
  if (ctx.cachedScoring !== true || !ctx.policy.sharesPrefixes) return false;
  const rows = questions * ctx.rollout.samplesPerPrompt;
  return (
    generationCacheBytes(ctx.policy.config, rows, ctx.rollout.maxNewTokens, ctx.policy.dtype) <= CACHE_KEEP_MAX_BYTES
  );
}

/**
 * The training sequences and per-sequence coefficients of a step, from its rollouts (pure apart from
 * the answer-likelihood scoring and PAFT's draws): what the layout tests check.
 */
export async function stepCoefficients(
  ctx: StepContext,
  /** Steps done before this one (0 for step 1): where a q schedule is read. */
  done: number,
  items: readonly StepItem[],
  sampled: StepRollouts | undefined,
  timer: PhaseTimer,
): Promise<{ groups: CoefficientGroup[]; diagnostics: GroupDiagnostics[]; logW?: number[][] }> {
  const row = ALGORITHMS[ctx.algorithm.name];
  const context = { step: done, rng: ctx.streams.paft };
  if (row.signal === 'none') {
    // sequences 'target' (the row's type pairs them): one given target per item, weight 1.
    const groups = items.map((it) => {
      if (!it.target) throw new Error(`${ctx.algorithm.name}: item ${it.id} has no target`);
      const sequences = [sftSequence(it.prompt, it.target, ctx.stop.thinkEndId)];
      return { sequences, coefficients: groupCoefficients(ctx.algorithm, { weights: [1] }, context).sequences };
    });
    return { groups, diagnostics: groups.map(() => ({})) };
  }
  if (!sampled) throw new Error(`${ctx.algorithm.name}: a step needs rollouts`);
  // answer-log-likelihood: score every teacher-forced sequence first.
  const scored = row.signal === 'answer-log-likelihood' ? await answerWeights(ctx, items, sampled, timer) : undefined;
  const groups: CoefficientGroup[] = [];
  const diagnostics: GroupDiagnostics[] = [];
  items.forEach((it, g) => {
    const signal: GroupSignal = scored ? { logAnswerLikelihoods: scored.logW[g]! } : { rewards: sampled.rewards[g]! };
    const r = groupCoefficients(ctx.algorithm, signal, context);
    const sequences =
      row.sequences === 'teacher-forced'
        ? (scored?.sequences[g] ?? teacherForcedSequences(ctx, it, sampled.rollouts[g]!))
        : sampled.rollouts[g]!.map((ro) => completionSequence(it.prompt, ro, ctx.rollout.thinkingBudget, ctx.stop));
    groups.push({ sequences, coefficients: r.sequences });
    diagnostics.push(r.diagnostics);
  });
  return { groups, diagnostics, logW: scored?.logW };
}

/** An item's rollouts as teacher-forced sequences: each rollout's rationale, then y*. */
function teacherForcedSequences(
  ctx: Pick<StepContext, 'stop'>,
  item: StepItem,
  rollouts: readonly Rollout[],
): TrainingSequence[] {
  if (!item.answerIds) throw new Error(`item ${item.id} has no gold answer ids (GARL and PAFT need them)`);
  return rollouts.map((ro) => teacherForcedSequence(item.prompt, ro, item.answerIds!, ctx.stop));
}

/** Per question, the teacher-forced sequences (rollout's rationale, then y*) and their log w_m = log p(y* | x*, z_m). */
export async function answerWeights(
  ctx: Pick<StepContext, 'policy' | 'stop' | 'tokenizer' | 'microBatchTokens' | 'sharedPrompt'>,
  items: readonly StepItem[],
  sampled: StepRollouts,
  timer: PhaseTimer,
): Promise<{ sequences: TrainingSequence[][]; logW: number[][] }> {
  const sequences = items.map((it, g) => teacherForcedSequences(ctx, it, sampled.rollouts[g]!));
  const { cache } = sampled;
  sampled.cache = undefined; // one use; its memory goes with it
  const tokens = (n: number) => timer.count('score', n);
  const flat = await timer.time('score', async () => {
    const padId = ctx.tokenizer.padTokenId;
    const cached = cache && (await cachedAnswerLogLikelihoods(ctx.policy, cache, sequences.flat(), padId, { tokens }));
    return (
      cached ??
      answerLogLikelihoods(ctx.policy, sequences.flat(), padId, ctx.microBatchTokens, {
        sharedPrompt: ctx.sharedPrompt,
        tokens,
      })
    );
  });
  let at = 0;
  const logW = sequences.map((seqs) => {
    const slice = flat.slice(at, at + seqs.length);
    at += seqs.length;
    return slice;
  });
  return { sequences, logW };
}

/**
 * Runs one whole step and returns its metrics row. `step` is the step's number, from 1
 * (src/run-dir/step-numbering.ts): the schedules see the steps done before it, step - 1.
 */
export async function trainingStep(ctx: StepContext, step: number, items: readonly StepItem[]): Promise<StepResult> {
  if (!(Number.isInteger(step) && step >= 1)) throw new RangeError(`trainingStep: steps count from 1, got ${step}`);
  const done = step - 1;
  const timer = new PhaseTimer();
  const row = ALGORITHMS[ctx.algorithm.name];
  const keepCache = row.signal === 'answer-log-likelihood' && keepsCache(ctx, items.length);
  const sampled = row.signal === 'none' ? undefined : await sampleRollouts(ctx, items, timer, keepCache);
  const { groups, diagnostics, logW: rolloutLogW } = await stepCoefficients(ctx, done, items, sampled, timer);

  const sequences: TrainingSequence[] = groups.flatMap((g) => [...g.sequences]);
  const coefficients = sequenceCoefficients(groups, ctx.aggregation);
  const usesClip = ctx.clip !== undefined && row.clips;
  const kl =
    ctx.kl && ctx.kl.beta > 0 && row.allowsKl
      ? {
          reference: ctx.kl.reference,
          // beta on each weighted token, under the step's aggregation: beta / the sequence's divisor.
          coefficients: sequenceDivisors(
            groups.map((g) => g.sequences),
            ctx.aggregation,
          ).map((divisor) => aggregate(ctx.kl!.beta, divisor)),
        }
      : undefined;
  const job = { sequences, coefficients, clip: usesClip ? ctx.clip : undefined, kl, sharedPrompt: ctx.sharedPrompt };
  const lr = ctx.lr(done);
  const K = ctx.updatesPerBatch ?? 1;
  const clipFractions: number[] = [];
  let first: { g: GradientResult; norm: number; aboveEps: number } | undefined;
  let updates = 0;
  let skipped: StepResult['skipped'] = null;
  let nonFiniteWeights: string | null = null;
  // An update whose loss or gradient is not finite ends the step: the next would see the same weights.
  for (let k = 0; k < K && skipped === null && nonFiniteWeights === null; k++) {
    const g = await accumulateGradients(ctx.policy, job, ctx.tokenizer.padTokenId, ctx.microBatchTokens, timer);
    if (g.clipFraction !== null) clipFractions.push(g.clipFraction);
    let norm = 0,
      aboveEps = 0;
    await timer.time('optimizer', () => {
      ({ norm, aboveEps } = clipGradients(g.grads, ctx.gradClip, ctx.eps));
      // Skipped whole: neither the update nor the weight decay acts on a step with a non-finite loss or gradient.
      if (!Number.isFinite(g.loss)) skipped = 'loss';
      else if (!Number.isFinite(norm)) skipped = 'gradient norm';
      if (skipped) return;
      nonFiniteWeights = ctx.optimizer.step(g.grads, lr);
      ctx.policy.weightsChanged();
      updates++;
    });
    first ??= { g, norm, aboveEps };
  }
  // The row reports the first (on-policy) update's loss and gradient: what K = 1 reports.
  const { g, norm, aboveEps } = first!;
  const updated = updates > 0;

  const all = sampled?.rollouts.flat() ?? [];
  const generatedTokens = all.reduce((a, r) => a + r.tokens.length, 0);
  const ws = diagnostics.map((d) => d.W).filter((w): w is number => w !== undefined);
  const logWs = diagnostics.map((d) => d.logW).filter((w): w is number => w !== undefined);
  const logW = logWs.length ? quantiles(logWs) : null;
  const cs = diagnostics.map((d) => d.maxScaledC).filter((c): c is number => c !== undefined);
  const q = diagnostics.find((d) => d.q !== undefined)?.q ?? null;
  const metrics: MetricsRow = {
    step,
    q,
    mean_reward: sampled ? mean(sampled.rewards.flat()) : null,
    mean_W: ws.length ? mean(ws) : null,
    no_success_share: sampled ? mean(sampled.rewards.map((r) => (r.some((x) => x > 0) ? 0 : 1))) : null,
    max_scaled_c: cs.length ? Math.max(...cs) : null,
    loss: g.loss,
    grad_norm: norm,
    kl: g.kl,
    mean_rationale_tokens: sampled ? mean(all.map((r) => r.rationale[1] - r.rationale[0])) : null,
    tokens_per_s: sampled && timer.seconds.generate > 0 ? generatedTokens / timer.seconds.generate : null,
    t_generate: timer.seconds.generate,
    t_score: timer.seconds.score,
    t_train: timer.seconds.train,
    t_optimizer: timer.seconds.optimizer,
    lr,
    entropy: orNull(rolloutEntropy(all, ctx.stop.forceCloseIds.length)),
    log_W_p10: logW?.p10 ?? null,
    log_W_p50: logW?.p50 ?? null,
    log_W_p90: logW?.p90 ?? null,
    above_eps: updated ? aboveEps : null,
  };
  return {
    metrics,
    diagnostics,
    rollouts: sampled,
    logW: rolloutLogW,
    updated,
    updates,
    skipped,
    clipFractions,
    nonFiniteWeights,
    generatedTokens,
    trainedTokens: g.tokens,
    graphTokens: { ...timer.tokens },
  };
}
