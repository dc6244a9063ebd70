/**
 * Option helpers shared by the commands: the runtime options (--device, --threads) and validated
 * numeric flags. A bad value throws a UserError naming the flag and what was expected; yargs hands
 * it to main's fail handler, which prints one line and exits 2.
 */
import type { Argv, Options } from 'yargs';
import type { z } from 'zod';
import { loadConfig } from '../config/load.js';
import { deviceField, expectedOf, threadsField, type Config } from '../config/schema.js';
import { UserError } from '../errors.js';
import type { Device } from '../runtime/session.js';

export interface RuntimeArgs {
  device: Device;
  threads?: number;
}

/** The one value of a flag (a flag given twice arrives as a list). */
function single(flag: string, v: unknown): unknown {
  if (Array.isArray(v))
    throw new UserError(
      `--${flag}: expected one value, got ${v.length} (${v.map((x) => JSON.stringify(x)).join(', ')})`,
    );
  return v;
}

/** Parses an integer flag in [min, max]; for yargs `coerce`. */
export function integerFlag(
  flag: string,
  { min = -Infinity, max = Infinity }: { min?: number; max?: number } = {},
): (v: unknown) => number {
  const expected =
    min === 1 && max === Infinity
      ? 'a positive integer'
      : min === 0 && max === Infinity
        ? 'a non-negative integer'
        : max === Infinity
          ? `an integer >= ${min}`
          : `an integer in [${min}, ${max}]`;
  return (raw) => {
    const v = single(flag, raw);
    const text = typeof v === 'string' ? v.trim() : String(v);
    if (text === '' || v === undefined || v === null || typeof v === 'boolean')
      throw new UserError(`--${flag}: expected ${expected} after the flag`);
    const n = typeof v === 'number' ? v : /^[+-]?\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw new UserError(`--${flag}: expected ${expected}, got ${JSON.stringify(v)}`);
    return n;
  };
}

/** --seed: an integer in [0, 2^32), default 0 (the seeds of src/util/rng.ts). */
export function seedOption(describe: string): Options {
  return { default: 0, describe, coerce: integerFlag('seed', { min: 0, max: 0xffffffff }) };
}

/** Parses a flag that must be one of `choices` (case-insensitive); for yargs `coerce`. */
export function choiceFlag<T extends string>(flag: string, choices: readonly T[]): (v: unknown) => T {
  return (raw) => {
    const v = single(flag, raw);
    const text = String(v).toLowerCase();
    const hit = choices.find((c) => c.toLowerCase() === text);
    if (hit === undefined)
      throw new UserError(`--${flag}: expected one of ${choices.join(', ')}, got ${JSON.stringify(v)}`);
    return hit;
  };
}

/** A string flag that must not be empty (and not given twice). */
export function pathFlag(flag: string): (v: unknown) => string {
  return (raw) => {
    const v = single(flag, raw);
    if (typeof v !== 'string' || v === '') throw new UserError(`--${flag}: expected a path, got ${JSON.stringify(v)}`);
    return v;
  };
}

/** The `--model` option of generate, score and export: a local model directory or a cached Hub id. */
export const MODEL_OPTION = {
  type: 'string',
  demandOption: true,
  describe: 'Model directory (Hugging Face layout), or a Hub id in the Hugging Face cache (owner/name[@revision])',
  coerce: pathFlag('model'),
} as const;

/**
 * Parses a flag that sets the top-level config field `field` validates, so the flag and the config
 * accept the same values and say the same "expected ..." in their messages. `read` turns the text
 * into the field's type (yargs passes a number where the text looks like one).
 */
function configFieldFlag<T>(
  flag: string,
  field: z.ZodType<T>,
  read: (v: string | number) => unknown,
): (v: unknown) => T {
  const expected = expectedOf(field)!;
  return (raw) => {
    const v = single(flag, raw);
    if (v === undefined || v === null || v === '' || typeof v === 'boolean')
      throw new UserError(`--${flag}: expected ${expected} after the flag`);
    const r = field.safeParse(read(v as string | number));
    if (!r.success) throw new UserError(`--${flag}: expected ${expected}, got ${JSON.stringify(v)}`);
    return r.data;
  };
}

