/** The report: study tables (seeds aggregated), a table of runs, training curves, diagnostic figures, per-run figures and flat summary CSVs from run directories. */
export * from './cells.js';
export * from './colours.js';
export * from './curves.js';
export * from './diagnostics.js';
export * from './quantities.js';
export * from './report.js';
export * from './run-figure.js';
export * from './runs.js';
export * from './seed-series.js';
export * from './slug.js';
export * from './smooth.js';
export * from './stats.js';
export * from './summary.js';
export * from './tables.js';
