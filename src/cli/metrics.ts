/** `tsallis-run metrics`: score a predictions file the way the official evaluation scripts do. */
import type { Argv, CommandModule } from 'yargs';
import { readAllTaskRecords } from '../tasks/readers.js';
import { readPredictions } from '../tasks/predictions.js';
import { scorePredictions, type Scores } from '../tasks/score.js';
import { TASKS, type TaskName } from '../tasks/record.js';

interface MetricsArgs {
  task: TaskName;
  gold: string;
  pred: string;
  json: boolean;
}

/** Read both files and score them (what the command does, callable from tests). */
export async function runMetrics(
  task: TaskName,
  goldPath: string,
  predPath: string,
): Promise<Scores & { format: string }> {
  const gold = await readAllTaskRecords(task, goldPath);
  const { format, predictions } = await readPredictions(predPath);
  return { ...scorePredictions(task, gold, predictions), format };
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${(100 * x).toFixed(2)}%`);

export function formatScores(s: Scores & { format: string }): string {
  const rows: [string, string][] = [
    ['task', s.task],
    ['predictions', s.format],
    ['n', String(s.n)],
  ];
  if (s.task === 'finqa')
    rows.push(['exe_acc', pct(s.exe_acc)], ['numeric_acc', pct(s.numeric_acc)], ['em', pct(s.em)]);
  else rows.push(['em', pct(s.em)], ['f1', pct(s.f1)]);
  rows.push(['relaxed', pct(s.relaxed)], ['missing', String(s.missing)], ['extra', String(s.extra)]);
  if (s.unanswerable !== undefined) rows.push(['unanswerable (left out)', String(s.unanswerable)]);
  return rows.map(([k, v]) => `${k.padEnd(24)} ${v}`).join('\n');
}

export const metricsCommand: CommandModule<object, MetricsArgs> = {
  command: 'metrics',
  describe: 'Score predictions with the official metrics (HotPotQA/MuSiQue EM and F1, FinQA execution accuracy)',
  builder: (y: Argv) =>
    y
      .option('task', { choices: TASKS, demandOption: true, describe: 'Dataset' })
      .option('gold', {
        type: 'string',
        demandOption: true,
        describe: 'Gold file: official format, Hub parquet, or a prepared .jsonl',
      })
      .option('pred', {
        type: 'string',
        demandOption: true,
        describe:
          'Predictions: HotPotQA {"answer": {id: text}}, MuSiQue JSONL {"id","predicted_answer"}, FinQA [{"id","predicted": [tokens]}], JSONL {"id","answer"}, or an eval/<split>.predictions.jsonl (its vote)',
      })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'Print one JSON object (rates as fractions in [0, 1])',
      }) as unknown as Argv<MetricsArgs>,
  handler: async (a) => {
    const s = await runMetrics(a.task, a.gold, a.pred);
    if (s.missing) process.stderr.write(`warning: ${s.missing} gold records have no prediction (scored 0)\n`);
    if (s.extra) process.stderr.write(`warning: ${s.extra} predictions have ids not in the gold file (ignored)\n`);
    process.stdout.write((a.json ? JSON.stringify(s) : formatScores(s)) + '\n');
  },
};
