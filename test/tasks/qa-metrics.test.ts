import { hotpotExactMatch, hotpotF1, musiqueScores, squadF1 } from '../../src/tasks/qa-metrics.js';

describe('HotPotQA answer EM and F1', () => {
  it('EM compares normalised strings', () => {
    expect(hotpotExactMatch('the Eiffel Tower.', 'Eiffel tower')).toBe(1);
    expect(hotpotExactMatch('Eiffel', 'Eiffel Tower')).toBe(0);
  });
  it('F1 over tokens: "The Eiffel Tower, Paris" against "Eiffel Tower" is P=2/3, R=1, F1=0.8', () => {
    expect(hotpotF1('The Eiffel Tower, Paris', 'Eiffel Tower')).toBeCloseTo(0.8, 12);
  });
  it('F1 counts repeated tokens as a multiset: P=2/3, R=1/2, F1=4/7', () => {
    expect(hotpotF1('the cat the cat sat', 'cat sat on mat')).toBeCloseTo(4 / 7, 12);
  });
  it('F1 is 0 when either side is yes/no/noanswer and they differ', () => {
    expect(hotpotF1('yes', 'no')).toBe(0);
    expect(hotpotF1('yes it is', 'yes')).toBe(0); // gold is "yes", prediction is not exactly "yes"
    expect(hotpotF1('no', 'no way')).toBe(0); // prediction is "no", gold differs
    expect(hotpotF1('noanswer', 'no answer')).toBe(0);
    expect(hotpotF1('Yes.', 'yes')).toBe(1);
  });
  it('empty answers: EM 1 when both are empty, but F1 0 (no shared token)', () => {
    expect(hotpotExactMatch('', '')).toBe(1);
    expect(hotpotF1('', '')).toBe(0);
    expect(hotpotF1('', 'Paris')).toBe(0);
    expect(hotpotF1('the', 'a')).toBe(0);
  });
});

describe('MuSiQue answer EM and F1 (max over aliases, SQuAD rules)', () => {
  const golds = ['Region 3', 'R3', 'the region 3'];
  it('an alias counts as a full match', () => {
    expect(musiqueScores('r3', golds)).toEqual({ em: 1, f1: 1 });
  });
  it('takes the maximum F1 over the gold answer and its aliases', () => {
    // [region, 3, in, europe] against [region, 3]: P = 1/2, R = 1 -> 2/3; against [r3]: 0
    const s = musiqueScores('Region 3 in Europe', golds);
    expect(s.em).toBe(0);
    expect(s.f1).toBeCloseTo(2 / 3, 12);
  });
  it('has no yes/no rule: "yes it is" against "yes" gets F1 2/(3+1)... = 0.5', () => {
    // P = 1/3, R = 1 -> F1 = 2 * (1/3) / (4/3) = 0.5
    expect(squadF1('yes it is', 'yes')).toBeCloseTo(0.5, 12);
  });
  it('when either side is empty, F1 is 1 if both are, else 0', () => {
    expect(squadF1('', '')).toBe(1);
    expect(squadF1('the', '')).toBe(1); // normalises to no tokens
    expect(squadF1('', 'Paris')).toBe(0);
    expect(musiqueScores('', golds)).toEqual({ em: 0, f1: 0 });
  });
});
