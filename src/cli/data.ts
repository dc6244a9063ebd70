/** `tsallis-run data prepare` and `tsallis-run data download`: the datasets, from the Hub to the study's subsets. */
import type { Argv, CommandModule } from 'yargs';
import { downloadDataset } from '../data/download.js';
import { prepareSubsets, SUBSET_SOURCE } from '../data/prepare.js';
import { parseSizes } from '../data/sizes.js';
import { SOURCES } from '../data/sources.js';
import { TASKS, type TaskName } from '../tasks/record.js';
import { seedOption } from './options.js';
import { sftMixCommand, synthCommand } from './synth.js';

const log = (line: string) => process.stderr.write(`${line}\n`);

interface PrepareArgs {
  task: TaskName;
  input: string[];
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
      .option('input', { type: 'string', array: true, demandOption: true, describe: 'Files or folders holding the official splits (as downloaded)' })
      .option('out', { type: 'string', demandOption: true, describe: 'Folder for train.jsonl, validation.jsonl, test.jsonl and manifest.json' })
      .option('sizes', { type: 'string', default: 'paper', describe: '"paper" or TRAIN/VAL/TEST, e.g. 200/50/50' })
      .option('seed', seedOption('Seed of the draw'))
      .option('ids', { type: 'string', describe: 'Rebuild the subsets listed in this manifest.json instead of drawing' })
      .epilogue(
        'Subsets come from: FinQA train<-train, validation<-dev, test<-test; HotPotQA and MuSiQue train<-train, validation and test<-dev (disjoint), ' +
          'since their official test answers are not public. See src/tasks/README.md.',
      ) as unknown as Argv<PrepareArgs>,
  handler: async (a) => {
    const m = await prepareSubsets({ task: a.task, inputs: a.input, outDir: a.out, sizes: parseSizes(a.sizes, a.task), seed: a.seed, idsFrom: a.ids, log });
    const src = SUBSET_SOURCE[a.task];
    log(`${a.task}: train ${m.subsets.train.ids.length} (official ${src.train}), validation ${m.subsets.validation.ids.length} (official ${src.validation}), test ${m.subsets.test.ids.length} (official ${src.test}); ids in ${a.out}/manifest.json`);
  },
};

interface DownloadArgs {
  task: TaskName;
  out: string;
  'hub-url'?: string;
  repo?: string;
  revision?: string;
  force: boolean;
}

export const downloadCommand: CommandModule<object, DownloadArgs> = {
  command: 'download',
  describe: 'Download a dataset from the Hugging Face Hub into <out>/<task>/ (resumable, cached)',
  builder: (y: Argv) =>
    y
      .option('task', { choices: TASKS, demandOption: true, describe: 'Dataset' })
      .option('out', { type: 'string', default: 'data/raw', describe: 'Folder to download into' })
      .option('hub-url', { type: 'string', describe: 'The Hub address (default $HF_ENDPOINT or https://huggingface.co)' })
      .option('repo', { type: 'string', describe: 'Another dataset repository with the same layout' })
      .option('revision', { type: 'string', describe: 'Another revision (branch, tag or commit)' })
      .option('force', { type: 'boolean', default: false, describe: 'Fetch again even when complete' })
      .epilogue(`Sources: ${TASKS.map((t) => `${t}: ${SOURCES[t].repo}@${SOURCES[t].revision}`).join('; ')}.`) as unknown as Argv<DownloadArgs>,
  handler: async (a) => {
    const r = await downloadDataset(a.task, { outDir: a.out, hubUrl: a['hub-url'], repo: a.repo, revision: a.revision, force: a.force, log });
    const counts = (s: string) => r.files.filter((f) => f.status === s).length;
    log(`${a.task}: ${r.files.length} files in ${r.dir} (${counts('downloaded')} downloaded, ${counts('resumed')} resumed, ${counts('cached')} already there)`);
    log(`next: tsallis-run data prepare --task ${a.task} --input ${r.dir} --out data/${a.task}`);
  },
};

export const dataSubcommands = [prepareCommand, downloadCommand, synthCommand, sftMixCommand] as CommandModule[];

export const dataCommand: CommandModule = {
  command: 'data <command>',
  describe: 'Download datasets and prepare the study subsets; write the synthetic mini-tasks',
  builder: (y: Argv) => dataSubcommands.reduce((acc, c) => acc.command(c), y).demandCommand(1),
  handler: () => {},
};
