import { aggregate, samplingMetrics, scoreQuestion } from '../../../src/experiment/eval/sampling-metrics.js';
import { predictionRecordSchema } from '../../../src/run-dir/json.js';

const rep = (n: number, s: string) => Array<string>(n).fill(s);

describe('one question', () => {
  it('keeps the completions, in sampling order, when given', () => {
    const q = { id: 'c', answers: ['Paris', ''], golds: ['Paris'] };
    const r = scoreQuestion('hotpotqa', { ...q, completions: ['<think>hm</think> Paris', 'no idea'] });
    expect(r.completions).toEqual(['<think>hm</think> Paris', 'no idea']);
    expect(predictionRecordSchema.parse(JSON.parse(JSON.stringify(r)))).toEqual(r);
    expect('completions' in scoreQuestion('hotpotqa', q)).toBe(false);
  });
  it('counts relaxed matches, and votes over normalised answers', () => {
    // 5 x "Paris" and 3 x "the city of Paris" are correct (gold is a substring), 6 x "London" and 2 empty are not.
    const answers = [...rep(5, 'Paris'), ...rep(3, 'the city of Paris'), ...rep(6, 'London'), ...rep(2, '')];
    const r = scoreQuestion('hotpotqa', { id: 'q1', answers, golds: ['Paris'] });
    expect(r.correct.filter(Boolean)).toHaveLength(8);
    // "paris" has 5 votes, "city of paris" 3, "london" 6: London wins, so m@16 misses although p@16 hits.
    expect(r).toMatchObject({ vote: 'London', vote_count: 6, vote_correct: false });
  });

  it('takes given correctness flags (a chosen reward), and judges the vote as its first sample', () => {
    // "72" and "72.0" are two keys under normalisation: "72.0" (3 votes) beats "72" (2).
    const answers = ['72', '72.0', '72.0', '72', '72.0', '', 'x'];
    const correct = [true, true, false, true, true, false, false];
    const r = scoreQuestion('jsonl', { id: 'n', answers, golds: ['72'], correct });
    expect(r.correct).toEqual(correct);
    // The vote "72.0" is the raw text of sample 1, which its flag calls correct (sample 2's flag says otherwise).
    expect(r).toMatchObject({ vote: '72.0', vote_count: 3, vote_correct: true });
    expect(
      scoreQuestion('jsonl', { id: 'n', answers, golds: ['72'], correct: correct.map((c, i) => c && i !== 1) }),
    ).toMatchObject({ vote: '72.0', vote_correct: false });
    expect(() => scoreQuestion('jsonl', { id: 'n', answers, golds: ['72'], correct: [true] })).toThrow(
      /7 answers but 1 correctness flags/,
    );
  });

  it('breaks ties by the first appearance in sampling order', () => {
    // 12 empty answers: "no answer" (12) wins; the abstaining vote is a tie of London and Paris (2 each).
    const a = scoreQuestion('hotpotqa', {
      id: 't',
      answers: ['London', 'Paris', 'Paris', 'London', ...rep(12, '')],
      golds: ['Paris'],
    });
    expect(a).toMatchObject({
      vote: null,
      vote_count: 12,
      vote_correct: false,
      vote_abstain: 'London',
      vote_abstain_correct: false,
    });
    const b = scoreQuestion('hotpotqa', {
      id: 't',
      answers: ['Paris', 'London', 'London', 'Paris', ...rep(12, '')],
      golds: ['Paris'],
    });
    expect(b).toMatchObject({ vote: null, vote_correct: false, vote_abstain: 'Paris', vote_abstain_correct: true });
    const c = scoreQuestion('hotpotqa', { id: 't', answers: ['London', 'Paris', 'Paris', 'London'], golds: ['Paris'] });
    expect(c).toMatchObject({ vote: 'London', vote_count: 2, vote_correct: false });
  });

  it('15 empty answers and 1 right one: "no answer" wins m@16, the abstaining vote is right', () => {
    const r = scoreQuestion('hotpotqa', { id: 'e', answers: [...rep(15, ''), 'Paris'], golds: ['Paris'] });
    expect(r).toMatchObject({
      vote: null,
      vote_count: 15,
      vote_correct: false,
      vote_abstain: 'Paris',
      vote_abstain_correct: true,
    });
    expect(r.correct.filter(Boolean)).toHaveLength(1);
  });

  it('9 empty answers and 7 right ones: 9 votes for "no answer" beat 7; 7 empty and 9 right: both votes right', () => {
    const r = scoreQuestion('hotpotqa', { id: 'e', answers: [...rep(7, 'paris'), ...rep(9, '')], golds: ['Paris'] });
    expect(r).toMatchObject({
      vote: null,
      vote_count: 9,
      vote_correct: false,
      vote_abstain: 'paris',
      vote_abstain_correct: true,
    });
    const s = scoreQuestion('hotpotqa', { id: 'e', answers: [...rep(9, 'paris'), ...rep(7, '')], golds: ['Paris'] });
    expect(s).toMatchObject({
      vote: 'paris',
      vote_count: 9,
      vote_correct: true,
      vote_abstain: 'paris',
      vote_abstain_correct: true,
    });
  });

  it('a tie between "no answer" and a real answer goes to whichever came first', () => {
    const empty = scoreQuestion('hotpotqa', {
      id: 't',
      answers: ['', ...rep(8, 'Paris'), ...rep(7, '')],
      golds: ['Paris'],
    });
    expect(empty).toMatchObject({ vote: null, vote_count: 8, vote_correct: false, vote_abstain_correct: true });
    const paris = scoreQuestion('hotpotqa', {
      id: 't',
      answers: ['Paris', ...rep(8, ''), ...rep(7, 'Paris')],
      golds: ['Paris'],
    });
    expect(paris).toMatchObject({ vote: 'Paris', vote_count: 8, vote_correct: true, vote_abstain_correct: true });
  });

  it('votes "no answer" for answers that normalise to nothing', () => {
    const r = scoreQuestion('hotpotqa', { id: 'n', answers: ['the', ' . ', 'Paris'], golds: ['Paris'] });
    expect(r).toMatchObject({
      vote: null,
      vote_count: 2,
      vote_correct: false,
      vote_abstain: 'Paris',
      vote_abstain_correct: true,
    });
  });

  it('is wrong both ways when every answer is empty', () => {
    const r = scoreQuestion('musique', { id: 'z', answers: rep(16, ''), golds: ['x'] });
    expect(r).toMatchObject({
      vote: null,
      vote_count: 16,
      vote_correct: false,
      vote_abstain: null,
      vote_abstain_correct: false,
    });
    expect(r.correct.every((c) => !c)).toBe(true);
  });

  it('accepts any alias, and merges spellings that normalise alike', () => {
    const r = scoreQuestion('musique', {
      id: 'a',
      answers: ['usa', 'United States of America', 'The USA.', 'Canada'],
      golds: ['United States', 'USA'],
    });
    expect(r.correct).toEqual([true, true, true, false]);
    // "usa" and "The USA." normalise to "usa": two votes against one each.
    expect(r).toMatchObject({ vote: 'usa', vote_count: 2, vote_correct: true });
  });

  it('votes FinQA numbers after their own normalisation', () => {
    const r = scoreQuestion('finqa', { id: 'f', answers: ['$1,234', '1234', '1234.5', '14.1 %'], golds: ['1234'] });
    expect(r.correct).toEqual([true, true, true, false]); // relaxed: "1234" is a substring of "1234.5"
    expect(r).toMatchObject({ vote: '$1,234', vote_count: 2, vote_correct: true });
  });

  it('rejects a question without samples', () => {
    expect(() => scoreQuestion('hotpotqa', { id: 'n', answers: [], golds: ['x'] })).toThrow(
      /question n has no samples/,
    );
  });
});