const parseDevice = configFieldFlag('device', deviceField, (v) => String(v).toLowerCase());
const parseThreads = configFieldFlag('threads', threadsField, (v) =>
  typeof v === 'string' && /^\s*\+?\d+\s*$/.test(v) ? Number(v) : v,
);

export const deviceOption: Options = {
  type: 'string',
  choices: deviceField.options,
  default: 'cpu',
  describe: 'Execution provider (cuda needs the CUDA build of onnxruntime-node)',
  coerce: parseDevice,
};

export const threadsOption: Options = {
  describe: "Intra-op threads of onnxruntime (0, the default: onnxruntime's choice, all cores)",
  coerce: parseThreads,
};

/** Adds --device and --threads. */
export function withRuntimeOptions<T>(y: Argv<T>): Argv<T & RuntimeArgs> {
  return y.option('device', deviceOption).option('threads', threadsOption) as unknown as Argv<T & RuntimeArgs>;
}

/** --device and --threads of the commands that read a config: given, they override its `device` and `threads`. */
export interface ConfigRuntimeArgs {
  device?: Device;
  threads?: number;
}

/** Adds --device and --threads as overrides of the config's fields (no defaults here: the config's apply). */
export function withConfigRuntimeOptions<T>(y: Argv<T>): Argv<T & ConfigRuntimeArgs> {
  const { default: _cpu, ...noDefault } = deviceOption; // an absent flag must leave the config's device
  const device: Options = {
    ...noDefault,
    describe: "Execution provider; sets the config's device (default there: cpu)",
  };
  const threads: Options = {
    ...threadsOption,
    describe:
      "Intra-op threads of onnxruntime; sets the config's threads (0, the default there: onnxruntime's choice, all cores)",
  };
  return y.option('device', device).option('threads', threads) as unknown as Argv<T & ConfigRuntimeArgs>;
}

/** The config of a command: the file, the --set overrides, then --device and --threads (as `--set device=...` would). */
export async function loadCommandConfig(a: { config: string; set?: string[] } & ConfigRuntimeArgs): Promise<Config> {
  const config = await loadConfig(a.config, a.set ?? []);
  return { ...config, device: a.device ?? config.device, threads: a.threads ?? config.threads };
}

/** Where on the command line yargs failed: the command words it had entered and what that level offers. */
export interface CommandLevel {
  /** The command words, e.g. [] at the top, ['data'] or ['train']. */
  path: string[];
  /** The command string of path's last command, e.g. 'report <dirs..>'. */
  usage?: string;
  /** The names of the subcommands at this level (the commands, at the top). */
  subcommands: string[];
  /** Whether the command takes --set (then a bare key=value gets a hint). */
  takesSet: boolean;
}

const TOP: CommandLevel = { path: [], subcommands: [], takesSet: false };

/** A positional that looks like a config override: `algorithm.q=0.5`, `seed=1`. */
const KEY_VALUE = /^[A-Za-z_][\w-]*(\.[\w-]+)*=/;

/**
 * One line for a yargs validation message (which may span lines) in the project's words, naming the
 * flag or argument and what was expected, e.g. `--device: expected one of cpu, cuda, webgpu, got "gpu"`.
 * `argv` is the command line and `level` where on it yargs failed (src/cli/commands.ts commandLevel).
 */
