/**
 * The lines of a figure: the runs of one table cell (same row label, within one dataset and start)
 * drawn as one line, in the cell's style (colours.ts), in row order.
 */
import { cellStyle } from './colours.js';
import type { RunRecord } from './runs.js';
import { compareRuns } from './tables.js';

export interface CellLine {
  label: string;
  /** Legend name: the label ("GARL " dropped unless withMethod), "(n seeds)" for several runs, "(incomplete)" if asked and any run is. */
  name: string;
  runs: RunRecord[];
  color: string;
  dashed: boolean;
}

export function cellLines(
  runs: readonly RunRecord[],
  options: { withMethod?: boolean; markIncomplete?: boolean } = {},
): CellLine[] {
  const byLabel = new Map<string, RunRecord[]>();
  for (const r of [...runs].sort(compareRuns)) byLabel.set(r.label, [...(byLabel.get(r.label) ?? []), r]);
  return [...byLabel.entries()].map(([label, group]) => {
    const { method, q } = group[0]!;
    let name = options.withMethod === false ? label.replace(/^GARL /, '') : label;
    if (group.length > 1) name += ` (${group.length} seeds)`;
    if (options.markIncomplete && group.some((r) => r.status === 'incomplete')) name += ' (incomplete)';
    return { label, name, runs: group, ...cellStyle(method, q, label) };
  });
}
