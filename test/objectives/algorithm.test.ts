import { configJsonSchema } from '../../src/config/json-schema.js';
import { parseConfig } from '../../src/config/load.js';
import { configShapeSchema } from '../../src/config/schema.js';
import { aggregationOf, clipRangeOf, defaultRunName, klBetaOf, qScheduleOf } from '../../src/config/schema.js';
import { METHODS, runSummarySchema } from '../../src/run-dir/json.js';
import {
  ALGORITHM_NAMES,
  ALGORITHMS,
  groupCoefficients,
  type Algorithm,
  type AlgorithmName,
  type GroupSignal,
} from '../../src/objectives/algorithm.js';
import { garl } from '../../src/objectives/garl.js';
import { methodLabel } from '../../src/report/runs.js';
import { compareRuns } from '../../src/report/tables.js';
import { Rng } from '../../src/util/rng.js';

const logW = [0.8, 0.4, 0, 0.2].map(Math.log);

describe('groupCoefficients', () => {
  it('applies the q schedule at the given step (q = 1 for 100 steps, then 0)', () => {
    const alg = { name: 'garl' as const, q: [{ until: 100, q: 1 }, { q: 0 }] };
    const early = groupCoefficients(alg, { logAnswerLikelihoods: logW }, { step: 99, rng: new Rng(1) });
    const late = groupCoefficients(alg, { logAnswerLikelihoods: logW }, { step: 100, rng: new Rng(1) });
    expect(early.sequences).toEqual(garl(logW, { q: 1 }).sequences);
    expect(late.sequences).toEqual(garl(logW, { q: 0 }).sequences);
    expect(early.diagnostics).toEqual({
      q: 1,
      W: expect.closeTo(0.35, 15),
      logW: expect.closeTo(Math.log(0.35), 14),
      maxScaledC: expect.closeTo(9 / 28, 14),
      degenerate: false,
    });
    expect(late.diagnostics.maxScaledC).toBeCloseTo(0.6, 14);
  });

  it('passes GRPO options and the PAFT rng through', () => {
    const g = groupCoefficients(
      { name: 'grpo', scaleByStd: false },
      { rewards: [1, 0, 0, 0] },
      { step: 0, rng: new Rng(1) },
    );
    expect(g.sequences.map((s) => s.rationale)).toEqual([0.75, -0.25, -0.25, -0.25]);
    expect(g.diagnostics.meanReward).toBe(0.25);
    const a = groupCoefficients({ name: 'paft', q: 0.5 }, { logAnswerLikelihoods: logW }, { step: 0, rng: new Rng(4) });
    const b = groupCoefficients({ name: 'paft', q: 0.5 }, { logAnswerLikelihoods: logW }, { step: 0, rng: new Rng(4) });
    expect(a.sequences).toEqual(b.sequences);
    const total = a.sequences.reduce((s, x) => s + x.rationale, 0);
    expect(total).toBeCloseTo(Math.sqrt(0.35) / 2, 14); // K draws of weight W^0.5 / (2 K)
  });

  it('names the missing signal', () => {
    expect(() =>
      groupCoefficients({ name: 'rloo' }, { logAnswerLikelihoods: logW }, { step: 0, rng: new Rng(1) }),
    ).toThrow(/rloo: the group signal needs `rewards`/);
    expect(() => groupCoefficients({ name: 'garl', q: 0 }, { rewards: [1] }, { step: 0, rng: new Rng(1) })).toThrow(
      /`logAnswerLikelihoods`/,
    );
  });
});

/** One setting of each algorithm (a missing algorithm does not compile). */
const EXAMPLES: { [N in AlgorithmName]: Algorithm<N> } = {
  grpo: { name: 'grpo' },
  rloo: { name: 'rloo' },
  garl: { name: 'garl', q: 0.5 },
  paft: { name: 'paft', q: 0.5, k: 6 },
  sft: { name: 'sft' },
};

