/**
 * mini-FinQA: a company's results in a small table (three metrics over three years) with a sentence or two
 * of text before and after it, and a numeric question needing one to three operations, written as a FinQA
 * program (meta.program) whose executed value is meta.exeAns. Numbers are whole and two-digit (millions),
 * and the generator picks them so that every answer is a whole number or a whole percentage: arithmetic
 * small enough for the tiny model to learn some of it, and no rounding questions.
 *
 * Question kinds (operations):
 * - change       (1): subtract(b, a)                        "what was the change in revenue from 2019 to 2020?"
 * - total        (1): add(a, b)                             "what was the total of revenue in 2019 and 2020?"
 * - gap          (1): subtract(x, y)                        "how much more was revenue than costs in 2020?"
 * - pct_change   (2): subtract(b, a), divide(#0, a)         "what was the percentage change in revenue ...?" -> 25%
 * - average      (3): add(a, b), add(#0, c), divide(#1, const_3)   "what was the average revenue from 2018 to 2020?"
 * - margin_change(3): subtract(x2, y2), subtract(x1, y1), subtract(#0, #1)  "what was the change in profit ...?"
 */
import type { Rng } from '../../util/rng.js';
import { pyRound } from '../finqa-program.js';
import { lineariseFinqa } from '../linearise.js';
import { COMPANIES, intIn, pick, sample, weighted, type SyntheticRecord } from './common.js';

const YEARS = ['2018', '2019', '2020'] as const;
const METRICS = ['revenue', 'costs', 'orders', 'wages', 'sales', 'stock'] as const;
const GOODS = ['bread', 'rope', 'wool', 'cheese', 'candles', 'honey', 'apples', 'paper', 'glass', 'tools'] as const;

export const FINQA_KINDS = ['change', 'total', 'gap', 'pct_change', 'average', 'margin_change'] as const;
export type FinqaKind = (typeof FINQA_KINDS)[number];
/** How often each kind is drawn: one-step questions are half the data, two- and three-step the rest. */
const KIND_WEIGHTS = [2, 1, 1, 2, 1, 1];
export const FINQA_OPS_OF: Record<FinqaKind, number> = {
  change: 1,
  total: 1,
  gap: 1,
  pct_change: 2,
  average: 3,
  margin_change: 3,
};

interface Table {
  metrics: string[];
  /** values[metric][year index] */
  values: number[][];
}

function num(x: number): string {
  return String(x);
}

