import { formatNumber, toCsv, toMarkdown } from '../../src/plot/table.js';

const table = {
  columns: ['q', 'name', 'value', 'ok'],
  rows: [
    [0.25, 'a|b', 1 / 3, true],
    [1, 'c', 1e-7, false],
  ],
};

describe('tables', () => {
  it('CSV keeps full precision and quotes where needed', () => {
    expect(
      toCsv({
        columns: ['x', 'y'],
        rows: [
          [1 / 3, 'a,b'],
          [Infinity, 'c'],
        ],
      }),
    ).toBe('x,y\n0.3333333333333333,"a,b"\nInfinity,c\n');
  });

  it('Markdown rounds numbers and escapes pipes', () => {
    expect(toMarkdown(table)).toBe(
      '| q | name | value | ok |\n| --- | --- | --- | --- |\n| 0.25 | a\\|b | 0.3333 | yes |\n| 1 | c | 1.000e-7 | no |\n',
    );
  });

  it('formats numbers for people', () => {
    expect(formatNumber(12345.678)).toBe('12350');
    expect(formatNumber(0.000123456)).toBe('1.235e-4');
    expect(formatNumber(1750053)).toBe('1750053');
    expect(formatNumber(-Infinity)).toBe('-∞');
  });

  it('rejects ragged rows', () => {
    expect(() => toCsv({ columns: ['a'], rows: [[1, 2]] })).toThrow(/row 0 has 2 cells for 1 columns/);
  });
});
