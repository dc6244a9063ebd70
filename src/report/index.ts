/** The report: study tables, a table of runs and training curves from run directories. */
export * from './curves.js';
export * from './report.js';
export * from './runs.js';
export * from './tables.js';