/** A group's measurement of each kind, with some spread (rewards split the group; the w_m differ). */
const SIGNALS = {
  reward: { rewards: [1, 0, 0, 1] },
  'answer-log-likelihood': { logAnswerLikelihoods: logW },
  none: { weights: [1, 0.5] },
} as const satisfies Record<string, GroupSignal>;

const coefficientsOf = (algorithm: Algorithm, signal: GroupSignal) =>
  groupCoefficients(algorithm, signal, { step: 0, rng: new Rng(3) }).sequences;

describe('the rows of ALGORITHMS', () => {
  it("hold the study's algorithms, in the report's order", () => {
    const facts = Object.fromEntries(
      ALGORITHM_NAMES.map((n) => {
        const { label, signal, sequences, aggregation, hasQ, clips, allowsKl, minM } = ALGORITHMS[n];
        return [n, [label, signal, sequences, aggregation, hasQ, clips, allowsKl, minM]];
      }),
    );
    expect(ALGORITHM_NAMES).toEqual(['grpo', 'rloo', 'garl', 'paft', 'sft']);
    expect(facts).toEqual({
      grpo: ['GRPO', 'reward', 'completion', 'token-mean', false, true, true, 2],
      rloo: ['RLOO', 'reward', 'completion', 'seq-sum', false, false, false, 2],
      garl: ['GARL', 'answer-log-likelihood', 'teacher-forced', 'group-mean', true, false, false, 1],
      paft: ['PAFT', 'answer-log-likelihood', 'teacher-forced', 'group-mean', true, false, false, 1],
      sft: ['SFT', 'none', 'target', 'token-mean', false, false, false, 1],
    });
  });

  it.each(ALGORITHM_NAMES)('%s: the coefficient function reads the signal its row declares, and no other', (name) => {
    const row = ALGORITHMS[name];
    expect(coefficientsOf(EXAMPLES[name], SIGNALS[row.signal]).length).toBeGreaterThan(0);
    for (const [kind, signal] of Object.entries(SIGNALS)) {
      if (kind !== row.signal) expect(() => coefficientsOf(EXAMPLES[name], signal)).toThrow(/the group signal needs/);
    }
  });

  it.each(ALGORITHM_NAMES)('%s: hasQ agrees with whether the coefficients change with q', (name) => {
    const row = ALGORITHMS[name];
    const at = (q: number) => coefficientsOf({ ...EXAMPLES[name], q } as Algorithm, SIGNALS[row.signal]);
    const moved = JSON.stringify(at(0.25)) !== JSON.stringify(at(0.75));
    expect(moved).toBe(row.hasQ);
    if (row.hasQ) {
      // and q as a schedule is read at the step: q = 0.25 for the first step, 0.75 from the second
      const schedule = { ...EXAMPLES[name], q: [{ until: 1, q: 0.25 }, { q: 0.75 }] } as Algorithm;
      const sched = (step: number) =>
        groupCoefficients(schedule, SIGNALS[row.signal], { step, rng: new Rng(3) }).sequences;
      expect(sched(0)).toEqual(at(0.25));
      expect(sched(1)).toEqual(at(0.75));
    }
  });
});

