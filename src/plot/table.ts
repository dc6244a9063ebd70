/**
 * A table of results, written as CSV (full precision, for machines) and as a Markdown table
 * (rounded, for people). Pure: strings out.
 */
import { stringify } from 'csv-stringify/sync';

export type Cell = number | string | boolean;

export interface Table {
  columns: readonly string[];
  rows: readonly (readonly Cell[])[];
}

/** CSV with a header row; numbers keep full precision (shortest round-trip form). */
export function toCsv(table: Table): string {
  checkShape(table);
  return stringify([table.columns.slice(), ...table.rows.map((r) => r.map(csvCell))]);
}

/** A GitHub-flavoured Markdown table; numbers rounded to `digits` significant digits. */
export function toMarkdown(table: Table, digits = 4): string {
  checkShape(table);
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const body = table.rows.map((r) => line(r.map((c) => mdCell(c, digits))));
  return [line(table.columns.map(escapeMd)), line(table.columns.map(() => '---')), ...body].join('\n') + '\n';
}

/** A number rounded for people: `digits` significant digits, exponent form outside [1e-3, 1e6). */
export function formatNumber(x: number, digits = 4): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (Number.isInteger(x) && a < 1e9) return String(x);
  if (a >= 1e-3 && a < 1e6) return String(Number(x.toPrecision(digits)));
  return x.toExponential(digits - 1);
}

/** Numbers in their shortest round-trip form (NaN, Infinity and -Infinity spelled out). */
function csvCell(c: Cell): string {
  return String(c);
}

function mdCell(c: Cell, digits: number): string {
  if (typeof c === 'number') return formatNumber(c, digits);
  if (typeof c === 'boolean') return c ? 'yes' : 'no';
  return escapeMd(c);
}

function escapeMd(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function checkShape(table: Table): void {
  table.rows.forEach((r, i) => {
    if (r.length !== table.columns.length)
      throw new RangeError(`table row ${i} has ${r.length} cells for ${table.columns.length} columns`);
  });
}