/** One mini-FinQA record. */
export function generateFinqa(rng: Rng, id: string): SyntheticRecord {
  const company = pick(rng, COMPANIES);
  const goods = pick(rng, GOODS);
  const kind = FINQA_KINDS[weighted(rng, KIND_WEIGHTS)]!;
  const metrics = sample(rng, METRICS, 3);
  const values: number[][] = metrics.map(() => YEARS.map(() => intIn(rng, 10, 99)));
  const table: Table = { metrics, values };
  const m = rng.int(3); // the metric asked about
  const metric = metrics[m]!;

  let question: string;
  let program: string;
  let value: number;
  let answer: string;
  let rationale: string;
  const [y1, y2] = rng.int(2) === 0 ? [0, 1] : [1, 2];

  switch (kind) {
    case 'change': {
      const a = values[m]![y1]!;
      const b = values[m]![y2]!;
      value = b - a;
      question = `what was the change in ${metric} from ${YEARS[y1]} to ${YEARS[y2]}?`;
      program = `subtract(${b}, ${a})`;
      answer = num(value);
      rationale = `${metric} was ${a} in ${YEARS[y1]} and ${b} in ${YEARS[y2]}. ${b} - ${a} = ${value}.`;
      break;
    }
    case 'total': {
      const a = values[m]![y1]!;
      const b = values[m]![y2]!;
      value = a + b;
      question = `what was the total ${metric} in ${YEARS[y1]} and ${YEARS[y2]}?`;
      program = `add(${a}, ${b})`;
      answer = num(value);
      rationale = `${metric} was ${a} in ${YEARS[y1]} and ${b} in ${YEARS[y2]}. ${a} + ${b} = ${value}.`;
      break;
    }
    case 'gap': {
      const y = rng.int(3);
      const other = (m + 1 + rng.int(2)) % 3;
      // Make the asked metric the larger one, so the answer is positive.
      if (values[m]![y]! <= values[other]![y]!)
        [values[m]![y], values[other]![y]] = [values[other]![y]! + intIn(rng, 1, 9), values[m]![y]!];
      const x = values[m]![y]!;
      const z = values[other]![y]!;
      value = x - z;
      question = `how much more was ${metric} than ${metrics[other]} in ${YEARS[y]}?`;
      program = `subtract(${x}, ${z})`;
      answer = num(value);
      rationale = `in ${YEARS[y]} ${metric} was ${x} and ${metrics[other]} was ${z}. ${x} - ${z} = ${value}.`;
      break;
    }
    case 'pct_change': {
      // a = 20 k, change = a * p / 100 with p a multiple of 5: a whole change and a whole percentage.
      const a = 20 * intIn(rng, 1, 4);
      const p = 5 * intIn(rng, -8, 10) || 10;
      const b = a + (a * p) / 100;
      values[m]![y1] = a;
      values[m]![y2] = b;
      const change = b - a;
      value = change / a;
      question = `what was the percentage change in ${metric} from ${YEARS[y1]} to ${YEARS[y2]}?`;
      program = `subtract(${b}, ${a}), divide(#0, ${a})`;
      answer = `${p}%`;
      rationale = `${metric} was ${a} in ${YEARS[y1]} and ${b} in ${YEARS[y2]}. ${b} - ${a} = ${change}. ${change} / ${a} = ${pyRound(value, 5)}, so ${p}%.`;
      break;
    }
    case 'average': {
      // Make the three-year sum a multiple of 3.
      const row = values[m]!;
      row[2] = row[2]! + ((3 - ((row[0]! + row[1]! + row[2]!) % 3)) % 3);
      const [a, b, c] = row as [number, number, number];
      const s1 = a + b;
      const s2 = s1 + c;
      value = s2 / 3;
      question = `what was the average ${metric} from ${YEARS[0]} to ${YEARS[2]}?`;
      program = `add(${a}, ${b}), add(#0, ${c}), divide(#1, const_3)`;
      answer = num(value);
      rationale = `${metric} was ${a}, ${b} and ${c}. ${a} + ${b} = ${s1}. ${s1} + ${c} = ${s2}. ${s2} / 3 = ${value}.`;
      break;
    }
    case 'margin_change': {
      const other = (m + 1 + rng.int(2)) % 3;
      const x1 = values[m]![y1]!;
      const z1 = values[other]![y1]!;
      const x2 = values[m]![y2]!;
      const z2 = values[other]![y2]!;
      const d2 = x2 - z2;
      const d1 = x1 - z1;
      value = d2 - d1;
      question = `what was the change in ${metric} less ${metrics[other]} from ${YEARS[y1]} to ${YEARS[y2]}?`;
      program = `subtract(${x2}, ${z2}), subtract(${x1}, ${z1}), subtract(#0, #1)`;
      answer = num(value);
      rationale = `in ${YEARS[y2]} ${x2} - ${z2} = ${d2}. in ${YEARS[y1]} ${x1} - ${z1} = ${d1}. ${d2} - ${d1} = ${value}.`;
      break;
    }
  }

  const rows: string[][] = [
    ['year', ...YEARS],
    ...table.metrics.map((name, i) => [name, ...table.values[i]!.map(num)]),
  ];
  const pre = [`${company} makes ${goods}.`, 'figures are in millions.'];
  const post = [`${company} had ${intIn(rng, 3, 40)} stores at the end of ${YEARS[2]}.`];
  const context = lineariseFinqa(pre, rows, post);
  return {
    task: 'finqa',
    id,
    question,
    context,
    answer,
    aliases: [],
    meta: { program, exeAns: pyRound(value, 5), table: rows },
    rationale,
  };
}
