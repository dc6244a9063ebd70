/** Step numbering: checkpoint names, and the rule that tells files of earlier versions (steps from 0) apart. */
import { METRICS_COLUMNS, type MetricsRow } from '../../src/run-dir/csv.js';
import type { EvalSummary, RunSummary } from '../../src/run-dir/json.js';
import { shiftCsvSteps, shiftRolloutSteps } from '../../src/experiment/renumber-run.js';
import {
  checkpointName,
  checkpointStep,
  fromLegacyEvalSummary,
  fromLegacyRows,
  fromLegacyRunSummary,
  fromLegacyTrainerState,
  legacyCheckpointStep,
  legacyStepFiles,
  otherCheckpointName,
} from '../../src/run-dir/step-numbering.js';
import { encodeEvent, shiftEventSteps, tfRecord } from '../../src/experiment/tensorboard.js';
import type { TrainerState } from '../../src/experiment/trainer-checkpoint.js';

const row = (step: number): MetricsRow => ({
  ...(Object.fromEntries(METRICS_COLUMNS.map((c) => [c, null])) as unknown as MetricsRow),
  step,
  loss: step / 2,
});

describe('checkpoint names', () => {
  it('checkpoint-N holds N steps; step-K, the earlier name, held K + 1', () => {
    expect(checkpointName(40)).toBe('checkpoint-40');
    expect(() => checkpointName(0)).toThrow(/positive integer/);
    expect(checkpointStep('checkpoint-40')).toBe(40);
    expect([
      checkpointStep('checkpoint-0'),
      checkpointStep('step-39'),
      checkpointStep('best'),
      checkpointStep('checkpoint-4.partial-12'),
    ]).toEqual([null, null, null, null]);
    expect(legacyCheckpointStep('step-39')).toBe(40);
    expect(legacyCheckpointStep('step-0')).toBe(1);
    expect(legacyCheckpointStep('checkpoint-40')).toBeNull();
    expect([otherCheckpointName('step-39'), otherCheckpointName('checkpoint-40'), otherCheckpointName('best')]).toEqual(
      ['checkpoint-40', 'step-39', null],
    );
  });
});

