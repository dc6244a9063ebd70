/** What every theory study returns: tables and plots to write, and the findings to check. */
import type { PlotSpec } from '../../plot/svg.js';
import type { Table } from '../../plot/table.js';

/** One measured number beside the value the theory predicts. */
export interface Finding {
  claim: string;
  measured: number;
  expected: number;
  /** |measured - expected| allowed */
  tolerance: number;
  ok: boolean;
}

export interface Study {
  /** short name, also the stem of its main files */
  id: string;
  title: string;
  /** what the study shows, in a sentence or two (Markdown) */
  description: string;
  /** written as <name>.csv and <name>.md */
  tables: { name: string; table: Table }[];
  /** written as <name>.svg */
  plots: { name: string; spec: PlotSpec }[];
  findings: Finding[];
}

export function finding(claim: string, measured: number, expected: number, tolerance: number): Finding {
  return { claim, measured, expected, tolerance, ok: Math.abs(measured - expected) <= tolerance };
}

export const Q_GRID = [0, 0.25, 0.5, 0.75, 1] as const;

/** Line colour of each q, shared by every plot. */
export function qColor(q: number): string {
  return ['#1f77b4', '#2ca02c', '#ff7f0e', '#d62728', '#9467bd'][Math.round(q * 4)] ?? '#333';
}
