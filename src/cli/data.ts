/** `tsallis-run data prepare` and `tsallis-run data download`: the datasets, from the Hub to the study's subsets. */
import type { Argv, CommandModule } from 'yargs';
import { UserError } from '../errors.js';
import { cachedDataset, downloadDataset } from '../data/download.js';
import { prepareSubsets, SUBSET_SOURCE } from '../data/prepare.js';
import { parseSizes } from '../data/sizes.js';
import { SOURCES } from '../data/sources.js';
import { TASKS, type TaskName } from '../tasks/record.js';
import { seedOption } from './options.js';
import { sftMixCommand, synthCommand } from './synth.js';

const log = (line: string) => process.stderr.write(`${line}\n`);

interface PrepareArgs {
  task: TaskName;
  input?: string[];
  repo?: string;
  revision?: string;
  out: string;
  sizes: string;
  seed: number;
  ids?: string;
}

export const prepareCommand: CommandModule<object, PrepareArgs> = {
  command: 'prepare',
  describe: "Draw the study's train/validation/test subsets from the official splits (deterministic from --seed)",
  builder: (y: Argv) =>
    y
      .option('task', { choices: TASKS, demandOption: true, describe: 'Dataset' })
      .option('input', {
        type: 'string',
        array: true,
        describe:
          'Files or folders holding the official splits (default: the files `data download` put in the Hugging Face cache)',
      })
      .option('repo', {
        type: 'string',
        describe: 'Without --input: the dataset repository downloaded with `data download --repo`',
      })
      .option('revision', {
        type: 'string',
        describe: 'Without --input: the revision downloaded with `data download --revision`',
      })
      .option('out', {
        type: 'string',
        demandOption: true,
        describe: 'Folder for train.jsonl, validation.jsonl, test.jsonl and manifest.json',
      })
      .option('sizes', { type: 'string', default: 'paper', describe: '"paper" or TRAIN/VAL/TEST, e.g. 200/50/50' })
      .option('seed', seedOption('Seed of the draw'))
      .option('ids', {
        type: 'string',
        describe: 'Rebuild the subsets listed in this manifest.json instead of drawing',
      })
      .epilogue(
        'Subsets come from: FinQA train<-train, validation<-dev, test<-test; HotPotQA and MuSiQue train<-train, validation and test<-dev (disjoint), ' +
          'since their official test answers are not public. See src/tasks/README.md.',
      ) as unknown as Argv<PrepareArgs>,
  handler: async (a) => {
    let inputs = a.input;
    if (!inputs) {
      const cached = await cachedDataset(a.task, { repo: a.repo, revision: a.revision });
      log(`${a.task}: reading ${cached.dir}`);
      inputs = cached.files;
    } else if (a.repo !== undefined || a.revision !== undefined)
      throw new UserError('--repo and --revision choose the cached download to read; with --input, leave them out');
    const m = await prepareSubsets({
      task: a.task,
      inputs,
      outDir: a.out,
      sizes: parseSizes(a.sizes, a.task),
      seed: a.seed,
      idsFrom: a.ids,
      log,
    });
    const src = SUBSET_SOURCE[a.task];
    log(
      `${a.task}: train ${m.subsets.train.ids.length} (official ${src.train}), validation ${m.subsets.validation.ids.length} (official ${src.validation}), test ${m.subsets.test.ids.length} (official ${src.test}); ids in ${a.out}/manifest.json`,
    );
  },
};

interface DownloadArgs {
  task: TaskName;
  'hub-url'?: string;
  repo?: string;
  revision?: string;
  refresh: boolean;
  out?: string;
}

export const downloadCommand: CommandModule<object, DownloadArgs> = {
  command: 'download',
  describe: 'Download a dataset from the Hugging Face Hub into the Hugging Face cache (shared with the Python tools)',
  builder: (y: Argv) =>
    y
      .option('task', { choices: TASKS, demandOption: true, describe: 'Dataset' })
      .option('hub-url', {
        type: 'string',
        describe: 'The Hub address (default $HF_ENDPOINT or https://huggingface.co)',
      })
      .option('repo', { type: 'string', describe: 'Another dataset repository with the same layout' })
      .option('revision', { type: 'string', describe: 'Another revision (branch, tag or commit)' })
      .option('refresh', {
        type: 'boolean',
        default: false,
        describe: 'Ask the Hub whether the revision has moved, even when the cache has the files',
      })
      .option('out', { type: 'string', hidden: true })
      .epilogue(
        `Sources: ${TASKS.map((t) => `${t}: ${SOURCES[t].repo}@${SOURCES[t].revision}`).join('; ')}. ` +
          'Files go to the Hugging Face cache: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub ' +
          '(datasets--owner--name/snapshots/<commit>/...); a dataset already there is not fetched again. ' +
          'A gated or private repository needs $HF_TOKEN. $HF_HUB_OFFLINE=1 reads the cache only.',
      ) as unknown as Argv<DownloadArgs>,
  handler: async (a) => {
    if (a.out !== undefined) {
      throw new UserError(
        '--out: data download now keeps the files in the Hugging Face cache ($HF_HOME/hub); set HF_HOME or HF_HUB_CACHE to choose it, and run `data prepare` without --input',
      );
    }
    const r = await downloadDataset(a.task, {
      hubUrl: a['hub-url'],
      repo: a.repo,
      revision: a.revision,
      refresh: a.refresh,
      log,
    });
    const counts = (s: string) => r.files.filter((f) => f.status === s).length;
    log(
      `${a.task}: ${r.files.length} files of ${r.repo.name}@${r.revision} (commit ${r.commit}) in ${r.dir} (${counts('downloaded')} downloaded, ${counts('cached')} already there)`,
    );
    const src = [a.repo ? ` --repo ${a.repo}` : '', a.revision ? ` --revision ${a.revision}` : ''].join('');
    log(`next: tsallis-run data prepare --task ${a.task}${src} --out data/${a.task}`);
  },
};

export const dataSubcommands = [prepareCommand, downloadCommand, synthCommand, sftMixCommand] as CommandModule[];

export const dataCommand: CommandModule = {
  command: 'data <command>',
  describe: 'Download datasets and prepare the study subsets; write the synthetic mini-tasks',
  builder: (y: Argv) => dataSubcommands.reduce((acc, c) => acc.command(c), y).demandCommand(1),
  handler: () => {},
};
