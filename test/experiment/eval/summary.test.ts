/** eval/<split>.json from an evaluation's result (evalSummaryOf), and the table people read. */
import { evalSummaryOf, evalSummaryTable } from '../../../src/experiment/eval/summary.js';
import { evalSummarySchema, predictionRecordSchema } from '../../../src/run-dir/json.js';

const metrics = (n: number, p1: number, pk: number, mk: number, mkAbstain: number) => ({
  n,
  k: 16,
  p1,
  pk,
  mk,
  mk_abstain: mkAbstain,
});

describe('eval summaries', () => {
  it('keeps percent throughout and lists the official metrics present', () => {
    const result = { metrics: metrics(10, 30.5, 61.1, 38.3, 45), official: { em: 0.25, f1: 0.5 }, wall_s: 12.5 };
    const s = evalSummaryOf('test', 40, result);
    expect(s).toEqual({
      step_base: 1,
      split: 'test',
      checkpoint_step: 40,
      n: 10,
      k: 16,
      p1: 30.5,
      p16: 61.1,
      m16: 38.3,
      m16_abstain: 45,
      em: 25,
      f1: 50,
      wall_s: 12.5,
    });
    expect(evalSummarySchema.parse(s)).toEqual(s);
    const base = evalSummaryOf('validation', null, {
      metrics: metrics(5, 1, 2, 3, 4),
      official: { em: null, f1: null },
      wall_s: 1,
    });
    expect('em' in base || 'f1' in base).toBe(false);
    const t = evalSummaryTable([s, base]);
    expect(t.columns).toEqual(['split', 'checkpoint', 'n', 'p@1', 'p@16', 'm@16', 'm@16 abstain', 'em', 'f1']);
    expect(t.rows).toEqual([
      ['test', 'step 40', 10, 30.5, 61.1, 38.3, 45, 25, 50],
      ['validation', 'base', 5, 1, 2, 3, 4, '', ''],
    ]);
  });

  it("leaves out the official rates a task does not compute (FinQA's programs: execution accuracy only)", () => {
    const s = evalSummaryOf('test', null, {
      metrics: metrics(4, 25, 50, 25, 25),
      official: { em: null, f1: null, exe_acc: 0.75 },
      wall_s: 2,
    });
    expect(s.em).toBeUndefined();
    expect(s.f1).toBeUndefined();
    expect(s.exe_acc).toBe(75);
    expect('em' in s || 'f1' in s).toBe(false);
    expect(evalSummaryTable([s]).columns).toEqual([
      'split',
      'checkpoint',
      'n',
      'p@1',
      'p@16',
      'm@16',
      'm@16 abstain',
      'exe_acc',
    ]);
  });

  it('reads files written before m16_abstain, and leaves its column out when no summary has it', () => {
    const old = evalSummarySchema.parse({
      split: 'test',
      checkpoint_step: 4,
      n: 2,
      k: 16,
      p1: 10,
      p16: 50,
      m16: 50,
      wall_s: 1,
    });
    expect(old.m16_abstain).toBeUndefined();
    expect(evalSummaryTable([old]).columns).toEqual(['split', 'checkpoint', 'n', 'p@1', 'p@16', 'm@16']);
    const rec = predictionRecordSchema.parse({
      id: 'q',
      gold: ['x'],
      answers: ['x'],
      correct: [true],
      vote: 'x',
      vote_count: 1,
      vote_correct: true,
    });
    expect(rec.vote_abstain_correct).toBeUndefined();
    expect(rec.completions).toBeUndefined();
  });
});
