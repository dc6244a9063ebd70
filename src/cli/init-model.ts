/** `tsallis-run init-model`: a randomly initialised model of a preset, in Hugging Face layout. */
import type { Argv, CommandModule } from 'yargs';
import { UserError } from '../errors.js';
import { initModel, isEmptyOrMissing } from '../model/checkpoint.js';
import { parameterCount } from '../model/config.js';
import { PRESETS, type Preset } from '../model/presets.js';
import type { WriteDtype } from '../model/safetensors.js';
import { choiceFlag, pathFlag, seedOption } from './options.js';

const DTYPES = ['f32', 'bf16', 'f16'] as const;
type DtypeFlag = (typeof DTYPES)[number];
const WRITE_DTYPE: Record<DtypeFlag, WriteDtype> = { f32: 'F32', bf16: 'BF16', f16: 'F16' };

export interface InitModelArgs {
  preset: Preset;
  out: string;
  seed: number;
  dtype: DtypeFlag;
  force: boolean;
}

/** What the command does, callable from tests; returns the summary line it prints. */
export async function runInitModel(a: InitModelArgs): Promise<string> {
  if (!a.force && !(await isEmptyOrMissing(a.out))) {
    throw new UserError(`--out: ${a.out} exists and is not an empty directory; pass --force to replace it`);
  }
  const t0 = performance.now();
  const config = await initModel(a.preset, a.out, { seed: a.seed, dtype: WRITE_DTYPE[a.dtype] });
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  const millions = (parameterCount(config) / 1e6).toFixed(1);
  return `${a.preset}: ${millions}M parameters (${a.dtype}, seed ${a.seed}) written to ${a.out} in ${seconds}s`;
}

export const initModelCommand: CommandModule<object, InitModelArgs> = {
  command: 'init-model',
  describe:
    'Write a randomly initialised model (config.json, model.safetensors, tokenizer files) in Hugging Face layout',
  builder: (y: Argv) =>
    y
      .option('preset', {
        type: 'string',
        choices: PRESETS,
        demandOption: true,
        describe: 'Model shape',
        coerce: choiceFlag('preset', PRESETS),
      })
      .option('out', {
        type: 'string',
        demandOption: true,
        describe: 'Model directory to write',
        coerce: pathFlag('out'),
      })
      .option('seed', seedOption('Seed of the random weights'))
      .option('dtype', {
        type: 'string',
        choices: DTYPES,
        default: 'f32',
        describe: 'On-disk dtype of the weights',
        coerce: choiceFlag('dtype', DTYPES),
      })
      .option('force', { type: 'boolean', default: false, describe: 'Replace --out if it already holds files' })
      .epilogue(
        "tiny, small and llama3.2-tiny (Llama 3.2's config shape) use the project tokenizer (src/model/tokenizer-corpus.txt); qwen3-0.6b uses the real Qwen3 tokenizer. " +
          'The directory is written whole (into <out>.tmp-<pid>, then renamed), so an interrupted run leaves no partial model.',
      ) as unknown as Argv<InitModelArgs>,
  handler: async (a) => {
    process.stderr.write(`${await runInitModel(a)}\n`);
  },
};
