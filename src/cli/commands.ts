import type { CommandModule } from 'yargs';

/** Every command of the CLI, in the order `--help` lists them. Each lives in its own module. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [];
