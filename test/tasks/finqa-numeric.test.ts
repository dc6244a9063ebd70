import { numericMatch, parseFreeformNumber } from '../../src/tasks/finqa-numeric.js';

describe('free-form FinQA numbers', () => {
  it('reads %, parentheses as negative, $ and commas', () => {
    expect(parseFreeformNumber('14.1%')).toEqual({ value: 0.141, percent: true });
    expect(parseFreeformNumber('(1,234.5)')).toEqual({ value: -1234.5, percent: false });
    expect(parseFreeformNumber('$ 2,000 million')).toEqual({ value: 2000, percent: false });
    expect(parseFreeformNumber('-5')).toEqual({ value: -5, percent: false });
  });
  it('takes the last number of a sentence', () => {
    const p = parseFreeformNumber('from 2008 to 2009 it grew 5.2%') as { value: number; percent: boolean };
    expect(p.percent).toBe(true);
    expect(p.value).toBeCloseTo(0.052, 15);
  });
  it('reads yes / no and gives null without a number', () => {
    expect(parseFreeformNumber('Yes.')).toBe('yes');
    expect(parseFreeformNumber('unknown')).toBeNull();
  });
});

describe('numeric tolerance match (1% relative, bare numbers also against 100 x gold)', () => {
  it('accepts answers rounded to about three figures', () => {
    expect(numericMatch('14.1%', 0.14056)).toBe(true); // |0.141 - 0.14056| = 0.00044 <= 0.0014056
    expect(numericMatch('14.1', 0.14056)).toBe(true); // compared with 14.056
    expect(numericMatch('94', 93.5)).toBe(true); // 0.5 <= 0.935
  });
  it('rejects answers off by more than 1%', () => {
    expect(numericMatch('15%', 0.14056)).toBe(false);
    expect(numericMatch('95', 93.5)).toBe(false); // 1.5 > 0.935
    expect(numericMatch('14.1%', 14.056)).toBe(false); // a % answer is not rescaled
  });
  it('zero needs (almost) exactly zero; yes/no compare as words; no gold never matches', () => {
    expect(numericMatch('0', 0)).toBe(true);
    expect(numericMatch('0.01', 0)).toBe(false);
    expect(numericMatch('yes', 'yes')).toBe(true);
    expect(numericMatch('no', 'yes')).toBe(false);
    expect(numericMatch('1', 'yes')).toBe(false);
    expect(numericMatch('5', null)).toBe(false);
  });
});
