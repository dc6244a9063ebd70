import { normalizeAnswer, normalizeFinqa, pySplit, squadNormalize } from '../../src/tasks/normalize.js';

describe('squadNormalize (official HotPotQA / MuSiQue normalisation)', () => {
  it('lower-cases', () => expect(squadNormalize('PARIS')).toBe('paris'));
  it('deletes ASCII punctuation without leaving a space', () => {
    expect(squadNormalize("St. John's, Newfoundland!")).toBe('st johns newfoundland');
    expect(squadNormalize('Jean-Paul')).toBe('jeanpaul');
    expect(squadNormalize('$1,000 (approx.)')).toBe('1000 approx');
  });
  it('keeps non-ASCII punctuation (Python string.punctuation is ASCII only)', () => {
    expect(squadNormalize('«Paris»')).toBe('«paris»');
  });
  it('drops the whole words a, an, the, and only whole words', () => {
    expect(squadNormalize('The Eiffel Tower')).toBe('eiffel tower');
    expect(squadNormalize('An apple a day')).toBe('apple day');
    expect(squadNormalize('Theatre and anthem')).toBe('theatre and anthem');
    expect(squadNormalize('a')).toBe('');
  });
  it('removes punctuation before articles, so "the_end" is one word', () => {
    expect(squadNormalize('The_End')).toBe('theend');
    expect(squadNormalize('the-a')).toBe('thea');
  });
  it('uses Unicode word boundaries like Python 3 (a letter next to "a" keeps it)', () => {
    expect(squadNormalize('éa')).toBe('éa');
    expect(squadNormalize('a é')).toBe('é');
  });
  it('collapses Python whitespace, including no-break and ideographic spaces', () => {
    expect(squadNormalize('  New\tYork \n City ')).toBe('new york city');
    expect(squadNormalize('Paris\u00a0France\u3000now')).toBe('paris france now');
    expect(pySplit('\x1ca\x1fb')).toEqual(['a', 'b']);
  });
  it('turns an empty or punctuation-only answer into the empty string', () => {
    expect(squadNormalize('')).toBe('');
    expect(squadNormalize(' ... ')).toBe('');
  });
});

describe('normalizeFinqa', () => {
  it('keeps decimal points, signs and percent', () => {
    expect(normalizeFinqa('14.1%')).toBe('14.1%');
    expect(normalizeFinqa('-0.5')).toBe('-0.5');
  });
  it('drops dollar signs and thousands commas, joins a number to its %', () => {
    expect(normalizeFinqa('$ 1,234,567')).toBe('1234567');
    expect(normalizeFinqa('14.1 %')).toBe('14.1%');
    expect(normalizeFinqa('1,23')).toBe('1,23');
  });
  it('lower-cases, collapses spaces and drops trailing full stops', () => {
    expect(normalizeFinqa('  Yes. ')).toBe('yes');
    expect(normalizeFinqa('94.')).toBe('94');
  });
  it('is what normalizeAnswer uses for finqa, and SQuAD for the others', () => {
    expect(normalizeAnswer('finqa', 'The 14.1%')).toBe('the 14.1%');
    expect(normalizeAnswer('hotpotqa', 'The 14.1%')).toBe('141');
    expect(normalizeAnswer('musique', 'The 14.1%')).toBe('141');
  });
});
