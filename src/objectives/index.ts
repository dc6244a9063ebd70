/** The objectives: pure functions from rewards or answer likelihoods to per-token coefficients. */
export * from './algorithm.js';
export * from './coefficients.js';
export * from './garl.js';
export * from './grpo.js';
export * from './paft.js';
export * from './rloo.js';
export * from './schedule.js';
export * from './sft.js';
export * from './tsallis.js';
