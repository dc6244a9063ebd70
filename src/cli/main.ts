import yargs from 'yargs';
import type { CommandModule } from 'yargs';
import { UserError } from '../errors.js';
import { commandLevel, commands } from './commands.js';
import { formatYargsMessage } from './options.js';
import { describeSystemError } from './system-errors.js';

/** Entry point of the `tsallis-run` command line. */
export async function main(argv: string[]): Promise<void> {
  let verbose = false;
  const cli = yargs(argv)
    .scriptName('tsallis-run')
    .usage(
      '$0 <command> [options]\n\nTrain reasoning language models with the Tsallis loss family (GRPO, GARL, PAFT) on ONNX Runtime.',
    )
    // English whatever LANG says: yargs would otherwise translate its help and messages.
    .locale('en')
    .strict()
    .demandCommand(1)
    .recommendCommands()
    .option('verbose', { type: 'boolean', global: true, description: 'Print the stack trace of an error' })
    .middleware((a) => {
      verbose = a.verbose === true;
    })
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .fail((msg, err) => {
      // Errors of command handlers arrive here too: user and system errors print one line, bugs keep their stack.
      if (err && err.name !== 'YError') {
        exitOnKnownError(err, verbose);
        throw err;
      }
      process.stderr.write(
        `tsallis-run: ${formatYargsMessage(err?.message ?? msg ?? 'invalid arguments', argv, commandLevel(argv))}\nRun with --help for usage.\n`,
      );
      process.exit(2);
    });
  for (const c of commands) cli.command(c as CommandModule);
  try {
    await cli.help().alias('h', 'help').version().parseAsync();
  } catch (err) {
    exitOnKnownError(err, verbose);
    throw err;
  }
}

/**
 * Exits on a user error (2) or a system error such as a full or read-only disk (1), printing one
 * line, and the stack trace too with --verbose. Returns for anything else: a bug.
 */
function exitOnKnownError(err: unknown, verbose: boolean): void {
  const line = err instanceof UserError ? err.message : describeSystemError(err);
  if (line === null) return;
  process.stderr.write(`tsallis-run: ${line}\n`);
  if (verbose && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exit(err instanceof UserError ? 2 : 1);
}