describe('the legacy rule', () => {
  it("CSVs: by metrics.csv's first step, else the other files'", () => {
    expect(legacyStepFiles({ metrics: 0, validation: 19 })).toBe(true);
    expect(legacyStepFiles({ metrics: 1, validation: 0 })).toBe(false); // metrics.csv decides
    expect(legacyStepFiles({ validation: 0 })).toBe(true);
    expect(legacyStepFiles({ rollouts: 0 })).toBe(true);
    expect(legacyStepFiles({ validation: 20 })).toBe(false);
    expect(legacyStepFiles({})).toBe(false);
    // A 0-based run of 3 steps, validation at 0-based 1 and 2, reads as steps 1..3, validations at 2 and 3.
    const legacy = fromLegacyRows(
      [row(0), row(1), row(2)],
      [
        { step: 1, p1: 1, p16: 2, m16: 3 },
        { step: 2, p1: 4, p16: 5, m16: 6 },
      ],
    );
    expect(legacy.legacy).toBe(true);
    expect(legacy.metrics.map((r) => [r.step, r.loss])).toEqual([
      [1, 0],
      [2, 0.5],
      [3, 1],
    ]);
    expect(legacy.validation.map((r) => r.step)).toEqual([2, 3]);
    const current = fromLegacyRows([row(1), row(2)], [{ step: 2, p1: 1, p16: 2, m16: 3 }]);
    expect(current).toEqual({
      legacy: false,
      metrics: [row(1), row(2)],
      validation: [{ step: 2, p1: 1, p16: 2, m16: 3 }],
    });
  });

  it('summary.json and eval/<split>.json: legacy without "step_base": 1; null steps stay null', () => {
    const test: EvalSummary = { split: 'test', checkpoint_step: 39, n: 1, k: 16, p1: 1, p16: 2, m16: 3, wall_s: 1 };
    const base: EvalSummary = { ...test, checkpoint_step: null };
    const s: RunSummary = {
      name: 'r',
      task: 't',
      start: 'cold',
      method: 'garl',
      q: 1,
      seed: 0,
      steps: 40,
      best_step: 39,
      best_validation_m16: 3,
      test,
      base_test: base,
      wall_s: 1,
      finished_at: '',
    };
    expect(fromLegacyRunSummary(s)).toEqual({
      ...s,
      step_base: 1,
      best_step: 40,
      test: { ...test, checkpoint_step: 40 },
      base_test: base,
    });
    expect(fromLegacyRunSummary({ ...s, step_base: 1 })).toEqual({ ...s, step_base: 1 }); // already 1-based
    expect(fromLegacyRunSummary({ ...s, best_step: null, test: base, base_test: undefined })).toMatchObject({
      best_step: null,
      test: { checkpoint_step: null },
    });
    expect(fromLegacyEvalSummary(test)).toEqual({ ...test, step_base: 1, checkpoint_step: 40 });
    expect(fromLegacyEvalSummary({ ...test, step_base: 1 }).checkpoint_step).toBe(39);
    expect(fromLegacyEvalSummary(base).checkpoint_step).toBeNull();
  });

  it('trainer_state.json: version 1 counted from 0', () => {
    const v1 = { version: 1, step: 4, best: { step: 1, m16: 5 }, elapsed_s: 1 } as unknown as TrainerState;
    expect(fromLegacyTrainerState(v1)).toMatchObject({ version: 2, step: 5, best: { step: 2, m16: 5 }, elapsed_s: 1 });
    expect(fromLegacyTrainerState({ ...v1, best: null })).toMatchObject({ step: 5, best: null });
    const v2 = { ...v1, version: 2 } as TrainerState;
    expect(fromLegacyTrainerState(v2)).toBe(v2);
  });
});

describe('renumbering files', () => {
  it('CSVs: the step column + 1, every other cell as it was, a partial last line dropped', () => {
    expect(shiftCsvSteps('step,p1,p16,m16\n19,0.1,1e-7,\n39,2,3,4\n59,1', 'v.csv')).toBe(
      'step,p1,p16,m16\n20,0.1,1e-7,\n40,2,3,4\n',
    );
    expect(shiftCsvSteps('x,step\n1,0\n', 'm.csv')).toBe('x,step\n1,1\n');
    expect(shiftCsvSteps('step,q\n', 'm.csv')).toBe('step,q\n');
    expect(() => shiftCsvSteps('q\n1\n', 'm.csv')).toThrow(/m\.csv: no step column/);
  });

  it('rollouts.jsonl: step + 1, keys in their order', () => {
    expect(shiftRolloutSteps('{"step":0,"id":"a","reward":1}\n{"step":1,"id":"b"', 'r.jsonl')).toBe(
      '{"step":1,"id":"a","reward":1}\n',
    );
  });

  it('events: scalars and the session start move, the file version keeps step 0, a partial record is dropped', () => {
    const file = Buffer.concat([
      tfRecord(encodeEvent(1, 0, { fileVersion: 'brain.Event:2' })),
      tfRecord(encodeEvent(2, 0, { sessionStart: true })),
      tfRecord(encodeEvent(3, 127, { scalars: [['train/loss', 0.5]] })),
    ]);
    const want = Buffer.concat([
      tfRecord(encodeEvent(1, 0, { fileVersion: 'brain.Event:2' })),
      tfRecord(encodeEvent(2, 1, { sessionStart: true })),
      tfRecord(encodeEvent(3, 128, { scalars: [['train/loss', 0.5]] })), // 128: a two-byte varint
    ]);
    expect(shiftEventSteps(file, 1).equals(want)).toBe(true);
    expect(shiftEventSteps(Buffer.concat([file, file.subarray(0, 20)]), 1).equals(want)).toBe(true);
    expect(shiftEventSteps(want, -1).equals(file)).toBe(true);
  });
});
