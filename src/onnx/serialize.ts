/** Serialisation of a Graph to ONNX ModelProto bytes, through the protobufjs classes of `onnx-proto`. */
import onnxProto from 'onnx-proto';
import type { AttrValue, DType, Graph, Initializer, Node, Value } from './graph.js';

const { onnx } = onnxProto;
const AT = onnx.AttributeProto.AttributeType;
const DT = onnx.TensorProto.DataType;

export const DEFAULT_OPSET = 23;
/** IR version 10 is what ONNX 1.16+ writes for opset 21-23; onnxruntime 1.30 reads up to 13. */
export const IR_VERSION = 10;

const ELEM_TYPE: Record<DType, number> = {
  float32: DT.FLOAT,
  float64: DT.DOUBLE,
  float16: DT.FLOAT16,
  int64: DT.INT64,
  int32: DT.INT32,
  bool: DT.BOOL,
};

export interface ModelOptions {
  opset?: number;
  /** Extra opset imports, e.g. { 'com.microsoft': 1 }. */
  domains?: Record<string, number>;
  docString?: string;
  metadata?: Record<string, string>;
}

export function serializeModel(graph: Graph, opts: ModelOptions = {}): Uint8Array {
  const opsetImport = [{ domain: '', version: opts.opset ?? DEFAULT_OPSET }];
  for (const [domain, version] of Object.entries(opts.domains ?? {})) opsetImport.push({ domain, version });
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport,
    producerName: 'tsallis-run',
    docString: opts.docString ?? '',
    graph: graphProto(graph),
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Nodes whose outputs reach a graph output (VJP rules may emit gradients nobody asked for). */
function liveNodes(g: Graph): Node[] {
  const needed = new Set<string>(g.outputs.map((o) => o.name));
  const live: Node[] = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i]!;
    // Nodes with subgraphs may read outer values implicitly; keep them whenever any output is needed.
    if (!n.outputs.some((o) => needed.has(o.name))) continue;
    live.push(n);
    for (const v of n.inputs) if (v) needed.add(v.name);
    for (const name of subgraphReads(n)) needed.add(name);
  }
  return live.reverse();
}

/** Names read by the nodes of n's subgraphs, at any depth (a nested Loop body may read the weights). */
function subgraphReads(n: Node): string[] {
  const names: string[] = [];
  for (const a of Object.values(n.attrs)) {
    if (!a || typeof a !== 'object' || !('nodes' in a)) continue;
    for (const inner of (a as Graph).nodes) {
      for (const v of inner.inputs) if (v) names.push(v.name);
      names.push(...subgraphReads(inner));
    }
  }
  return names;
}

function graphProto(g: Graph): onnxProto.onnx.IGraphProto {
  const nodes = liveNodes(g);
  const used = new Set<string>(nodes.flatMap((n) => [...n.inputs.map((v) => v?.name ?? ''), ...subgraphReads(n)]));
  for (const o of g.outputs) used.add(o.name);
  return {
    name: g.name,
    input: g.inputs.map(valueInfo),
    output: g.outputs.map(valueInfo),
    initializer: g.initializers.filter((i) => used.has(i.value.name)).map(tensorProto),
    valueInfo: [...g.declaredShapes].filter((v) => used.has(v.name) && !g.outputs.includes(v)).map(valueInfo),
    node: nodes.map((n) => ({
      opType: n.opType,
      domain: n.domain,
      name: n.name,
      input: n.inputs.map((i) => i?.name ?? ''),
      output: n.outputs.map((o) => o.name),
      attribute: Object.entries(n.attrs).map(([name, v]) => attribute(name, v)),
    })),
  };
}

function valueInfo(v: Value): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: ELEM_TYPE[v.dtype],
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function tensorProto(init: Initializer): onnxProto.onnx.ITensorProto {
  const d = init.data;
  return {
    name: init.value.name,
    dataType: ELEM_TYPE[init.value.dtype],
    dims: init.dims,
    rawData: new Uint8Array(d.buffer, d.byteOffset, d.byteLength),
  };
}

const enc = new TextEncoder();

function attribute(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: AT.INT, i: v } : { name, type: AT.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: AT.STRING, s: enc.encode(v) };
  if (Array.isArray(v)) {
    if (v.length > 0 && typeof v[0] === 'string')
      return { name, type: AT.STRINGS, strings: (v as string[]).map((s) => enc.encode(s)) };
    return { name, type: AT.INTS, ints: v as number[] };
  }
  if ('floats' in v) return { name, type: AT.FLOATS, floats: v.floats };
  if ('int' in v) return { name, type: AT.INT, i: v.int };
  if ('float' in v) return { name, type: AT.FLOAT, f: v.float };
  return { name, type: AT.GRAPH, g: graphProto(v) };
}
