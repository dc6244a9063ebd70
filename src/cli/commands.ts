import type { CommandModule } from 'yargs';
import { dataCommand } from './data.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { generateCommand } from './generate.js';
import { initModelCommand } from './init-model.js';
import { metricsCommand } from './metrics.js';
import { probeCommand } from './probe.js';
import { reportCommand } from './report.js';
import { scoreCommand } from './score.js';
import { theoryCommand } from './theory.js';
import { trainCommand } from './train.js';

/** Every command of the CLI, in the order `--help` lists them. Each lives in its own module. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  trainCommand,
  evalCommand,
  probeCommand,
  initModelCommand,
  scoreCommand,
  generateCommand,
  exportCommand,
  dataCommand,
  metricsCommand,
  reportCommand,
  theoryCommand,
];
