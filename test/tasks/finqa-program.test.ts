import {
  executeProgram,
  executionCorrect,
  pyFloat,
  pyRound,
  strToNum,
  tokenizeProgram,
} from '../../src/tasks/finqa-program.js';

const table = [
  ['', '2009', '2008', '2007'],
  ['revenue', '$ 5,000', '$4,000', '3,000'],
  ['margin', '12%', '11%', '(5)'],
  ['empty row'],
  ['revenue 2', '1', '2 (restated)', '$ 3'],
];
const run = (p: string) => executeProgram(tokenizeProgram(p), table);

describe('FinQA program tokenisation (official program_tokenization)', () => {
  it('splits steps and arguments, and appends EOF', () => {
    expect(tokenizeProgram('subtract(5829, 5735), divide(#0, 5735)')).toEqual([
      'subtract(',
      '5829',
      '5735',
      ')',
      'divide(',
      '#0',
      '5735',
      ')',
      'EOF',
    ]);
  });
  it('keeps a thousands comma without a space inside one argument', () => {
    expect(tokenizeProgram('add(1,234, 5)')).toEqual(['add(', '1,234', '5', ')', 'EOF']);
  });
  it('keeps table row labels whole', () => {
    expect(tokenizeProgram('table_sum(total net revenue, none)')).toEqual([
      'table_sum(',
      'total net revenue',
      'none',
      ')',
      'EOF',
    ]);
  });
});

describe('numbers as the official str_to_num reads them', () => {
  it('strips commas, reads x% as x/100, const_N and const_m1', () => {
    expect(strToNum('1,234.5')).toBe(1234.5);
    expect(strToNum('5%')).toBe(0.05);
    expect(strToNum('const_100')).toBe(100);
    expect(strToNum('const_m1')).toBe(-1);
    expect(strToNum('abc')).toBeNull();
    expect(strToNum('const_x')).toBeNull();
  });
  it('accepts what Python float() accepts', () => {
    expect(pyFloat(' 1e3 ')).toBe(1000);
    expect(pyFloat('.5')).toBe(0.5);
    expect(pyFloat('5.')).toBe(5);
    expect(pyFloat('+2')).toBe(2);
    expect(pyFloat('1_000')).toBe(1000);
    expect(pyFloat('')).toBeNull();
    expect(pyFloat('1..2')).toBeNull();
    expect(pyFloat('0x10')).toBeNull();
  });
});

describe('Python round(x, 5)', () => {
  it('rounds the exact binary value, ties to even', () => {
    expect(pyRound(0.015625, 5)).toBe(0.01562); // an exact tie: half to even
    expect(pyRound(2.675, 2)).toBe(2.67); // 2.675 is 2.67499999... in binary
    expect(pyRound(1.000005, 5)).toBe(1.00001); // 1.00000500000000003... in binary
    expect(pyRound(0.000035, 5)).toBe(0.00003); // 0.0000349999... in binary
    expect(pyRound(-0.123456, 5)).toBe(-0.12346);
    expect(pyRound(1e-7, 5)).toBe(0);
    expect(pyRound(123456.789012345, 5)).toBe(123456.78901);
    expect(pyRound(42, 5)).toBe(42);
  });
});

describe('FinQA program execution (official eval_program)', () => {
  it('runs steps with #n references and rounds the last result to 5 decimals', () => {
    // (5829 - 5735) / 5735 = 94 / 5735 = 0.016390584... -> 0.01639
    expect(run('subtract(5829, 5735), divide(#0, 5735)')).toEqual({ ok: true, value: 0.01639 });
  });
  it('handles percentages and constants', () => {
    expect(run('divide(5%, const_100)')).toEqual({ ok: true, value: 0.0005 });
    expect(run('multiply(7, const_m1)')).toEqual({ ok: true, value: -7 });
    expect(run('exp(const_2, const_3)')).toEqual({ ok: true, value: 8 });
    expect(run('add(1,234, 5)')).toEqual({ ok: true, value: 1239 });
  });
  it('greater gives yes / no', () => {
    expect(run('greater(5, 3)')).toEqual({ ok: true, value: 'yes' });
    expect(run('subtract(3, 5), greater(#0, const_0)')).toEqual({ ok: true, value: 'no' });
  });
  it('table operations read a row by its label ($, commas and "(...)" suffixes removed; x% = x/100)', () => {
    expect(run('table_sum(revenue, none)')).toEqual({ ok: true, value: 12000 });
    expect(run('table_average(revenue, none)')).toEqual({ ok: true, value: 4000 });
    expect(run('table_max(revenue, none)')).toEqual({ ok: true, value: 5000 });
    expect(run('table_min(revenue, none)')).toEqual({ ok: true, value: 3000 });
    expect(run('table_sum(revenue 2, none)')).toEqual({ ok: true, value: 6 });
    expect(run('table_max(revenue, none), divide(#0, const_1000)')).toEqual({ ok: true, value: 5 });
  });
  it('a row with a cell that is not a number makes the program invalid', () => {
    expect(run('table_sum(margin, none)').ok).toBe(false); // "(5)" reads as "" -> n/a
    expect(run('table_sum(no such row, none)').ok).toBe(false);
  });
  it('an empty row sums to 0 but has no average', () => {
    expect(run('table_sum(empty row, none)')).toEqual({ ok: true, value: 0 });
    expect(run('table_average(empty row, none)').ok).toBe(false);
  });
  it('invalid programs: bad structure, bad references, bad numbers, division by zero', () => {
    expect(run('foo(1, 2)').ok).toBe(false);
    expect(executeProgram(['add(', '1', '2', '3', 'EOF'], table).ok).toBe(false); // token 3 must be ")"
    expect(run('add(#1, 2)').ok).toBe(false); // refers to a later step
    expect(run('add(x, 2)').ok).toBe(false);
    expect(run('divide(5, 0)').ok).toBe(false);
    expect(run('greater(5, 3), add(#0, 1)').ok).toBe(false); // arithmetic on "yes"
    expect(executeProgram(['EOF'], table).ok).toBe(false);
  });
  it('accepts token lists with or without the final EOF', () => {
    expect(executeProgram(['add(', '1', '2', ')'], table)).toEqual({ ok: true, value: 3 });
  });
  it('execution accuracy is exact equality with exe_ans after rounding', () => {
    const p = tokenizeProgram('subtract(5829, 5735), divide(#0, 5735)');
    expect(executionCorrect(p, table, 0.01639)).toBe(true);
    expect(executionCorrect(p, table, 0.0164)).toBe(false);
    expect(executionCorrect(tokenizeProgram('greater(5, 3)'), table, 'yes')).toBe(true);
    expect(executionCorrect(p, table, null)).toBe(false);
  });
});