export function formatYargsMessage(msg: string, argv: readonly string[] = [], level: CommandLevel = TOP): string {
  const oneLine = msg.replace(/\s*\n\s*/g, ' ').trim();
  const words = argv.filter((a) => !a.startsWith('-'));
  const here = level.path.join(' ');
  const commandWord = words[level.path.length];
  const listed = level.subcommands.length ? ` (expected one of ${level.subcommands.join(', ')})` : '';

  const choices = /^Invalid values?: (.+)$/.exec(oneLine);
  if (choices) {
    const each = [...choices[1]!.matchAll(/Argument: ([^,]+), Given: (.+?), Choices: (.+?)(?= Argument: |$)/g)];
    if (each.length)
      return each
        .map(([, flag, given, allowed]) => `--${flag}: expected one of ${allowed!.replace(/"/g, '')}, got ${given}`)
        .join('; ');
  }
  const unknown = /^Unknown arguments?: (.+)$/.exec(oneLine);
  if (unknown) return unknownArguments(unknown[1]!.split(', '), argv, level, commandWord);
  const missing = /^Missing required arguments?: (.+)$/.exec(oneLine);
  if (missing) {
    const flags = missing[1]!.split(', ').map((f) => `--${f}`);
    return `missing required option${flags.length > 1 ? 's' : ''} ${flags.join(', ')}`;
  }
  const didYouMean = /^Did you mean (.+)\?$/.exec(oneLine);
  if (didYouMean)
    return `unknown command ${JSON.stringify([...level.path, commandWord].join(' '))}; did you mean ${[...level.path, didYouMean[1]].join(' ')}?`;
  const noValue = /^(?:Not enough arguments following|Missing argument values?): (.+)$/.exec(oneLine);
  if (noValue)
    return noValue[1]!
      .split(', ')
      .map((f) => `--${f}: expected a value after the flag`)
      .join('; ');
  const tooFew = /^Not enough non-option arguments: got (\d+), need at least (\d+)$/.exec(oneLine);
  if (tooFew) {
    if (level.subcommands.length) {
      if (commandWord !== undefined)
        return `unknown command ${JSON.stringify([...level.path, commandWord].join(' '))}${listed}`;
      return here
        ? `${here}: expected a subcommand, one of ${level.subcommands.join(', ')}`
        : `expected a command, one of ${level.subcommands.join(', ')}`;
    }
    const usage = level.usage ? ` (tsallis-run ${level.usage})` : '';
    return `${here || 'tsallis-run'}: expected at least ${tooFew[2]} argument${tooFew[2] === '1' ? '' : 's'}, got ${tooFew[1]}${usage}`;
  }
  const tooMany = /^Too many non-option arguments: got (\d+), maximum of (\d+)$/.exec(oneLine);
  if (tooMany)
    return `${here || 'tsallis-run'}: expected at most ${tooMany[2]} argument${tooMany[2] === '1' ? '' : 's'}, got ${tooMany[1]}`;
  const exclusive = /^Arguments (\S+) and (\S+) are mutually exclusive$/.exec(oneLine);
  if (exclusive) return `--${exclusive[1]} and --${exclusive[2]} cannot be given together`;
  const implied = /^Missing dependent arguments: (\S+) -> (\S+)/.exec(oneLine);
  if (implied) return `--${implied[1]} needs --${implied[2]}`;
  const unknownCommand = /^Unknown commands?: (.+)$/.exec(oneLine);
  if (unknownCommand)
    return `unknown command ${unknownCommand[1]!
      .split(', ')
      .map((c) => JSON.stringify([...level.path, c].join(' ')))
      .join(', ')}${listed}`;
  return oneLine;
}

/** yargs' "Unknown arguments" list in words: unknown flags together, then each other argument. */
function unknownArguments(
  names: readonly string[],
  argv: readonly string[],
  level: CommandLevel,
  commandWord: string | undefined,
): string {
  const flags: string[] = [];
  const others: string[] = [];
  for (const name of names) {
    // yargs names a flag without its dashes, and `--a.b=1` by its first segment ("a").
    const given = name.startsWith('-')
      ? name
      : argv.find((a) =>
          [`--${name}`, `-${name}`].some((f) => a === f || a.startsWith(`${f}=`) || a.startsWith(`${f}.`)),
        );
    const keyValue = given === undefined ? name : given.replace(/^-+/, '');
    if (level.takesSet && KEY_VALUE.test(keyValue))
      others.push(
        `${given ? `unknown option ${given.replace(/=.*$/, '')}` : name}: set config fields with --set ${keyValue}`,
      );
    else if (given !== undefined) flags.push(given.replace(/=.*$/, ''));
    else if (level.subcommands.length && name === commandWord)
      others.push(
        `unknown command ${JSON.stringify([...level.path, name].join(' '))} (expected one of ${level.subcommands.join(', ')})`,
      );
    else
      others.push(
        `unexpected argument ${JSON.stringify(name)}${level.path.length ? ` to ${level.path.join(' ')}` : ''} (see --help)`,
      );
  }
  const flagText = flags.length
    ? [`unknown option${flags.length > 1 ? 's' : ''} ${flags.join(', ')} (see --help for the options of this command)`]
    : [];
  return [...flagText, ...others].join('; ');
}
