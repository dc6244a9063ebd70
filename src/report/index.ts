/** The report: study tables, a table of runs, training curves and a flat summary CSV from run directories. */
export * from './curves.js';
export * from './report.js';
export * from './runs.js';
export * from './summary.js';
export * from './tables.js';
