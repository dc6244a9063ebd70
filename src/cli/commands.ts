import type { CommandModule } from 'yargs';
import { dataCommand, dataSubcommands } from './data.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { generateCommand } from './generate.js';
import { initModelCommand } from './init-model.js';
import { metricsCommand } from './metrics.js';
import { modelCommand, modelSubcommands } from './model.js';
import type { CommandLevel } from './options.js';
import { probeCommand } from './probe.js';
import { reportCommand } from './report.js';
import { scoreCommand } from './score.js';
import { theoryCommand } from './theory.js';
import { trainCommand } from './train.js';

/** Every command of the CLI, in the order `--help` lists them. Each lives in its own module. */
// biome-ignore lint/suspicious/noExplicitAny: each command module has its own argv type; yargs takes them as one list
export const commands: CommandModule<any, any>[] = [
  trainCommand,
  evalCommand,
  probeCommand,
  initModelCommand,
  modelCommand,
  scoreCommand,
  generateCommand,
  exportCommand,
  dataCommand,
  metricsCommand,
  reportCommand,
  theoryCommand,
];

/** The subcommands of the commands that have them. */
const SUBCOMMANDS: Record<string, readonly CommandModule[]> = { data: dataSubcommands, model: modelSubcommands };

/** The commands that read a config and take --set. */
const CONFIG_COMMANDS = new Set<unknown>([trainCommand, evalCommand, probeCommand]);

const nameOf = (c: CommandModule) => String(c.command).split(' ')[0]!;

/**
 * The command words at the start of the command line (its words that are not flags), as far as they
 * name commands, and what the level they reach offers: for messages about the command line.
 */
export function commandLevel(argv: readonly string[]): CommandLevel {
  let level: CommandLevel = { path: [], subcommands: commands.map(nameOf), takesSet: false };
  let offered: readonly CommandModule[] = commands;
  for (const word of argv.filter((a) => !a.startsWith('-'))) {
    const c = offered.find((x) => nameOf(x) === word);
    if (!c) break;
    offered = SUBCOMMANDS[word] ?? [];
    level = {
      path: [...level.path, word],
      usage: String(c.command),
      subcommands: offered.map(nameOf),
      takesSet: CONFIG_COMMANDS.has(c),
    };
    if (!offered.length) break;
  }
  return level;
}
