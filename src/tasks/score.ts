/**
 * Scoring a predictions file against gold records, the way the official scripts do (a JSONL task: SQuAD EM/F1). Every gold record counts
 * (MuSiQue: every answerable one); a missing prediction scores 0 and is counted in `missing`; predictions for
 * ids that are not in the gold file are ignored and counted in `extra`. All rates are fractions in [0, 1].
 */
import { UserError } from '../errors.js';
import { executeProgram, pyRound } from './finqa-program.js';
import { numericMatch, parseFreeformNumber } from './finqa-numeric.js';
import { hotpotExactMatch, hotpotF1, musiqueScores } from './qa-metrics.js';
import type { Prediction } from './predictions.js';
import { goldAnswers, type AnswerTask, type FinqaRecord, type TaskRecord } from './record.js';
import { exactMatchReward, relaxedMatch } from './rewards.js';

export interface Scores {
  task: AnswerTask;
  /** Gold records scored. */
  n: number;
  /** Gold records with no prediction (scored 0). */
  missing: number;
  /** Predictions whose id is not in the gold file (ignored). */
  extra: number;
  /** Official exact match (HotPotQA, MuSiQue); FinQA: normalised exact match with the answer string (null for programs). */
  em: number | null;
  /** Official F1 (HotPotQA, MuSiQue); null for FinQA. */
  f1: number | null;
  /** The study's relaxed match (gold is a substring of the normalised prediction); null when there are no text answers. */
  relaxed: number | null;
  /** FinQA: official execution accuracy (programs executed; free-form numbers rounded to 5 decimals), exact equality with exe_ans. */
  exe_acc?: number;
  /** FinQA: the documented numeric tolerance match (finqa-numeric.ts). */
  numeric_acc?: number;
  /** MuSiQue: unanswerable gold records left out, as the official script does. */
  unanswerable?: number;
}

function byId(predictions: readonly Prediction[]): Map<string, Prediction> {
  const m = new Map<string, Prediction>();
  for (const p of predictions) {
    const prev = m.get(p.id);
    if (prev) throw new UserError(`${p.where}: duplicate id "${p.id}" (first at ${prev.where})`);
    m.set(p.id, p);
  }
  return m;
}

/** The value a FinQA prediction evaluates to: its program's result, or its free-form number rounded to 5 decimals. */
export function finqaValue(p: Prediction, table: readonly (readonly string[])[]): number | 'yes' | 'no' | null {
  if (p.program) {
    const r = executeProgram(p.program, table);
    return r.ok ? r.value : null;
  }
  const n = parseFreeformNumber(p.answer ?? '');
  if (n === null) return null;
  return typeof n === 'string' ? n : pyRound(n.value, 5);
}

/** Score predictions against gold records of one task. */
export function scorePredictions(
  task: AnswerTask,
  gold: readonly TaskRecord[],
  predictions: readonly Prediction[],
): Scores {
  const preds = byId(predictions);
  const goldIds = new Set(gold.map((g) => g.id));
  const extra = predictions.filter((p) => !goldIds.has(p.id)).length;
  let n = 0,
    missing = 0,
    unanswerable = 0,
    texts = 0;
  let em = 0,
    f1 = 0,
    relaxed = 0,
    exe = 0,
    numeric = 0;
  for (const g of gold) {
    if (g.task === 'musique' && !g.meta.answerable) {
      unanswerable++;
      continue;
    }
    n++;
    const p = preds.get(g.id);
    if (!p) missing++;
    const text = p?.answer ?? null;
    if (text !== null) texts++;
    const answer = text ?? '';
    if (relaxedMatch(task, answer, goldAnswers(g))) relaxed++;
    if (g.task === 'hotpotqa') {
      em += hotpotExactMatch(answer, g.answer);
      f1 += hotpotF1(answer, g.answer);
    } else if (g.task === 'musique' || g.task === 'jsonl') {
      // A JSONL task: SQuAD EM and F1, best over the answer and its aliases (MuSiQue's rule).
      const s = musiqueScores(answer, goldAnswers(g));
      em += s.em;
      f1 += s.f1;
    } else {
      const fg = g as FinqaRecord;
      em += exactMatchReward(task, answer, goldAnswers(fg));
      const goldValue = fg.meta.exeAns;
      const v = p ? finqaValue(p, fg.meta.table) : null;
      if (v !== null && goldValue !== null && v === goldValue) exe++;
      const asText = p?.program ? (v === null ? '' : String(v)) : answer;
      if (numericMatch(asText, goldValue ?? fallbackGold(fg))) numeric++;
    }
  }
  const rate = (x: number) => (n === 0 ? 0 : x / n);
  const hasText = texts > 0 || missing === n;
  const out: Scores = { task, n, missing, extra, em: null, f1: null, relaxed: hasText ? rate(relaxed) : null };
  if (task === 'finqa') {
    out.em = hasText ? rate(em) : null;
    out.exe_acc = rate(exe);
    out.numeric_acc = rate(numeric);
  } else {
    out.em = rate(em);
    out.f1 = rate(f1);
  }
  if (task === 'musique') out.unanswerable = unanswerable;
  return out;
}

/** A gold value for FinQA records without exe_ans (some mirrors): the answer string's number. */
function fallbackGold(g: FinqaRecord): number | string | null {
  const n = parseFreeformNumber(g.answer);
  if (n === null) return null;
  return typeof n === 'string' ? n : n.value;
}
