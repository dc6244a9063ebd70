import yargs from 'yargs';
import type { CommandModule } from 'yargs';
import { UserError } from '../errors.js';
import { commands } from './commands.js';
import { formatYargsMessage } from './options.js';

/** Entry point of the `tsallis-run` command line. */
export async function main(argv: string[]): Promise<void> {
  const cli = yargs(argv)
    .scriptName('tsallis-run')
    .usage('$0 <command> [options]\n\nTrain reasoning language models with the Tsallis loss family (GRPO, GARL, PAFT) on ONNX Runtime.')
    .strict()
    .demandCommand(1, 'Name a command; `tsallis-run --help` lists them.')
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .fail((msg, err) => {
      // Errors of command handlers arrive here too: user errors print one line, bugs keep their stack.
      if (err && !(err instanceof UserError) && err.name !== 'YError') throw err;
      if (err instanceof UserError) process.stderr.write(`tsallis-run: ${err.message}\n`);
      else process.stderr.write(`tsallis-run: ${formatYargsMessage(err?.message ?? msg ?? 'invalid arguments', argv)}\nRun with --help for usage.\n`);
      process.exit(2);
    });
  for (const c of commands) cli.command(c as CommandModule);
  try {
    await cli.help().alias('h', 'help').version().parseAsync();
  } catch (err) {
    if (err instanceof UserError) {
      process.stderr.write(`tsallis-run: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}
