/**
 * `tsallis-run train --config FILE [--set key=value ...] [--out DIR] [--resume]`: one training run
 * (src/experiment/train.ts). Ctrl-C or SIGTERM finishes the current step, writes a checkpoint and exits
 * with status 130 or 143 (a second signal quits at once); `--resume` continues from that checkpoint.
 */
import type { Argv, CommandModule } from 'yargs';
import type { Config } from '../config/schema.js';
import { runTraining, type TrainResult } from '../experiment/train.js';
import { evalSummaryTable } from '../experiment/eval/summary.js';
import { toMarkdown } from '../plot/table.js';
import { loadCommandConfig, pathFlag, withConfigRuntimeOptions, type ConfigRuntimeArgs } from './options.js';

export interface TrainArgs extends ConfigRuntimeArgs {
  config: string;
  set?: string[];
  out?: string;
  resume: boolean;
}

/** The config of a train command: the file, the --set overrides, --device and --threads, then --out for output.dir. */
export async function trainConfig(
  a: Pick<TrainArgs, 'config' | 'set' | 'out' | 'device' | 'threads'>,
): Promise<Config> {
  const config = await loadCommandConfig(a);
  return a.out === undefined ? config : { ...config, output: { dir: a.out } };
}

/** What the command does, callable from tests. */
export async function runTrainCommand(a: TrainArgs, signal?: AbortSignal): Promise<TrainResult> {
  return runTraining(await trainConfig(a), { resume: a.resume, signal });
}

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: 'Train a model with GRPO, RLOO, GARL(q), PAFT(q) or SFT as a config describes',
  builder: (y: Argv) =>
    withConfigRuntimeOptions(
      y
        .option('config', {
          type: 'string',
          demandOption: true,
          describe: 'Experiment config (YAML)',
          coerce: pathFlag('config'),
        })
        .option('set', {
          type: 'string',
          array: true,
          describe: 'Override a config field, e.g. --set algorithm.q=0.75 (repeatable)',
        }),
    )
      .option('out', { type: 'string', describe: 'Run directory (overrides output.dir)', coerce: pathFlag('out') })
      .option('resume', {
        type: 'boolean',
        default: false,
        describe: 'Continue the run in its directory from its newest checkpoint',
      })
      .epilogue(
        'The run directory gets config.yaml, metrics.csv, validation.csv, checkpoints/, eval/ and log.jsonl; summary.json marks a finished run. ' +
          'Steps count from 1: step N is the state after N optimizer steps, checkpoints/checkpoint-N holds it. ' +
          'Ctrl-C (SIGINT) or SIGTERM finishes the current step, writes a checkpoint and exits with status 130 or 143; during the final test it stops the test ' +
          '(no summary.json). --resume continues either, from the newest checkpoint; it needs the same config as values (output.dir, threads, train.log_every and train.log_rollouts may differ). ' +
          'A run folder of an earlier version (steps from 0, checkpoints/step-K) is renumbered once by --resume before it continues. ' +
          'A run directory is locked (run.lock) while a process trains in it; a second train on it exits 2 naming the holder.',
      ) as unknown as Argv<TrainArgs>,
  handler: async (a) => {
    // SIGINT (Ctrl-C) and SIGTERM (Slurm's time limit and preemption, `timeout`, `docker stop`) stop the run
    // the same way: the current step finishes, a checkpoint is written, and the exit status is 128 + signal.
    const controller = new AbortController();
    let exitCode = 130;
    const onSignal = (signal: 'SIGINT' | 'SIGTERM') => () => {
      const code = signal === 'SIGINT' ? 130 : 143;
      if (controller.signal.aborted) process.exit(code);
      exitCode = code;
      process.stderr.write(
        `\ntsallis-run: ${signal}: finishing the current step and writing a checkpoint, or stopping the final evaluation (send it again to quit at once)\n`,
      );
      controller.abort();
    };
    const handlers = { SIGINT: onSignal('SIGINT'), SIGTERM: onSignal('SIGTERM') };
    for (const [signal, handler] of Object.entries(handlers)) process.on(signal, handler);
    try {
      const r = await runTrainCommand(a, controller.signal);
      if (r.interrupted) process.exitCode = exitCode;
      else if (r.summary) {
        process.stderr.write(`${r.paths.summary}\n`);
        // The final table (percent) on stdout: the selected checkpoint's p@1 / p@k / m@k on eval.split.
        process.stdout.write(
          `\n${r.summary.name}\n${toMarkdown(evalSummaryTable(r.summary.base_test ? [r.summary.base_test, r.summary.test] : [r.summary.test]), 3)}`,
        );
      }
    } finally {
      for (const [signal, handler] of Object.entries(handlers)) process.off(signal, handler);
    }
  },
};
