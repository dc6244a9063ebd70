/**
 * Option helpers shared by the commands: the runtime options (--device, --threads) and validated
 * numeric flags. A bad value throws a UserError naming the flag and what was expected; yargs hands
 * it to main's fail handler, which prints one line and exits 2.
 */
import type { Argv, Options } from 'yargs';
import { UserError } from '../errors.js';
import { DEVICES, type Device } from '../runtime/session.js';

export interface RuntimeArgs {
  device: Device;
  threads?: number;
}

/** The one value of a flag (a flag given twice arrives as a list). */
function single(flag: string, v: unknown): unknown {
  if (Array.isArray(v)) throw new UserError(`--${flag}: expected one value, got ${v.length} (${v.map((x) => JSON.stringify(x)).join(', ')})`);
  return v;
}

/** Parses an integer flag in [min, max]; for yargs `coerce`. */
export function integerFlag(flag: string, { min = -Infinity, max = Infinity }: { min?: number; max?: number } = {}): (v: unknown) => number {
  const expected =
    min === 1 && max === Infinity ? 'a positive integer'
    : min === 0 && max === Infinity ? 'a non-negative integer'
    : max === Infinity ? `an integer >= ${min}`
    : `an integer in [${min}, ${max}]`;
  return (raw) => {
    const v = single(flag, raw);
    const text = typeof v === 'string' ? v.trim() : String(v);
    if (text === '' || v === undefined || v === null || typeof v === 'boolean') throw new UserError(`--${flag}: expected ${expected} after the flag`);
    const n = typeof v === 'number' ? v : /^[+-]?\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new UserError(`--${flag}: expected ${expected}, got ${JSON.stringify(v)}`);
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
    if (hit === undefined) throw new UserError(`--${flag}: expected one of ${choices.join(', ')}, got ${JSON.stringify(v)}`);
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

export const deviceOption: Options = {
  type: 'string',
  choices: DEVICES as Device[],
  default: 'cpu',
  describe: 'Execution provider (cuda needs the CUDA build of onnxruntime-node)',
  coerce: choiceFlag('device', DEVICES),
};

export const threadsOption: Options = {
  describe: "Intra-op threads of onnxruntime (default: onnxruntime's choice, all cores)",
  coerce: integerFlag('threads', { min: 1 }),
};

/** Adds --device and --threads. */
export function withRuntimeOptions<T>(y: Argv<T>): Argv<T & RuntimeArgs> {
  return y.option('device', deviceOption).option('threads', threadsOption) as unknown as Argv<T & RuntimeArgs>;
}

/**
 * One line for a yargs validation message (which may span lines), with the flag written as --flag
 * and what was expected, e.g. `--device: expected one of cpu, cuda, webgpu, got "gpu"`.
 */
export function formatYargsMessage(msg: string, argv: readonly string[] = []): string {
  const oneLine = msg.replace(/\s*\n\s*/g, ' ').trim();
  const choices = /^Invalid values?: Argument: ([^,]+), Given: (.+), Choices: (.+)$/.exec(oneLine);
  if (choices) return `--${choices[1]}: expected one of ${choices[3]!.replace(/"/g, '')}, got ${choices[2]}`;
  const unknown = /^Unknown arguments?: (.+)$/.exec(oneLine);
  if (unknown) {
    const names = unknown[1]!.split(', ');
    const given = (f: string) => argv.some((a) => a === f || a.startsWith(`${f}=`));
    const flags = names.map((n) => (n.startsWith('-') ? n : given(`--${n}`) ? `--${n}` : given(`-${n}`) ? `-${n}` : undefined));
    if (flags.every((f) => f !== undefined)) {
      return `unknown option${flags.length > 1 ? 's' : ''} ${flags.join(', ')} (see --help for the options of this command)`;
    }
    return `unknown command or argument${names.length > 1 ? 's' : ''} ${names.map((n) => JSON.stringify(n)).join(', ')} (see --help)`;
  }
  const missing = /^Missing required arguments?: (.+)$/.exec(oneLine);
  if (missing) {
    const flags = missing[1]!.split(', ').map((f) => `--${f}`);
    return `missing required option${flags.length > 1 ? 's' : ''} ${flags.join(', ')}`;
  }
  const didYouMean = /^Did you mean (.+)\?$/.exec(oneLine);
  if (didYouMean) return `unknown command${argv[0] ? ` ${JSON.stringify(argv[0])}` : ''}; did you mean ${didYouMean[1]}?`;
  const noValue = /^Not enough arguments following: (.+)$/.exec(oneLine);
  if (noValue) return `--${noValue[1]}: expected a value after the flag`;
  return oneLine;
}
