/**
 * `tsallis-run eval --config FILE --checkpoint DIR [--split train|validation|test] [--samples 16] [--out DIR] [--force]`:
 * p@1, p@k and m@k (relaxed match, majority vote of normalised answers) and the task's official
 * metrics of one checkpoint, with per-question predictions (src/experiment/eval/run.ts). By default
 * into <output.dir>/eval-<checkpoint folder name>/, never over the training run's own files.
 */
import type { Argv, CommandModule } from 'yargs';
import { runEvaluation, type EvalRunResult } from '../experiment/eval/run.js';
import type { Split } from '../run-dir/paths.js';
import { evalProgress } from '../experiment/progress.js';
import {
  choiceFlag,
  integerFlag,
  loadCommandConfig,
  pathFlag,
  withConfigRuntimeOptions,
  type ConfigRuntimeArgs,
} from './options.js';

const SPLITS = ['train', 'validation', 'test'] as const;

export interface EvalArgs extends ConfigRuntimeArgs {
  config: string;
  set?: string[];
  checkpoint: string;
  split?: Split;
  samples?: number;
  out?: string;
  force?: boolean;
  limit?: number;
}

export async function runEvalCommand(a: EvalArgs): Promise<EvalRunResult> {
  const config = await loadCommandConfig(a);
  // A bar on a terminal, else a line each tenth of the questions.
  const progress = evalProgress(a.split ?? config.eval.split, process.stderr.isTTY === true, (line) =>
    process.stderr.write(`${line}\n`),
  );
  try {
    return await runEvaluation(config, {
      checkpoint: a.checkpoint,
      split: a.split,
      samples: a.samples,
      out: a.out,
      force: a.force,
      limit: a.limit,
      onProgress: progress.update,
    });
  } finally {
    progress.stop();
  }
}

const pct = (x: number | undefined) => (x === undefined ? '' : x.toFixed(1));

export const evalCommand: CommandModule<object, EvalArgs> = {
  command: 'eval',
  describe:
    'Evaluate a checkpoint: p@1, p@k, m@k (relaxed match) and the official EM/F1, with per-question predictions',
  builder: (y: Argv) =>
    withConfigRuntimeOptions(
      y
        .option('config', {
          type: 'string',
          demandOption: true,
          describe: 'Experiment config (YAML): task, prompts, eval sampling, seed',
          coerce: pathFlag('config'),
        })
        .option('set', { type: 'string', array: true, describe: 'Override a config field (repeatable)' }),
    )
      .option('checkpoint', {
        type: 'string',
        demandOption: true,
        describe:
          "Checkpoint or model directory (Hugging Face layout); a run's checkpoints/checkpoint-N (after N steps) is also found by its earlier name step-(N-1)",
        coerce: pathFlag('checkpoint'),
      })
      .option('split', {
        type: 'string',
        choices: SPLITS,
        describe:
          'Split to evaluate (default: eval.split of the config); train: how the checkpoint does on the questions it trained on, to set against validation and test',
        coerce: choiceFlag('split', SPLITS),
      })
      .option('samples', {
        describe: 'Samples per question, k (default: eval.samples, 16)',
        coerce: integerFlag('samples', { min: 1 }),
      })
      .option('limit', {
        describe: 'Evaluate only the first n questions (default: eval.questions of the config; 0 or unset there: all)',
        coerce: integerFlag('limit', { min: 1 }),
      })
      .option('out', {
        type: 'string',
        describe:
          "Directory for eval/<split>.json and eval/<split>.predictions.jsonl, replaced there (default: <output.dir>/eval-<checkpoint folder name>, next to the training run's files, never over them)",
        coerce: pathFlag('out'),
      })
      .option('force', {
        type: 'boolean',
        default: false,
        describe: 'Replace an earlier eval of this split in the default folder',
      })
      .epilogue(
        'A sample is correct when a normalised gold answer is a substring of its normalised extracted answer; m@k votes over normalised answers, every sample voting (an empty answer votes for "no answer", which is never correct; ties go to the earliest); m@k abstaining, where empty answers do not vote, is printed and kept beside it.',
      ) as unknown as Argv<EvalArgs>,
  handler: async (a) => {
    const r = await runEvalCommand(a);
    const s = r.summary;
    const official = [
      s.em !== undefined ? `EM ${pct(s.em)}` : '',
      s.f1 !== undefined ? `F1 ${pct(s.f1)}` : '',
      s.exe_acc !== undefined ? `exe ${pct(s.exe_acc)}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    process.stdout.write(
      `${s.split}: n ${s.n}, p@1 ${pct(s.p1)}, p@${s.k} ${pct(s.p16)}, m@${s.k} ${pct(s.m16)}${s.m16_abstain !== undefined ? ` (abstaining ${pct(s.m16_abstain)})` : ''}${official ? `, ${official}` : ''}\n`,
    );
    if (r.checkpoint !== a.checkpoint)
      process.stderr.write(
        `${a.checkpoint}: not there; evaluated the same checkpoint under its other name, ${r.checkpoint}\n`,
      );
    process.stderr.write(`wrote ${r.dir}:\n${r.summaryPath}\n${r.predictionsPath}\n`);
  },
};
