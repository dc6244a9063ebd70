/**
 * `tsallis-run probe --config FILE [--rollouts N] [--questions Q] [--json]`: how cold a start is and
 * which q can move, before a single training step (src/experiment/probe.ts).
 */
import type { Argv, CommandModule } from 'yargs';
import { PROBE_QS, runProbe, type ProbeResult, type Quantiles } from '../experiment/probe.js';
import {
  integerFlag,
  loadCommandConfig,
  pathFlag,
  withConfigRuntimeOptions,
  type ConfigRuntimeArgs,
} from './options.js';

export interface ProbeArgs extends ConfigRuntimeArgs {
  config: string;
  set?: string[];
  rollouts: number;
  questions: number;
  json: boolean;
}

export async function runProbeCommand(
  a: ProbeArgs,
  onProgress?: (done: number, total: number) => void,
): Promise<ProbeResult> {
  const config = await loadCommandConfig(a);
  return runProbe(config, { rollouts: a.rollouts, questions: a.questions, onProgress });
}

const q3 = (x: Quantiles) => `p10 ${x.p10.toFixed(1)}, p50 ${x.p50.toFixed(1)}, p90 ${x.p90.toFixed(1)}`;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The readable report: the coldness figures, then one line per q. */
export function probeText(r: ProbeResult): string {
  const o = r.optimizer;
  const lines = [
    `${r.task} (${r.start}), ${r.model}: ${r.rollouts} rollouts over ${r.questions} training questions at temperature ${r.temperature}` +
      (r.top_k > 0 ? `, top-k ${r.top_k}` : '') +
      (r.top_p < 1 ? `, top-p ${r.top_p}` : ''),
    `success rate    ${r.success_rate.toExponential(2)} (${r.successes} of ${r.rollouts}; 95% upper bound ${r.success_rate_upper95.toExponential(2)}); questions with a success ${pct(r.questions_with_success)}`,
    `log W (nats)    ${q3(r.log_w)}   (per question: log of the mean teacher-forced p(y* | x*, z))`,
    `best log w      ${q3(r.best_log_w)}   (per question: its best rollout)`,
    `entropy         ${r.entropy.toFixed(3)} nats per sampled token`,
    `optimizer       ${o.name}, lr ${o.lr}` +
      (o.lr_over_eps !== null
        ? `, eps ${o.eps}, lr/eps ${o.lr_over_eps.toPrecision(3)}`
        : ` (eps ${o.eps} for the share below)`) +
      `, grad clip ${o.grad_clip || 'off'}`,
    `Step-0 gradient (the run's first batch, clipped as in training): share of coordinates with |g| > eps, |g| before clipping,`,
    o.name === 'sgd'
      ? `and the norm of SGD's first update lr * g (g clipped)`
      : `and the norm of AdamW's first update lr * g / (|g| + eps)`,
    `            GARL: above eps  |g|       |step|      PAFT: above eps  |g|       |step|`,
    ...PROBE_QS.map((q) => {
      const k = String(q);
      const e = (x: number) => x.toExponential(2).padEnd(10);
      return `  q = ${k.padEnd(4)}  ${pct(r.above_eps[k]!).padStart(6)}  ${e(r.grad_norm[k]!)}${e(r.first_step_norm[k]!)}        ${pct(r.paft_above_eps[k]!).padStart(6)}  ${e(r.paft_grad_norm[k]!)}${e(r.paft_first_step_norm[k]!)}`;
    }),
    'Reading: where most coordinates exceed eps, AdamW steps every q at about lr per coordinate (no threshold in q);',
    'where almost none do, AdamW is SGD with learning rate lr/eps, and low q moves (M W)^(1-q) times slower than q = 1.',
  ];
  return `${lines.join('\n')}\n`;
}

export const probeCommand: CommandModule<object, ProbeArgs> = {
  command: 'probe',
  describe:
    'How cold a start is, and which q can move: success rate, log W and the share of gradient coordinates above eps, before training',
  builder: (y: Argv) =>
    withConfigRuntimeOptions(
      y
        .option('config', {
          type: 'string',
          demandOption: true,
          describe: 'Experiment config (YAML): model, task, start, rollout and optimizer settings',
          coerce: pathFlag('config'),
        })
        .option('set', { type: 'string', array: true, describe: 'Override a config field (repeatable)' }),
    )
      .option('rollouts', {
        default: 1024,
        describe: 'Rollouts in all, rounded up to whole rounds of questions x M',
        coerce: integerFlag('rollouts', { min: 1 }),
      })
      .option('questions', {
        default: 64,
        describe: "Training questions probed: the run's first ones, in its data order",
        coerce: integerFlag('questions', { min: 1 }),
      })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'Print the figures as one JSON object on the last line',
      })
      .epilogue(
        "Rollouts are sampled with the config's training settings (temperature, top-p, top-k, budgets) from the starting model, in the order the run would see its questions. " +
          "log W and best log w are natural logs, quantiles over questions. above_eps (paft_above_eps): for q in 0, 0.25, 0.5, 0.75, 1, the share of GARL's (PAFT's) step-1 gradient coordinates (the run's first step) whose magnitude exceeds the optimizer's eps (1e-8 under SGD).",
      ) as unknown as Argv<ProbeArgs>,
  handler: async (a) => {
    const tty = process.stderr.isTTY === true;
    const r = await runProbeCommand(
      a,
      tty
        ? (done, total) => process.stderr.write(`\rprobe: batch ${done}/${total}${done === total ? '\n' : ''}`)
        : undefined,
    );
    if (a.json) {
      // The readable report goes to stderr so that stdout is the JSON alone (`| jq` works).
      process.stderr.write(probeText(r));
      process.stdout.write(`${JSON.stringify(r)}\n`);
    } else process.stdout.write(probeText(r));
  },
};
