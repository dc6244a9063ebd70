/** `tsallis-run export`: the score and train graphs of a model as standalone .onnx files. */
import type { Argv, CommandModule } from 'yargs';
import { UserError } from '../errors.js';
import { loadModel } from '../model/checkpoint.js';
import { resolveCheckpointDir } from '../experiment/trainer-checkpoint.js';
import { resolveModelPath } from '../model/download.js';
import { exportModel, GRAPH_KINDS, type ExportedGraph, type GraphKind } from '../runtime/export.js';
import { MODEL_OPTION, pathFlag } from './options.js';

export interface ExportArgs {
  model: string;
  out: string;
  embedWeights: boolean;
  graphs: GraphKind[];
  clip: boolean;
  kl: boolean;
}

/** Parses `--graphs score,train` (commas or repeated flags). */
export function parseGraphs(raw: unknown): GraphKind[] {
  const parts = (Array.isArray(raw) ? raw : [raw])
    .flatMap((v) => String(v).split(','))
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  if (parts.length === 0)
    throw new UserError(`--graphs: expected a comma-separated list of ${GRAPH_KINDS.join(', ')}, got nothing`);
  for (const p of parts) {
    if (!(GRAPH_KINDS as readonly string[]).includes(p)) {
      throw new UserError(
        `--graphs: expected a comma-separated list of ${GRAPH_KINDS.join(', ')}, got ${JSON.stringify(p)}`,
      );
    }
  }
  return [...new Set(parts)] as GraphKind[];
}

/** What the command does, callable from tests. */
export async function runExport(a: ExportArgs): Promise<ExportedGraph[]> {
  const dir = (await resolveModelPath(await resolveCheckpointDir(a.model), '--model')).dir;
  const { config, weights } = await loadModel(dir);
  return exportModel(a.out, config, weights, {
    graphs: a.graphs,
    embedWeights: a.embedWeights,
    train: { clip: a.clip, kl: a.kl },
    modelDir: dir,
  });
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export',
  describe: 'Write the score and train graphs as .onnx files (weights as named inputs, or embedded)',
  builder: (y: Argv) =>
    y
      .option('model', MODEL_OPTION)
      .option('out', {
        type: 'string',
        demandOption: true,
        describe: 'Directory for <graph>.onnx, README.md and the config/tokenizer files',
        coerce: pathFlag('out'),
      })
      .option('embed-weights', {
        type: 'boolean',
        default: false,
        describe: 'Embed the weights as initializers (in <graph>.onnx.data, ONNX external data, past 2 GB)',
      })
      .option('graphs', {
        type: 'string',
        default: 'score,train',
        describe: 'Graphs to write: score, train or both',
        coerce: parseGraphs,
      })
      .option('clip', {
        type: 'boolean',
        default: false,
        describe: 'Train graph with PPO ratio clipping inputs (old_logprobs, clip_low, clip_high)',
      })
      .option('kl', {
        type: 'boolean',
        default: false,
        describe: 'Train graph with the k3 KL term inputs (ref_logprobs, kl_coef) and its per-token output (kl_tokens)',
      })
      .epilogue(
        'Inputs and outputs of each graph, with shapes, are listed in <out>/README.md.',
      ) as unknown as Argv<ExportArgs>,
  handler: async (a) => {
    for (const g of await runExport(a)) {
      process.stderr.write(
        `${g.path}${g.externalData ? ` (+ ${g.externalData})` : ''}: ${mb(g.bytes)}, ${g.inputs.length} inputs, ${g.outputs.length} outputs\n`,
      );
    }
  },
};
