/**
 * A small typed builder for ONNX graphs. Values carry their dtype and a shape whose dims are numbers
 * or symbolic names; ops (ops.ts) infer output shapes so that vector-Jacobian rules can reason about
 * broadcasting statically. The graph serialises to ModelProto bytes (serialize.ts).
 */

export type DType = 'float32' | 'float64' | 'float16' | 'int64' | 'int32' | 'bool';
export type Dim = number | string;
export type Shape = Dim[];
export type AttrValue =
  | number
  | string
  | number[]
  | string[]
  | Graph
  | { floats: number[] }
  | { int: number }
  | { float: number };
export type Attrs = Record<string, AttrValue>;

export interface Value {
  readonly graph: Graph;
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
  /** The node that produced it; undefined for graph inputs and initializers. */
  readonly producer?: Node;
}

export interface Node {
  readonly opType: string;
  readonly domain: string;
  readonly inputs: (Value | undefined)[];
  readonly outputs: Value[];
  readonly attrs: Attrs;
  readonly name: string;
  /** For a composite (see ops.composite): its own vector-Jacobian rule, used instead of the inner nodes'. */
  readonly vjp?: (dOut: (Value | undefined)[]) => (Value | undefined)[];
}

/** A run of nodes [start, end) that autodiff treats as the single node `node`. */
export interface Composite {
  readonly start: number;
  readonly end: number;
  readonly node: Node;
}

export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array;

export interface Initializer {
  readonly value: Value;
  readonly data: TensorData;
  readonly dims: number[];
}

export class Graph {
  readonly inputs: Value[] = [];
  readonly outputs: Value[] = [];
  readonly nodes: Node[] = [];
  readonly initializers: Initializer[] = [];
  readonly composites: Composite[] = [];
  private counter = 0;
  private readonly names = new Set<string>();
  private readonly constCache = new Map<string, Value>();

  constructor(
    readonly name = 'graph',
    private readonly prefix = '',
  ) {}

  /** A unique value or node name built from a readable hint. */
  uniqueName(hint: string): string {
    let name = this.prefix + hint;
    while (this.names.has(name)) name = `${this.prefix}${hint}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  input(name: string, dtype: DType, shape: Shape): Value {
    if (this.names.has(name)) throw new Error(`graph ${this.name}: duplicate name ${name}`);
    this.names.add(name);
    const v: Value = { graph: this, name, dtype, shape };
    this.inputs.push(v);
    return v;
  }

  output(v: Value, name?: string): Value {
    if (v.graph !== this) throw new Error(`output ${v.name} belongs to another graph`);
    if (name && name !== v.name && v.producer && !this.outputs.includes(v) && !this.names.has(name)) {
      // Rename the node's output rather than add an Identity: in a Loop body every node costs each step.
      (v as { name: string }).name = name;
      this.names.add(name);
    }
    const out =
      name && name !== v.name ? this.node('Identity', [v], {}, [{ dtype: v.dtype, shape: v.shape }], name)[0]! : v;
    this.outputs.push(out);
    return out;
  }

  /** A constant tensor, stored as an initializer. Small constants are shared. */
  constant(data: ArrayLike<number> | bigint[], dtype: DType, dims: number[], hint = 'const'): Value {
    const key =
      data.length <= 16 ? `${dtype}|${dims.join(',')}|${Array.from(data as ArrayLike<number>).join(',')}` : undefined;
    if (key !== undefined) {
      const hit = this.constCache.get(key);
      if (hit) return hit;
    }
    const value: Value = { graph: this, name: this.uniqueName(hint), dtype, shape: dims.slice() };
    this.initializers.push({ value, data: toTypedArray(data, dtype), dims: dims.slice() });
    if (key !== undefined) this.constCache.set(key, value);
    return value;
  }

  scalar(x: number, dtype: DType): Value {
    return this.constant([x], dtype, [], 'scalar');
  }

  ints(xs: number[]): Value {
    return this.constant(
      xs.map((x) => BigInt(x)),
      'int64',
      [xs.length],
      'ints',
    );
  }

  /** Appends a node; `outs` gives the dtype and shape of each output. */
  node(
    opType: string,
    inputs: (Value | undefined)[],
    attrs: Attrs,
    outs: { dtype: DType; shape: Shape }[],
    hint?: string,
    domain = '',
  ): Value[] {
    for (const i of inputs)
      if (i && i.graph !== this && !isOuterScope(this, i.graph))
        throw new Error(`${opType}: input ${i.name} belongs to another graph`);
    const name = this.uniqueName(`${hint ?? opType}`);
    const outputs: Value[] = [];
    const node: Node = { opType, domain, inputs, outputs, attrs, name };
    outs.forEach((o, k) =>
      outputs.push({
        graph: this,
        name: outs.length === 1 ? name : this.uniqueName(`${name}_${k}`),
        dtype: o.dtype,
        shape: o.shape,
        producer: node,
      }),
    );
    this.nodes.push(node);
    return outputs;
  }

  /**
   * Values whose shapes the serializer writes as value_info. onnxruntime reuses an input's buffer for
   * an op's output (in place) only when it can prove the two sizes equal, and its own inference loses
   * a dim at every Reshape with -1; declaring the shape restores that. Only for values whose symbolic
   * dims mean the same size wherever the name appears in the graph: onnxruntime trusts them.
   */
  readonly declaredShapes = new Set<Value>();

  declareShape(v: Value): Value {
    this.declaredShapes.add(v);
    return v;
  }

  /** Values of an enclosing graph may be read by a subgraph (ONNX outer-scope references). */
  parent?: Graph;

  /**
   * Set on graphs that are never differentiated (score, generation): the model may then use fused
   * standard ops with no gradient rule (RMSNormalization, RotaryEmbedding; model/kernels.ts).
   */
  inferenceOnly = false;

  /** Whether this graph or an enclosing one is inference-only. */
  isInferenceOnly(): boolean {
    for (let g: Graph | undefined = this; g; g = g.parent) if (g.inferenceOnly) return true;
    return false;
  }
}

function isOuterScope(g: Graph, other: Graph): boolean {
  for (let p = g.parent; p; p = p.parent) if (p === other) return true;
  return false;
}

export function toTypedArray(data: ArrayLike<number> | bigint[], dtype: DType): TensorData {
  switch (dtype) {
    case 'float32':
      return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
    case 'float64':
      return data instanceof Float64Array ? data : Float64Array.from(data as ArrayLike<number>);
    case 'int64':
      return data instanceof BigInt64Array
        ? data
        : BigInt64Array.from(Array.from(data as ArrayLike<number | bigint>, (x) => BigInt(x)));
    case 'int32':
      return Int32Array.from(data as ArrayLike<number>);
    case 'bool':
      return Uint8Array.from(data as ArrayLike<number>);
    case 'float16':
      if (data instanceof Uint16Array) return data;
      throw new Error('float16 constants must be given as Uint16Array bit patterns');
  }
}

/** Number of elements of a static shape, or undefined when a dim is symbolic. */
export function staticSize(shape: Shape): number | undefined {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}
