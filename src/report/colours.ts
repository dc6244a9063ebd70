/**
 * The style of a table cell (method and q) in every figure of every report: the algorithms with a q
 * (GARL, PAFT: hasQ in src/objectives/algorithm.ts) take the colour of their q on a fixed scale, PAFT
 * dashed; GRPO, RLOO, SFT and the base model a fixed colour each; a q schedule a colour picked by its
 * label. Nothing depends on which runs a figure holds.
 */
import type { Method } from '../run-dir/json.js';
import { ALGORITHMS } from '../objectives/algorithm.js';

// The study's q grid, each its own colour; another q is interpolated between its neighbours.
const Q_STOPS: readonly (readonly [number, string])[] = [
  [0, '#1f77b4'],
  [0.25, '#2ca02c'],
  [0.5, '#ff7f0e'],
  [0.75, '#d62728'],
  [1, '#9467bd'],
];
const METHOD_COLOURS: Record<string, string> = { base: '#000000', grpo: '#7f7f7f', rloo: '#bcbd22', sft: '#17becf' };
const SCHEDULE_COLOURS = ['#8c564b', '#e377c2', '#637939', '#843c39'];

export interface Style {
  color: string;
  dashed: boolean;
}

/** The colour of q in [0, 1], the same in every figure. */
export function qColor(q: number): string {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`qColor: q must be in [0, 1], got ${q}`);
  const i = Q_STOPS.findIndex(([at]) => at >= q);
  const [q1, c1] = Q_STOPS[i]!;
  if (q1 === q) return c1;
  const [q0, c0] = Q_STOPS[i - 1]!;
  const t = (q - q0) / (q1 - q0);
  const rgb = (c: string) => [1, 3, 5].map((k) => parseInt(c.slice(k, k + 2), 16));
  const a = rgb(c0),
    b = rgb(c1);
  return (
    '#' +
    a
      .map((v, k) =>
        Math.round(v + t * (b[k]! - v))
          .toString(16)
          .padStart(2, '0'),
      )
      .join('')
  );
}

/** The style of a cell, from its method, constant q (or null) and row label (for schedules). */
export function cellStyle(method: Method | null, q: number | null, label: string): Style {
  const dashed = method === 'paft';
  if (method !== null && method !== 'base' && ALGORITHMS[method].hasQ) {
    if (q !== null) return { color: qColor(q), dashed };
    return { color: SCHEDULE_COLOURS[hash(label.replace(/^\S+ /, '')) % SCHEDULE_COLOURS.length]!, dashed };
  }
  return { color: METHOD_COLOURS[method ?? ''] ?? '#000000', dashed };
}

/** A small string hash (FNV-1a), so that a schedule keeps its colour from report to report. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
