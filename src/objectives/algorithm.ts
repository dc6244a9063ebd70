/**
 * The algorithms, one row each in ALGORITHMS: every fact the rest of the program needs about an
 * algorithm, next to the function that turns one group's signal into its coefficients. The config
 * schema, the trainer, the step, the run layout and the report read these facts from here and from
 * nowhere else; adding an algorithm is its objective file, its options and row here, its config
 * section (src/config/schema.ts, which the compiler holds to the row), and their tests.
 *
 * A row (AlgorithmDescriptor):
 *   label         its name in tables and figures ("GARL"; the report adds " q=0.75" where hasQ)
 *   signal        what the step measures for each rollout:
 *                   'reward'                 the task's scalar reward (exact match unless chosen otherwise)
 *                   'answer-log-likelihood'  log w_m = log p(y* | x*, z_m), by teacher forcing
 *                   'none'                   nothing: there are no rollouts (SFT on given targets)
 *   sequences     what the training graph is run on (src/experiment/sequences.ts):
 *                   'completion'      prompt ++ the rollout as generated, with its sampling log-probs
 *                   'teacher-forced'  prompt ++ the rollout's rationale z_m ++ close ++ y*
 *                   'target'          prompt ++ a given target
 *   aggregation   the default loss aggregation (coefficients.ts); a config section with an
 *                 `aggregation` field may choose another
 *   hasQ          the options carry a Tsallis q, a constant or a schedule (schedule.ts) read at the
 *                 steps done before each step; the run name, summary.json and the report show it
 *   clips         PPO ratio clipping against the sampling log-probs applies in the training graph:
 *                 the config section has eps_low and eps_high, and train.updates_per_batch may exceed 1
 *   allowsKl      a k3 KL term to the frozen starting model may be added (the section's kl_beta)
 *   minM          the fewest rollouts per question (rollout.m) the estimator is defined for, and
 *   minMReason    why, in the words of the config's message (null where minM is 1)
 *   coefficients  (options, one group's signal, { step, rng }) -> the group's coefficients and diagnostics
 *
 * The types keep the rows whole and consistent: a missing algorithm, an extra one or a missing field
 * does not compile; hasQ is true exactly where the options type has a `q`; signal 'none' goes with
 * sequences 'target' and with nothing else; only 'completion' sequences (the only ones with sampling
 * log-probs) may clip. src/config/schema.ts checks, also at compile time, that its sections carry q,
 * eps_low / eps_high and kl_beta exactly where hasQ, clips and allowsKl say.
 *
 * The row order is the order of the config's list of names and of the report's rows.
 */
import type { Rng } from '../util/rng.js';
import type { Aggregation, GroupCoefficients } from './coefficients.js';
import { garl, type GarlOptions } from './garl.js';
import { grpo, type GrpoOptions } from './grpo.js';
import { paft, type PaftOptions } from './paft.js';
import { rloo } from './rloo.js';
import { qAt, type QSchedule } from './schedule.js';
import { sft } from './sft.js';

/** Each algorithm's options in this module's types (the config's sections map onto them: algorithmOf in src/config/schema.ts). */
export interface AlgorithmOptions {
  grpo: GrpoOptions;
  rloo: Record<never, never>;
  garl: Omit<GarlOptions, 'q'> & { q: QSchedule };
  paft: Omit<PaftOptions, 'q'> & { q: QSchedule };
  sft: Record<never, never>;
}

export type AlgorithmName = keyof AlgorithmOptions;

type Settings = { [N in AlgorithmName]: { name: N } & AlgorithmOptions[N] };

/** An algorithm's settings: its name and its options (Algorithm<'garl'>: GARL's; Algorithm: any one). */
export type Algorithm<N extends AlgorithmName = AlgorithmName> = Settings[N];

/** What the caller must measure for each rollout: a scalar reward, or log p(y* | x*, z_m), or nothing. */
export type Signal = 'reward' | 'answer-log-likelihood' | 'none';

/** What the training graph runs on: the rollout as generated, its rationale with y* teacher-forced, or a given target. */
export type SequenceShape = 'completion' | 'teacher-forced' | 'target';

/** One group's measurements: `rewards` for GRPO/RLOO, `logAnswerLikelihoods` for GARL/PAFT, `weights` (one per target, usually 1) for SFT. */
export interface GroupSignal {
  rewards?: readonly number[];
  logAnswerLikelihoods?: readonly number[];
  weights?: readonly number[];
}

export interface GroupDiagnostics {
  /** q in effect at this step (GARL, PAFT). */
  q?: number;
  /** Mean reward of the group (GRPO, RLOO). */
  meanReward?: number;
  /** W = mean w_m (GARL, PAFT). */
  W?: number;
  /** log W, exact where W underflows (GARL, PAFT). */
  logW?: number;
  /** max_m c_m / M^q (GARL). */
  maxScaledC?: number;
  /** W = 0: no signal (GARL, PAFT). */
  degenerate?: boolean;
}

export interface ObjectiveResult extends GroupCoefficients {
  diagnostics: GroupDiagnostics;
}

