import type { CommandModule } from 'yargs';
import { dataCommand } from './data.js';
import { exportCommand } from './export.js';
import { initModelCommand } from './init-model.js';
import { metricsCommand } from './metrics.js';
import { reportCommand } from './report.js';
import { scoreCommand } from './score.js';
import { theoryCommand } from './theory.js';

/** Every command of the CLI, in the order `--help` lists them. Each lives in its own module. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  initModelCommand,
  scoreCommand,
  exportCommand,
  dataCommand,
  metricsCommand,
  reportCommand,
  theoryCommand,
];
