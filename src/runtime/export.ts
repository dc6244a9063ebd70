/**
 * Export of the score and train graphs as standalone .onnx files.
 *
 * By default the weights stay graph inputs named by their Hugging Face names, as the runtime uses
 * them (feed them from model.safetensors). With `embedWeights` they become initializers: inline
 * when they fit in a protobuf (under 2 GB in all), else in ONNX external data: `<graph>.onnx.data`
 * beside the model, each tensor at a 4096-byte aligned offset, named by TensorProto.external_data
 * entries location/offset/length with data_location = EXTERNAL. Both forms open in Netron and run
 * in onnxruntime. The export directory also gets a README.md listing every input and output.
 */
import { copyFile, mkdir, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { writeFileAtomic, writeFully } from '../util/atomic-write.js';
import { parameterSpecs, type ModelConfig } from '../model/config.js';
import { buildScoreGraph, buildTrainGraph, type BuiltGraph, type TrainGraphOptions } from './graphs.js';

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;

export const GRAPH_KINDS = ['score', 'train'] as const;
export type GraphKind = (typeof GRAPH_KINDS)[number];

/** protobuf cannot encode a message of 2 GiB or more; leave room for the graph itself. */
export const DEFAULT_EXTERNAL_DATA_THRESHOLD = 2_000_000_000;
export const EXTERNAL_DATA_ALIGNMENT = 4096;

export interface ExportOptions {
  /** Graphs to write; both by default. */
  graphs?: readonly GraphKind[];
  /** Weights as initializers instead of graph inputs. */
  embedWeights?: boolean;
  /** Weight bytes (float32) above which embedded weights go to external data. Default 2e9. */
  externalDataThreshold?: number;
  /** Options of the train graph (PPO clipping, KL term); plain -sum coef * logp by default. */
  train?: TrainGraphOptions;
  /** A model directory whose config.json, generation_config.json and tokenizer files are copied along. */
  modelDir?: string;
}

export interface IoInfo {
  name: string;
  dtype: string;
  shape: (number | string)[];
  /** A model weight (Hugging Face name) rather than a data input. */
  weight: boolean;
}

export interface ExportedGraph {
  kind: GraphKind;
  path: string;
  /** The external data file, when the weights went there. */
  externalData?: string;
  inputs: IoInfo[];
  outputs: IoInfo[];
  /** Size of the .onnx file (plus its external data). */
  bytes: number;
}

const COPIED_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'];

/** Writes `<kind>.onnx` for each requested graph, and README.md, into `outDir`. */
export async function exportModel(
  outDir: string,
  config: ModelConfig,
  weights: ReadonlyMap<string, Float32Array>,
  opts: ExportOptions = {},
): Promise<ExportedGraph[]> {
  const kinds = opts.graphs ?? GRAPH_KINDS;
  await mkdir(outDir, { recursive: true });
  const exported: ExportedGraph[] = [];
  for (const kind of kinds) {
    const built = kind === 'score' ? buildScoreGraph(config) : buildTrainGraph(config, opts.train ?? {});
    const path = join(outDir, `${kind}.onnx`);
    let externalData: string | undefined;
    if (opts.embedWeights) {
      const weightBytes = parameterSpecs(config).reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
      const external = weightBytes > (opts.externalDataThreshold ?? DEFAULT_EXTERNAL_DATA_THRESHOLD);
      externalData = external ? `${kind}.onnx.data` : undefined;
      await writeEmbedded(path, built, config, weights, externalData && join(outDir, externalData));
    } else {
      await writeFileAtomic(path, built.bytes);
    }
    const info = describeModel(await readModelHead(path), config);
    let bytes = (await stat(path)).size;
    if (externalData) bytes += (await stat(join(outDir, externalData))).size;
    exported.push({ kind, path, externalData, ...info, bytes });
  }
  if (opts.modelDir) {
    for (const name of COPIED_FILES) {
      const from = join(opts.modelDir, name);
      if (
        await stat(from).then(
          (s) => s.isFile(),
          () => false,
        )
      )
        await copyFile(from, join(outDir, name));
    }
  }
  await writeFileAtomic(join(outDir, 'README.md'), exportReadme(config, exported, opts));
  return exported;
}

/**
 * Moves the weight inputs of a serialized graph into initializers (inline raw data, or external data
 * written to `dataPath`) and writes the model to `path`.
 */
export async function writeEmbedded(
  path: string,
  built: BuiltGraph,
  config: ModelConfig,
  weights: ReadonlyMap<string, Float32Array>,
  dataPath?: string,
): Promise<void> {
  const model = onnx.ModelProto.decode(built.bytes);
  const graph = model.graph as onnxProto.onnx.GraphProto;
  const specs = new Map(parameterSpecs(config).map((s) => [s.name, s]));
  const moved = graph.input.filter((v) => specs.has(v.name!));
  graph.input = graph.input.filter((v) => !specs.has(v.name!));
  const initializers: onnxProto.onnx.ITensorProto[] = [];

  const tensorOf = (name: string): Float32Array => {
    const w = weights.get(name);
    const spec = specs.get(name)!;
    const n = spec.shape.reduce((a, b) => a * b, 1);
    if (!w) throw new Error(`export: weights have no "${name}"`);
    if (w.length !== n)
      throw new Error(`export: "${name}" has ${w.length} values, expected ${n} for shape [${spec.shape.join(', ')}]`);
    return w;
  };

  if (dataPath === undefined) {
    for (const v of moved) {
      const w = tensorOf(v.name!);
      initializers.push({
        name: v.name,
        dataType: DT.FLOAT,
        dims: specs.get(v.name!)!.shape,
        rawData: new Uint8Array(w.buffer, w.byteOffset, w.byteLength),
      });
    }
  } else {
    const location = dataPath.slice(dataPath.lastIndexOf('/') + 1);
    await writeFileAtomic(dataPath, async (file) => {
      let offset = 0;
      for (const v of moved) {
        const w = tensorOf(v.name!);
        offset = Math.ceil(offset / EXTERNAL_DATA_ALIGNMENT) * EXTERNAL_DATA_ALIGNMENT;
        const bytes = new Uint8Array(w.buffer, w.byteOffset, w.byteLength);
        for (let done = 0; done < bytes.length; done += 1 << 30) {
          await writeFully(file, bytes.subarray(done, Math.min(bytes.length, done + (1 << 30))), offset + done);
        }
        initializers.push({
          name: v.name,
          dataType: DT.FLOAT,
          dims: specs.get(v.name!)!.shape,
          dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
          externalData: [
            { key: 'location', value: location },
            { key: 'offset', value: String(offset) },
            { key: 'length', value: String(bytes.length) },
          ],
        });
        offset += bytes.length;
      }
    });
  }
  graph.initializer = [...initializers, ...graph.initializer];
  await writeFileAtomic(path, onnx.ModelProto.encode(model).finish());
}

/** Decodes a model file (weights in external data are not read). */
async function readModelHead(path: string): Promise<onnxProto.onnx.ModelProto> {
  const file = await open(path, 'r');
  try {
    return onnx.ModelProto.decode(await file.readFile());
  } finally {
    await file.close();
  }
}

const DTYPE_NAMES: Record<number, string> = {
  [DT.FLOAT]: 'float32',
  [DT.DOUBLE]: 'float64',
  [DT.FLOAT16]: 'float16',
  [DT.INT64]: 'int64',
  [DT.INT32]: 'int32',
  [DT.BOOL]: 'bool',
};

function toNumber(x: number | { toNumber(): number } | null | undefined): number {
  if (x === null || x === undefined) return 0;
  return typeof x === 'number' ? x : x.toNumber();
}

/** The inputs and outputs of a model, with dtypes and shapes (symbolic dims by name). */
export function describeModel(
  model: onnxProto.onnx.IModelProto,
  config: ModelConfig,
): { inputs: IoInfo[]; outputs: IoInfo[] } {
  const names = new Set(parameterSpecs(config).map((s) => s.name));
  const io = (v: onnxProto.onnx.IValueInfoProto): IoInfo => {
    const t = v.type?.tensorType;
    const shape = (t?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : toNumber(d.dimValue as number)));
    return {
      name: v.name ?? '',
      dtype: DTYPE_NAMES[t?.elemType ?? 0] ?? `onnx type ${t?.elemType}`,
      shape,
      weight: names.has(v.name ?? ''),
    };
  };
  return { inputs: (model.graph?.input ?? []).map(io), outputs: (model.graph?.output ?? []).map(io) };
}