/** A valid config of the algorithm `section` (YAML flow mapping), with --set overrides. */
function config(section: string, overrides: string[] = []) {
  return parseConfig(
    `model: {path: models/tiny}\ntask: {name: finqa}\nalgorithm: ${section}\n`,
    'configs/x.yaml',
    overrides,
  );
}
const SECTION_YAML: Record<AlgorithmName, string> = {
  grpo: '{name: grpo}',
  rloo: '{name: rloo}',
  garl: '{name: garl, q: 0.5}',
  paft: '{name: paft, q: 0.5}',
  sft: '{name: sft}',
};
function rejects(section: string, overrides: string[] = []): string | null {
  try {
    config(section, overrides);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

describe('the config schema reads the rows', () => {
  it('accepts exactly the algorithms that have a row, in their order', () => {
    const union = configShapeSchema.shape.algorithm;
    expect(union.options.map((o) => o.shape.name.value)).toEqual(ALGORITHM_NAMES);
    const json = configJsonSchema() as {
      properties: { algorithm: { oneOf: { properties: { name: { const: string } } }[] } };
    };
    expect(json.properties.algorithm.oneOf.map((b) => b.properties.name.const)).toEqual(ALGORITHM_NAMES);
    expect(rejects('{name: ppo}')).toMatch(
      /algorithm\.name: expected one of "grpo", "rloo", "garl", "paft", "sft", got "ppo"/,
    );
  });

  it.each(ALGORITHM_NAMES)(
    '%s: q, clip bounds, kl_beta, aggregation, rollout.m and updates_per_batch as its row says',
    (name) => {
      const row = ALGORITHMS[name];
      const c = config(SECTION_YAML[name]);
      expect(c.algorithm.name).toBe(name);
      // q: required exactly where the row has one; shown in the run name
      expect(qScheduleOf(c) !== undefined).toBe(row.hasQ);
      expect(rejects(`{name: ${name}}`) !== null).toBe(row.hasQ);
      expect(defaultRunName(c).includes('-q0.5-')).toBe(row.hasQ);
      if (!row.hasQ) expect(rejects(SECTION_YAML[name], ['algorithm.q=0.5'])).toMatch(/algorithm\.q: unknown key/);
      // clip bounds and the KL weight: accepted exactly where the row clips / allows KL
      expect(rejects(SECTION_YAML[name], ['algorithm.eps_low=0.1', 'algorithm.eps_high=0.3']) === null).toBe(row.clips);
      expect(clipRangeOf(c)).toEqual(row.clips ? { low: 0.8, high: 1.2 } : undefined);
      expect(rejects(SECTION_YAML[name], ['algorithm.kl_beta=0.1']) === null).toBe(row.allowsKl);
      if (row.allowsKl) expect(klBetaOf(config(SECTION_YAML[name], ['algorithm.kl_beta=0.1']))).toBe(0.1);
      expect(klBetaOf(c)).toBe(0);
      // the default aggregation
      expect(aggregationOf(c)).toBe(row.aggregation);
      // the fewest rollouts
      const m1 = rejects(SECTION_YAML[name], ['rollout.m=1']);
      if (row.minM > 1)
        expect(m1).toBe(
          `--set rollout.m=1: rollout.m: expected an integer >= ${row.minM} for ${name} (${row.minMReason}), got 1`,
        );
      else expect(m1).toBeNull();
      // several updates per batch: only with the PPO clip
      const k2 = rejects(SECTION_YAML[name], ['train.updates_per_batch=2']);
      if (row.clips) expect(k2).toBeNull();
      else
        expect(k2).toMatch(
          new RegExp(
            `train\\.updates_per_batch: expected 1 for ${name} \\(only grpo has the PPO ratio and clip that bound repeated updates on one batch\\), got 2`,
          ),
        );
    },
  );
});

describe('the run layout and the report read the rows', () => {
  it('summary.json methods: "base" and every algorithm, nothing else', () => {
    expect(METHODS).toEqual(['base', ...ALGORITHM_NAMES]);
    const summary = (method: string) => runSummarySchema.shape.method.safeParse(method).success;
    for (const m of METHODS) expect(summary(m)).toBe(true);
    expect(summary('ppo')).toBe(false);
  });

  it.each(ALGORITHM_NAMES)('%s: its label, with q where the row has one, in the rows order', (name) => {
    const row = ALGORITHMS[name];
    expect(methodLabel(name, null)).toBe(row.label);
    expect(methodLabel(name, 0.75)).toBe(row.hasQ ? `${row.label} q=0.75` : row.label);
    expect(methodLabel(name, null, [{ until: 10, q: 1 }, { q: 0 }])).toBe(
      row.hasQ ? `${row.label} q=1@0,0@10` : row.label,
    );
    const rank = (m: string) => ({ method: m as (typeof METHODS)[number], q: null, label: m });
    expect(compareRuns(rank('base'), rank(name))).toBeLessThan(0);
    const next = ALGORITHM_NAMES[ALGORITHM_NAMES.indexOf(name) + 1];
    if (next) expect(compareRuns(rank(name), rank(next))).toBeLessThan(0);
  });
});
