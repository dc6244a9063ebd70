/**
 * Sampling-based evaluation of a policy on a set of records: k samples per question (16 in the
 * study), answers extracted from each, then p@1, p@k and m@k with the study's relaxed match and
 * majority vote over normalised answers (sampling-metrics.ts documents both, and the abstaining m@k
 * beside it), and the task's official metrics (EM/F1, FinQA execution accuracy) of the voted answer
 * (src/tasks/score.ts; "no answer" scores as an empty prediction). summary.ts turns a result into
 * eval/<split>.json.
 */
import type { Config } from '../../config/schema.js';
import type { Tokenizer } from '../../model/tokenizer.js';
import type { PredictionRecord } from '../../run-dir/json.js';
import { generate } from '../../runtime/generate.js';
import type { Policy } from '../../runtime/policy.js';
import type { GenerateOptions } from '../../runtime/rollout.js';
import { stopTokensFor } from '../../runtime/stop-tokens.js';
import type { Prediction } from '../../tasks/predictions.js';
import { goldAnswers, type TaskRecord } from '../../tasks/record.js';
import { scoreCompletions } from '../../tasks/reward-choice.js';
import { scorePredictions, type Scores } from '../../tasks/score.js';
import { Rng } from '../../util/rng.js';
import { promptIds } from '../prompting.js';
import { evalSeed } from '../streams.js';
import type { TaskContext } from '../task-data.js';
import { samplingMetrics, type QuestionSamples, type SamplingMetrics } from './sampling-metrics.js';

export interface EvalSettings {
  /** Samples per question (k). */
  samples: number;
  temperature: number;
  topP: number;
  topK: number;
  maxNewTokens: number;
  thinkingBudget?: number;
  answerBudget?: number;
  seed: number;
  /** Most sequences (questions x samples) per generate call; default 256. */
  sequencesPerCall?: number;
}

/** The evaluation settings of a config (budgets of the training rollouts, sampling of the eval section). */
export function evalSettingsOf(config: Config, samples = config.eval.samples): EvalSettings {
  return {
    samples,
    temperature: config.eval.temperature,
    topP: config.eval.top_p,
    topK: config.eval.top_k,
    maxNewTokens: config.rollout.max_new_tokens,
    thinkingBudget: config.rollout.thinking_budget,
    answerBudget: config.rollout.answer_budget,
    seed: evalSeed(config.seed),
  };
}

export interface EvalResult {
  metrics: SamplingMetrics;
  records: PredictionRecord[];
  official: Scores;
  wall_s: number;
  generatedTokens: number;
}

/** Told the questions done so far (0 first, then after each generation batch) and the total. */
export type EvalProgressCallback = (done: number, total: number) => void;

/** k extracted answers for every record, in record order, with the completions they were extracted from. */
export async function sampleAnswers(
  policy: Policy,
  tokenizer: Tokenizer,
  task: TaskContext,
  records: readonly TaskRecord[],
  s: EvalSettings,
  signal?: AbortSignal,
  onProgress?: EvalProgressCallback,
): Promise<{ questions: QuestionSamples[]; generatedTokens: number }> {
  const stop = stopTokensFor(tokenizer);
  const perCall = Math.max(1, Math.floor((s.sequencesPerCall ?? 256) / s.samples));
  const rng = new Rng(s.seed);
  const questions: QuestionSamples[] = [];
  let generatedTokens = 0;
  onProgress?.(0, records.length);
  for (let start = 0; start < records.length; start += perCall) {
    signal?.throwIfAborted();
    const chunk = records.slice(start, start + perCall);
    const o: GenerateOptions = {
      temperature: s.temperature,
      topP: s.topP,
      topK: s.topK,
      samplesPerPrompt: s.samples,
      maxNewTokens: s.maxNewTokens,
      thinkingBudget: s.thinkingBudget,
      answerBudget: s.answerBudget,
      stop,
      seed: rng.nextUint32(),
    };
    const prompts = chunk.map((r) => promptIds(tokenizer, task.template, task.mode, r));
    const rollouts = await generate(policy, prompts, o, tokenizer.padTokenId);
    const groups = chunk.map((_, i) => rollouts.slice(i * s.samples, (i + 1) * s.samples));
    for (const ro of rollouts) generatedTokens += ro.tokens.length;
    const completions = groups.map((group) => group.map((ro) => tokenizer.decode(ro.tokens)));
    // A chosen reward decides correctness (reward > 0.5); scoring extracts the answers too
    // (a module is called once per sample).
    const judged = task.scoring.chosen
      ? await scoreCompletions(
          task.scoring,
          chunk.map((record) => ({ record, golds: goldAnswers(record) })),
          completions,
        )
      : null;
    chunk.forEach((r, i) => {
      const answers = judged ? judged.answers[i]! : completions[i]!.map((c) => task.scoring.extract(c));
      const correct = judged ? { correct: judged.rewards[i]!.map((x) => x > 0.5) } : {};
      questions.push({ id: r.id, golds: goldAnswers(r), answers, completions: completions[i]!, ...correct });
    });
    onProgress?.(questions.length, records.length);
  }
  return { questions, generatedTokens };
}

/**
 * Samples, scores and aggregates `records`; an abort of `signal` stops it between generation batches
 * by throwing the signal's reason. `onProgress` follows the questions sampled.
 */
export async function evaluateRecords(
  policy: Policy,
  tokenizer: Tokenizer,
  task: TaskContext,
  records: readonly TaskRecord[],
  s: EvalSettings,
  signal?: AbortSignal,
  onProgress?: EvalProgressCallback,
): Promise<EvalResult> {
  const t0 = performance.now();
  const { questions, generatedTokens } = await sampleAnswers(policy, tokenizer, task, records, s, signal, onProgress);
  const { metrics, records: predictions } = samplingMetrics(task.task, questions);
  const voted: Prediction[] = predictions.map((p) => ({
    id: p.id,
    answer: p.vote ?? '',
    program: null,
    where: `vote of ${p.id}`,
  }));
  const official = scorePredictions(task.task, records, voted);
  return { metrics, records: predictions, official, wall_s: (performance.now() - t0) / 1000, generatedTokens };
}
