/**
 * A numeric match for free-form FinQA answers (the study grades a generated answer, not a program; the official
 * script has no such notion, so this rule is the project's, documented in src/tasks/README.md):
 *  - the answer's number is the last number in the text, after removing "$", thousands commas and spaces;
 *    "(x)" means -x; "x%" means x/100; "yes"/"no" are compared as words;
 *  - it matches the gold exe_ans when |p - g| <= 1% of |g| (absolute floor 1e-6), which accepts answers rounded
 *    to about three significant figures;
 *  - a number written without "%" is also compared with 100 * g, since exe_ans holds percentages as fractions
 *    (0.14056) while people write "14.1".
 */
import { squadNormalize } from './normalize.js';

export const RELATIVE_TOLERANCE = 0.01;
export const ABSOLUTE_FLOOR = 1e-6;

export interface ParsedNumber {
  value: number;
  percent: boolean;
}

const NUMBER = /(\()?\s*(-|−)?\s*\$?\s*(\d[\d,]*(?:\.\d+)?|\.\d+)\s*(\))?\s*(%)?/g;

/** The last number of a free-form answer, or "yes"/"no", or null. */
export function parseFreeformNumber(text: string): ParsedNumber | 'yes' | 'no' | null {
  const words = squadNormalize(text);
  if (words === 'yes' || words === 'no') return words;
  let last: ParsedNumber | null = null;
  for (const m of text.matchAll(NUMBER)) {
    const digits = m[3]!.replace(/,/g, '');
    let v = Number(digits);
    if (!Number.isFinite(v)) continue;
    if (m[2] || (m[1] && m[4])) v = -v;
    const percent = m[5] === '%';
    last = { value: percent ? v / 100 : v, percent };
  }
  return last;
}

function close(p: number, g: number): boolean {
  return Math.abs(p - g) <= Math.max(RELATIVE_TOLERANCE * Math.abs(g), ABSOLUTE_FLOOR);
}

/** Whether a free-form answer matches the gold exe_ans under the tolerance above. */
export function numericMatch(prediction: string, gold: number | string | null): boolean {
  if (gold === null) return false;
  const p = parseFreeformNumber(prediction);
  if (p === null) return false;
  if (typeof gold === 'string') return typeof p === 'string' && p === squadNormalize(gold);
  if (typeof p === 'string') return false;
  return close(p.value, gold) || (!p.percent && close(p.value, 100 * gold));
}
