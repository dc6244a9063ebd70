/** `tsallis-run model download`: a model from the Hugging Face Hub into the Hugging Face cache, for model.path. */
import type { Argv, CommandModule } from 'yargs';
import { formatHubId } from '../hub/id.js';
import { downloadModel } from '../model/download.js';

const log = (line: string) => process.stderr.write(`${line}\n`);

interface ModelDownloadArgs {
  id: string;
  'hub-url'?: string;
  refresh: boolean;
}

export const modelDownloadCommand: CommandModule<object, ModelDownloadArgs> = {
  command: 'download <id>',
  describe:
    'Download a model (owner/name or owner/name@revision) from the Hugging Face Hub into the Hugging Face cache',
  builder: (y: Argv) =>
    y
      .positional('id', {
        type: 'string',
        demandOption: true,
        describe: 'The model on the Hub, e.g. Qwen/Qwen3-0.6B or Qwen/Qwen3-0.6B@<commit>',
      })
      .option('hub-url', {
        type: 'string',
        describe: 'The Hub address (default $HF_ENDPOINT or https://huggingface.co)',
      })
      .option('refresh', {
        type: 'boolean',
        default: false,
        describe: 'Ask the Hub whether the revision has moved, even when the cache has the model',
      })
      .epilogue(
        'Every file of the repository at the revision goes to the Hugging Face cache: $HF_HUB_CACHE, else $HF_HOME/hub, else ' +
          '~/.cache/huggingface/hub (models--owner--name/snapshots/<commit>/...), where the Python tools find it too; a model already ' +
          'there is not fetched again. Then give the same id as model.path (or --model): it is read from the cache, offline. ' +
          'Prints the snapshot folder on stdout. A gated or private repository needs $HF_TOKEN.',
      ) as unknown as Argv<ModelDownloadArgs>,
  handler: async (a) => {
    const r = await downloadModel(a.id, { hubUrl: a['hub-url'], refresh: a.refresh, log });
    log(
      `${formatHubId(r.id)}: ${r.status === 'cached' ? 'already in the cache' : 'downloaded'}, commit ${r.commit}; use it as model.path: ${formatHubId(r.id)}`,
    );
    process.stdout.write(`${r.dir}\n`);
  },
};

export const modelSubcommands = [modelDownloadCommand] as CommandModule[];

export const modelCommand: CommandModule = {
  command: 'model <command>',
  describe: 'Download models from the Hugging Face Hub',
  builder: (y: Argv) => modelSubcommands.reduce((acc, c) => acc.command(c), y).demandCommand(1),
  handler: () => {},
};
