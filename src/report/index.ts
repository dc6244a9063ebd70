/** The report: study tables (seeds aggregated), a table of runs, training curves, diagnostic figures and flat summary CSVs from run directories. */
export * from './curves.js';
export * from './diagnostics.js';
export * from './report.js';
export * from './runs.js';
export * from './stats.js';
export * from './summary.js';
export * from './tables.js';