/** `step`: where a q schedule is read, the steps done before this one (0 for the first step). `rng`: PAFT's draws. */
export interface CoefficientContext {
  step: number;
  rng: Rng;
}

/** The signal and sequence shapes that go together; only sequences with sampling log-probs may clip. */
type Shape =
  | { signal: 'reward' | 'answer-log-likelihood'; sequences: 'completion'; clips: boolean }
  | { signal: 'reward' | 'answer-log-likelihood'; sequences: 'teacher-forced'; clips: false }
  | { signal: 'none'; sequences: 'target'; clips: false };

interface Row<N extends AlgorithmName> {
  label: string;
  aggregation: Aggregation;
  hasQ: AlgorithmOptions[N] extends { q: QSchedule } ? true : false;
  allowsKl: boolean;
  minM: number;
  minMReason: string | null;
  coefficients(algorithm: Algorithm<N>, signal: GroupSignal, context: CoefficientContext): ObjectiveResult;
}

/** The row of algorithm N (AlgorithmDescriptor: the row of any one). */
export type AlgorithmDescriptor<N extends AlgorithmName = AlgorithmName> = N extends AlgorithmName
  ? Shape & Row<N>
  : never;

export const ALGORITHMS = {
  grpo: {
    label: 'GRPO',
    signal: 'reward',
    sequences: 'completion',
    aggregation: 'token-mean',
    hasQ: false,
    clips: true,
    allowsKl: true,
    minM: 2,
    minMReason: 'a group of one has no advantage',
    coefficients: (a, s) => {
      const g = grpo(need(s.rewards, 'grpo', 'rewards'), a);
      return { sequences: g.sequences, diagnostics: { meanReward: g.meanReward } };
    },
  },
  rloo: {
    label: 'RLOO',
    signal: 'reward',
    sequences: 'completion',
    aggregation: 'seq-sum',
    hasQ: false,
    clips: false,
    allowsKl: false,
    minM: 2,
    minMReason: 'a group of one has no advantage',
    coefficients: (_a, s) => {
      const rewards = need(s.rewards, 'rloo', 'rewards');
      return { sequences: rloo(rewards).sequences, diagnostics: { meanReward: mean(rewards) } };
    },
  },
  garl: {
    label: 'GARL',
    signal: 'answer-log-likelihood',
    sequences: 'teacher-forced',
    aggregation: 'group-mean',
    hasQ: true,
    clips: false,
    allowsKl: false,
    minM: 1,
    minMReason: null,
    coefficients: (a, s, context) => {
      const q = qAt(a.q, context.step);
      const g = garl(need(s.logAnswerLikelihoods, 'garl', 'logAnswerLikelihoods'), {
        q,
        baseline: a.baseline,
        scaleByMq: a.scaleByMq,
      });
      return {
        sequences: g.sequences,
        diagnostics: { q, W: g.W, logW: g.logW, maxScaledC: g.maxScaledC, degenerate: g.degenerate },
      };
    },
  },
  paft: {
    label: 'PAFT',
    signal: 'answer-log-likelihood',
    sequences: 'teacher-forced',
    aggregation: 'group-mean',
    hasQ: true,
    clips: false,
    allowsKl: false,
    minM: 1,
    minMReason: null,
    coefficients: (a, s, context) => {
      const q = qAt(a.q, context.step);
      const g = paft(
        need(s.logAnswerLikelihoods, 'paft', 'logAnswerLikelihoods'),
        { q, k: a.k, scaleByMq: a.scaleByMq },
        context.rng,
      );
      return { sequences: g.sequences, diagnostics: { q, W: g.W, logW: g.logW, degenerate: g.degenerate } };
    },
  },
  sft: {
    label: 'SFT',
    signal: 'none',
    sequences: 'target',
    aggregation: 'token-mean',
    hasQ: false,
    clips: false,
    allowsKl: false,
    minM: 1,
    minMReason: null,
    coefficients: (_a, s) => ({ sequences: sft(need(s.weights, 'sft', 'weights')).sequences, diagnostics: {} }),
  },
} as const satisfies { [N in AlgorithmName]: AlgorithmDescriptor<N> };

/** The algorithms' names, in the table's order. */
export const ALGORITHM_NAMES = Object.keys(ALGORITHMS) as readonly AlgorithmName[];

type CoefficientFunctions = {
  [N in AlgorithmName]: {
    coefficients(algorithm: Settings[N], signal: GroupSignal, context: CoefficientContext): ObjectiveResult;
  };
};

/** One entry point for the trainer: an algorithm's settings plus one group's signal -> that group's coefficients and diagnostics. */
export function groupCoefficients<N extends AlgorithmName>(
  algorithm: Algorithm<N>,
  signal: GroupSignal,
  context: CoefficientContext,
): ObjectiveResult {
  const rows: CoefficientFunctions = ALGORITHMS;
  // `as N`: the compiler does not see that the name of an Algorithm<N> is an N.
  return rows[algorithm.name as N].coefficients(algorithm, signal, context);
}

function need<T>(value: T | undefined, who: string, field: string): T {
  if (value === undefined) throw new RangeError(`${who}: the group signal needs \`${field}\``);
  return value;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
