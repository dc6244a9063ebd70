/** The experiment: training loop, steps, checkpoints, evaluation runs (layout.ts: the run directory). */
export * from './data-order.js';
export * from './eval-run.js';
export * from './evaluate.js';
export * from './gradients.js';
export * from './items.js';
export * from './likelihood.js';
export * from './logging.js';
export * from './progress.js';
export * from './prompting.js';
export * from './sequences.js';
export * from './step.js';
export * from './streams.js';
export * from './task-data.js';
export * from './tensorboard.js';
export * from './timer.js';
export * from './train.js';
export * from './trainer-checkpoint.js';
