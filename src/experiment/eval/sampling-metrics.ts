/**
 * The study's sampling-based metrics, from k extracted answers per question (k = 16 in the study):
 *
 *   p@1  mean over questions of the share of its k samples that are correct
 *        (the expected accuracy of one sample);
 *   p@k  share of questions with at least one correct sample;
 *   m@k  share of questions whose majority-voted answer is correct.
 *
 * "Correct" is the study's relaxed match (src/tasks/rewards.ts relaxedMatch): a normalised gold
 * answer or alias is a substring of the normalised prediction; an empty prediction is never correct.
 * A task with a chosen reward (task.reward) gives each sample's correctness instead (reward > 0.5,
 * src/tasks/reward-choice.ts); the vote is then correct when its first sample is.
 *
 * Voting (src/tasks/vote.ts majorityVote) is over normalised answers (src/tasks/normalize.ts: the
 * official SQuAD normalisation for HotPotQA/MuSiQue; for FinQA lower-case, no "$" or thousands
 * commas, "14.1 %" -> "14.1%", no trailing full stop), so "The Beatles" and "beatles" are one vote.
 * Decisions:
 *   - every one of the k samples votes. An empty answer (nothing could be extracted, or nothing is
 *     left after normalisation) votes for "no answer", a candidate that is never correct: 15 empty
 *     samples and 1 saying "paris" vote "no answer", and m@k counts the question as wrong. The paper
 *     says only "majority vote over the 16 extracted answers", so counting every sample, an
 *     unparsable one as a wrong vote, is the reading that matches it; it also keeps m@k from
 *     crediting a model that almost never answers (cold start) with its one lucky answer.
 *   - mk_abstain keeps the earlier rule for comparison: empty answers do not vote (15 empty + 1
 *     "paris" votes "paris"); a question whose answers are all empty has no vote and is wrong.
 *   - ties go to the candidate whose first sample comes earliest in sampling order ("no answer"
 *     included, by its first empty sample); sampling order is fixed by the seed, so the result is
 *     deterministic.
 *   - the voted answer is then checked with the same relaxed match as single samples.
 * All rates are reported in percent.
 */
import type { PredictionRecord } from '../../run-dir/json.js';
import type { AnswerTask } from '../../tasks/record.js';
import { relaxedMatch } from '../../tasks/rewards.js';
import { majorityVote } from '../../tasks/vote.js';

/** One question's samples: the extracted answers in sampling order, and its gold answer(s) (aliases included). */
export interface QuestionSamples {
  id: string;
  answers: readonly string[];
  golds: readonly string[];
  /** The decoded completion of each sample, the text its answer was extracted from; kept in the record when given. */
  completions?: readonly string[];
  /** Each sample's correctness when the task's reward decides it; absent: the relaxed match. */
  correct?: readonly boolean[];
}

/** The metrics over a set of questions, in percent. */
export interface SamplingMetrics {
  /** Questions. */
  n: number;
  /** Samples per question. */
  k: number;
  p1: number;
  /** p@k (p@16 in the study). */
  pk: number;
  /** m@k (m@16 in the study): every sample votes, an empty answer for "no answer". */
  mk: number;
  /** m@k with empty answers abstaining, for comparison. */
  mk_abstain: number;
}

/** A scored question: a PredictionRecord that always carries the abstaining vote. */
export type ScoredQuestion = PredictionRecord &
  Required<Pick<PredictionRecord, 'vote_abstain' | 'vote_abstain_correct'>>;

/** Scores one question: the line of the predictions file. */
export function scoreQuestion(task: AnswerTask, q: QuestionSamples): ScoredQuestion {
  if (q.answers.length === 0) throw new RangeError(`sampling metrics: question ${q.id} has no samples`);
  if (q.correct && q.correct.length !== q.answers.length)
    throw new RangeError(
      `sampling metrics: question ${q.id} has ${q.answers.length} answers but ${q.correct.length} correctness flags`,
    );
  const correct = q.correct ? [...q.correct] : q.answers.map((a) => relaxedMatch(task, a, q.golds));
  const vote = majorityVote(task, q.answers);
  const abstain = majorityVote(task, q.answers, { abstain: true });
  // A voted answer is the raw text of its first sample, so with given flags it is judged as that sample was.
  const isCorrect = (answer: string | null) =>
    answer !== null && (q.correct ? correct[q.answers.indexOf(answer)]! : relaxedMatch(task, answer, q.golds));
  return {
    id: q.id,
    gold: [...q.golds],
    answers: [...q.answers],
    correct,
    vote: vote.answer,
    vote_count: vote.count,
    vote_correct: isCorrect(vote.answer),
    vote_abstain: abstain.answer,
    vote_abstain_correct: isCorrect(abstain.answer),
    ...(q.completions ? { completions: [...q.completions] } : {}),
  };
}

/** Aggregates scored questions (all with the same number of samples) into p@1, p@k and m@k. */
export function aggregate(records: readonly ScoredQuestion[]): SamplingMetrics {
  if (records.length === 0) throw new RangeError('sampling metrics: no questions');
  const k = records[0]!.correct.length;
  let p1 = 0,
    pk = 0,
    mk = 0,
    mkAbstain = 0;
  for (const r of records) {
    if (r.correct.length !== k)
      throw new RangeError(`sampling metrics: question ${r.id} has ${r.correct.length} samples, the others ${k}`);
    let hits = 0;
    for (const c of r.correct) if (c) hits++;
    p1 += hits / k;
    if (hits > 0) pk++;
    if (r.vote_correct) mk++;
    if (r.vote_abstain_correct) mkAbstain++;
  }
  const n = records.length;
  return { n, k, p1: (100 * p1) / n, pk: (100 * pk) / n, mk: (100 * mk) / n, mk_abstain: (100 * mkAbstain) / n };
}

/** p@1, p@k and m@k (both votes) of a set of questions, with the per-question records for the predictions file. */
export function samplingMetrics(
  task: AnswerTask,
  questions: readonly QuestionSamples[],
): { metrics: SamplingMetrics; records: ScoredQuestion[] } {
  const records = questions.map((q) => scoreQuestion(task, q));
  return { metrics: aggregate(records), records };
}