const DESCRIPTIONS: Record<string, string> = {
  input_ids: 'token ids, right- or left-padded',
  attention_mask: '1 for real tokens, 0 for padding',
  logprobs: 'log p(input_ids[:, t+1] \\| input_ids[:, ..t]); meaningless where the target is padding',
  coef: 'per-token loss coefficients: loss = -sum(coef * logprobs)',
  old_logprobs: 'log-probs of the sampling policy (PPO ratio clipping)',
  clip_low: 'lower bound of the clipped ratio',
  clip_high: 'upper bound of the clipped ratio',
  ref_logprobs: 'log-probs of the reference model (k3 KL term)',
  kl_coef: 'per-token weight of the KL term',
  loss: 'the scalar training loss',
  kl_tokens: 'per-token k3 KL estimate exp(ref - logp) - (ref - logp) - 1, as the loss weighs it',
};

function exportReadme(config: ModelConfig, graphs: ExportedGraph[], opts: ExportOptions): string {
  const shape = (s: (number | string)[]) => `[${s.join(', ')}]`;
  const lines: string[] = [
    '# Exported graphs',
    '',
    `Written by \`tsallis-run export\` for a ${config.architecture} model (vocab ${config.vocabSize}, hidden ${config.hiddenSize}, ` +
      `${config.numLayers} layers, ${config.numHeads}/${config.numKvHeads} heads of dim ${config.headDim}, ffn ${config.intermediateSize}, ` +
      `${config.tieWordEmbeddings ? 'tied' : 'untied'} embeddings). ONNX opset 23, float32 compute. Dims: B = batch, T = sequence length.`,
    '',
    opts.embedWeights
      ? 'The weights are embedded as initializers' +
        (graphs.some((g) => g.externalData)
          ? ', in ONNX external data files beside the models (keep them together).'
          : '.')
      : "The weights are graph inputs named by their Hugging Face names: feed each tensor of the model directory's " +
        'model.safetensors (as float32) under its own name. They are listed after the data inputs.',
    '',
  ];
  for (const g of graphs) {
    lines.push(`## ${g.kind}.onnx`, '');
    if (g.externalData) lines.push(`External data: \`${g.externalData}\` (4096-byte aligned tensors).`, '');
    lines.push('| input | dtype | shape | meaning |', '|---|---|---|---|');
    for (const v of g.inputs.filter((v) => !v.weight))
      lines.push(`| \`${v.name}\` | ${v.dtype} | ${shape(v.shape)} | ${DESCRIPTIONS[v.name] ?? ''} |`);
    const weightInputs = g.inputs.filter((v) => v.weight);
    if (weightInputs.length > 0) {
      lines.push(`| *${weightInputs.length} weight inputs* | float32 | | see below |`);
    }
    lines.push('', '| output | dtype | shape | meaning |', '|---|---|---|---|');
    const grads = g.outputs.filter((v) => v.name.startsWith('grad.'));
    for (const v of g.outputs.filter((v) => !v.name.startsWith('grad.')))
      lines.push(`| \`${v.name}\` | ${v.dtype} | ${shape(v.shape)} | ${DESCRIPTIONS[v.name] ?? ''} |`);
    if (grads.length > 0)
      lines.push(
        `| \`grad.<weight name>\` (${grads.length}) | float32 | the weight's shape | gradient of loss with respect to that weight |`,
      );
    lines.push('');
  }
  const weightInputs = graphs.find((g) => g.inputs.some((v) => v.weight))?.inputs.filter((v) => v.weight) ?? [];
  if (weightInputs.length > 0) {
    lines.push(
      '## Weight inputs',
      '',
      'Every graph above takes these float32 inputs (the train graph returns `grad.<name>` for each).',
      '',
    );
    lines.push('| name | shape |', '|---|---|');
    for (const v of weightInputs) lines.push(`| \`${v.name}\` | ${shape(v.shape)} |`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
