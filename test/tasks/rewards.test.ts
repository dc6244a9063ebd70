import { exactMatchReward, relaxedMatch } from '../../src/tasks/rewards.js';
import { majorityVote } from '../../src/tasks/vote.js';

describe('exact-match reward', () => {
  it('compares normalised answers with the gold answer and aliases', () => {
    expect(exactMatchReward('hotpotqa', 'The Eiffel Tower.', ['Eiffel Tower'])).toBe(1);
    expect(exactMatchReward('hotpotqa', 'Eiffel Tower, Paris', ['Eiffel Tower'])).toBe(0);
    expect(exactMatchReward('musique', 'R3', ['Region 3', 'R3'])).toBe(1);
    expect(exactMatchReward('finqa', '14.1 %', ['14.1%'])).toBe(1);
    expect(exactMatchReward('finqa', '141', ['14.1%'])).toBe(0); // punctuation matters for numbers
  });
  it('never rewards an empty answer', () => {
    expect(exactMatchReward('hotpotqa', '', [''])).toBe(0);
    expect(exactMatchReward('hotpotqa', 'the', ['a'])).toBe(0);
  });
});

describe("the study's relaxed match (gold is a substring of the normalised prediction)", () => {
  it('accepts a longer answer that contains the gold', () => {
    expect(relaxedMatch('hotpotqa', 'It is the Eiffel Tower in Paris', ['Eiffel Tower'])).toBe(true);
    expect(relaxedMatch('finqa', 'about 14.1% overall', ['14.1%'])).toBe(true);
    expect(relaxedMatch('musique', 'in the R3 area', ['Region 3', 'R3'])).toBe(true);
  });
  it('is a plain substring test, so "no" matches inside "not known"', () => {
    expect(relaxedMatch('hotpotqa', 'not known', ['no'])).toBe(true);
  });
  it('rejects empty predictions and empty golds', () => {
    expect(relaxedMatch('hotpotqa', '', ['Paris'])).toBe(false);
    expect(relaxedMatch('hotpotqa', 'Paris', ['the'])).toBe(false);
  });
});

describe('majority vote', () => {
  it('votes on normalised answers and returns the first raw answer of the winner', () => {
    expect(majorityVote('hotpotqa', ['Paris', 'the paris.', 'Rome', 'PARIS'])).toEqual({
      key: 'paris',
      answer: 'Paris',
      count: 3,
    });
  });
  it('counts empty answers (after normalisation) as votes for "no answer", the key null, in the earliest-first tie rule', () => {
    expect(majorityVote('hotpotqa', ['', 'Rome', 'Paris', 'Paris', 'Rome', ''])).toEqual({
      key: null,
      answer: null,
      count: 2,
    });
    expect(majorityVote('hotpotqa', ['Rome', '', 'Paris', 'Paris', 'Rome', ''])).toEqual({
      key: 'rome',
      answer: 'Rome',
      count: 2,
    });
    expect(majorityVote('hotpotqa', ['', ' . '])).toEqual({ key: null, answer: null, count: 2 });
  });
  it('with abstain, ignores empty answers and breaks ties by first appearance', () => {
    expect(majorityVote('hotpotqa', ['', 'Rome', 'Paris', 'Paris', 'Rome', ''], { abstain: true })).toEqual({
      key: 'rome',
      answer: 'Rome',
      count: 2,
    });
    expect(majorityVote('hotpotqa', ['', ' . '], { abstain: true })).toEqual({ key: null, answer: null, count: 0 });
  });
  it('uses the FinQA normalisation for FinQA', () => {
    expect(majorityVote('finqa', ['$1,200', '1200', '12%']).key).toBe('1200');
  });
});