describe('over questions', () => {
  it('gives p@1, p@16 and m@16 in percent', () => {
    const { metrics, records } = samplingMetrics('hotpotqa', [
      // 8/16 correct; Paris x8 and London x8 tie, and Paris came first
      { id: 'q1', answers: [...rep(8, 'Paris'), ...rep(8, 'London')], golds: ['Paris'] },
      // 16/16 correct
      { id: 'q2', answers: rep(16, 'Berlin'), golds: ['Berlin'] },
      // all wrong
      { id: 'q3', answers: rep(16, 'Rome'), golds: ['Madrid'] },
      // 1/16 correct, vote wrong
      { id: 'q4', answers: ['Oslo', ...rep(15, 'Bergen')], golds: ['Oslo'] },
    ]);
    expect(records.map((r) => r.vote_correct)).toEqual([true, true, false, false]);
    expect(metrics.n).toBe(4);
    expect(metrics.k).toBe(16);
    expect(metrics.p1).toBeCloseTo((100 * (8 / 16 + 1 + 0 + 1 / 16)) / 4, 12);
    expect(metrics.pk).toBe(75);
    expect(metrics.mk).toBe(50);
    expect(metrics.mk_abstain).toBe(50);
  });

  it('m@16 and its abstaining variant part where empty answers decide the vote', () => {
    const { metrics } = samplingMetrics('hotpotqa', [
      { id: 'a', answers: [...rep(15, ''), 'Paris'], golds: ['Paris'] }, // m@16 wrong, abstaining right
      { id: 'b', answers: [...rep(9, ''), ...rep(7, 'Paris')], golds: ['Paris'] }, // m@16 wrong (9 > 7), abstaining right
      { id: 'c', answers: [...rep(7, ''), ...rep(9, 'Paris')], golds: ['Paris'] }, // both right
      { id: 'd', answers: rep(16, ''), golds: ['Paris'] }, // both wrong
    ]);
    expect(metrics.pk).toBe(75);
    expect(metrics.mk).toBe(25);
    expect(metrics.mk_abstain).toBe(75);
  });

  it('is 0 everywhere when everything is wrong', () => {
    const { metrics } = samplingMetrics('hotpotqa', [
      { id: 'a', answers: rep(16, 'no idea'), golds: ['yes'] },
      { id: 'b', answers: rep(16, ''), golds: ['x'] },
    ]);
    expect(metrics).toEqual({ n: 2, k: 16, p1: 0, pk: 0, mk: 0, mk_abstain: 0 });
  });

  it('refuses uneven sample counts and empty sets', () => {
    const a = scoreQuestion('hotpotqa', { id: 'a', answers: rep(16, 'x'), golds: ['x'] });
    const b = scoreQuestion('hotpotqa', { id: 'b', answers: rep(15, 'x'), golds: ['x'] });
    expect(() => aggregate([a, b])).toThrow(/question b has 15 samples, the others 16/);
    expect(() => aggregate([])).toThrow(/no questions/);
  });
});
