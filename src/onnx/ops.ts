/**
 * ONNX ops over the graph builder. Each differentiable op has its forward emitter and, right beside
 * it, its vector-Jacobian rule (`rules[opType]`): given the node and the gradients of its outputs,
 * emit the gradients of its inputs (undefined where an input has none). autodiff.ts walks a graph
 * backwards with these rules.
 */
import {
  type Attrs,
  type DType,
  type Dim,
  type Graph,
  type Node,
  type Shape,
  type Value,
  staticSize,
} from './graph.js';

export type VjpRule = (node: Node, dOut: (Value | undefined)[]) => (Value | undefined)[];
export const rules: Record<string, VjpRule> = {};

/** An end index past any real dim (ONNX clamps Slice ends); exactly representable as a JS number. */
const INT64_MAX = Number.MAX_SAFE_INTEGER;

function emit(
  op: string,
  inputs: (Value | undefined)[],
  attrs: Attrs,
  outs: { dtype: DType; shape: Shape }[],
  hint?: string,
  domain?: string,
): Value[] {
  return innermostGraph(inputs).node(op, inputs, attrs, outs, hint, domain);
}
function emit1(
  op: string,
  inputs: (Value | undefined)[],
  attrs: Attrs,
  dtype: DType,
  shape: Shape,
  hint?: string,
): Value {
  return emit(op, inputs, attrs, [{ dtype, shape }], hint)[0]!;
}

/** The graph a node over these inputs belongs to: the most deeply nested one (subgraphs read outer values). */
function innermostGraph(inputs: (Value | undefined)[]): Graph {
  let best: Graph | undefined;
  let bestDepth = -1;
  for (const i of inputs) {
    if (!i) continue;
    let depth = 0;
    for (let p = i.graph.parent; p; p = p.parent) depth++;
    if (depth > bestDepth) [best, bestDepth] = [i.graph, depth];
  }
  return best!;
}

/**
 * A composite op: `forward` emits ordinary ONNX nodes, and autodiff differentiates the whole run with
 * `vjp` instead of the inner nodes' rules. For fused backward formulas that take fewer passes over
 * memory than the generic chain rule. `forward` returns the outputs and what the backward rule reads
 * of the forward pass (`saved`, as autograd's save_for_backward). Inner values must not be used outside
 * the composite.
 */
export function composite<Saved>(
  name: string,
  inputs: Value[],
  forward: () => { outputs: Value[]; saved: Saved },
  vjp: (dOut: (Value | undefined)[], saved: Saved) => (Value | undefined)[],
): Value[] {
  const g = innermostGraph(inputs);
  const start = g.nodes.length;
  const { outputs, saved } = forward();
  const node: Node = {
    opType: name,
    domain: 'composite',
    inputs,
    outputs,
    attrs: {},
    name: g.uniqueName(name),
    vjp: (dOut) => vjp(dOut, saved),
  };
  g.composites.push({ start, end: g.nodes.length, node });
  return outputs;
}

let unknownDims = 0;
/** A fresh symbolic dim for shapes the builder cannot know statically. */
export function unknownDim(): string {
  return `?${++unknownDims}`;
}

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

// ---------------------------------------------------------------- broadcasting

export function broadcastShape(a: Shape, b: Shape): Shape {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da === 1) out.push(db);
    else if (db === 1 || da === db) out.push(da);
    else if (typeof da === 'number' && typeof db === 'number') throw new Error(`cannot broadcast [${a}] with [${b}]`);
    else out.push(typeof da === 'number' ? da : db);
  }
  return out;
}

/** Sums `grad` (shaped like the broadcast result) back down to `shape`. */
export function unbroadcast(grad: Value, shape: Shape): Value {
  const lead = grad.shape.length - shape.length;
  const keepAxes: number[] = [];
  for (let i = 0; i < shape.length; i++) if (shape[i] === 1 && grad.shape[lead + i] !== 1) keepAxes.push(lead + i);
  let g = grad;
  if (keepAxes.length) g = reduceSum(g, keepAxes, true);
  if (lead > 0)
    g = reduceSum(
      g,
      Array.from({ length: lead }, (_, i) => i),
      false,
    );
  return g;
}

function binary(op: string, a: Value, b: Value, hint?: string): Value {
  if (a.dtype !== b.dtype) throw new Error(`${op}: dtype mismatch ${a.dtype} vs ${b.dtype} (${a.name}, ${b.name})`);
  return emit1(op, [a, b], {}, a.dtype, broadcastShape(a.shape, b.shape), hint);
}

function scalarLike(x: number, like: Value): Value {
  return like.graph.scalar(x, like.dtype);
}

// ---------------------------------------------------------------- elementwise arithmetic

export const add = (a: Value, b: Value, hint?: string) => binary('Add', a, b, hint);
rules.Add = (n, [dy]) => [unbroadcast(dy!, n.inputs[0]!.shape), unbroadcast(dy!, n.inputs[1]!.shape)];

export const sub = (a: Value, b: Value, hint?: string) => binary('Sub', a, b, hint);
rules.Sub = (n, [dy]) => [unbroadcast(dy!, n.inputs[0]!.shape), unbroadcast(neg(dy!), n.inputs[1]!.shape)];

export const mul = (a: Value, b: Value, hint?: string) => binary('Mul', a, b, hint);
rules.Mul = (n, [dy]) => {
  const [a, b] = n.inputs as Value[];
  return [unbroadcast(mul(dy!, b!), a!.shape), unbroadcast(mul(dy!, a!), b!.shape)];
};

export const div = (a: Value, b: Value, hint?: string) => binary('Div', a, b, hint);
rules.Div = (n, [dy]) => {
  const [a, b] = n.inputs as Value[];
  const y = n.outputs[0]!;
  const da = div(dy!, b!);
  return [unbroadcast(da, a!.shape), unbroadcast(neg(mul(da, y)), b!.shape)];
};

export const neg = (x: Value) => emit1('Neg', [x], {}, x.dtype, x.shape);
rules.Neg = (_n, [dy]) => [neg(dy!)];

export const exp = (x: Value) => emit1('Exp', [x], {}, x.dtype, x.shape);
rules.Exp = (n, [dy]) => [mul(dy!, n.outputs[0]!)];

export const log = (x: Value) => emit1('Log', [x], {}, x.dtype, x.shape);
rules.Log = (n, [dy]) => [div(dy!, n.inputs[0]!)];

export const sqrt = (x: Value) => emit1('Sqrt', [x], {}, x.dtype, x.shape);
rules.Sqrt = (n, [dy]) => [div(mul(dy!, scalarLike(0.5, dy!)), n.outputs[0]!)];

export const reciprocal = (x: Value) => emit1('Reciprocal', [x], {}, x.dtype, x.shape);
rules.Reciprocal = (n, [dy]) => {
  const y = n.outputs[0]!;
  return [neg(mul(dy!, mul(y, y)))];
};

export const sigmoid = (x: Value) => emit1('Sigmoid', [x], {}, x.dtype, x.shape);
rules.Sigmoid = (n, [dy]) => {
  const y = n.outputs[0]!;
  return [mul(dy!, mul(y, sub(scalarLike(1, y), y)))];
};

export const tanh = (x: Value) => emit1('Tanh', [x], {}, x.dtype, x.shape);
rules.Tanh = (n, [dy]) => {
  const y = n.outputs[0]!;
  return [mul(dy!, sub(scalarLike(1, y), mul(y, y)))];
};

/** x ** p for a constant exponent p. */
export const powConst = (x: Value, p: number) => binary('Pow', x, scalarLike(p, x));
rules.Pow = (n, [dy]) => {
  const [x, p] = n.inputs as Value[];
  const pc = p!.graph.initializers.find((i) => i.value === p);
  if (pc?.data.length !== 1) throw new Error('Pow: only a constant scalar exponent is differentiable');
  const e = Number(pc.data[0]);
  return [mul(dy!, mul(scalarLike(e, x!), binary('Pow', x!, scalarLike(e - 1, x!)))), undefined];
};

export const max = (a: Value, b: Value) => binary('Max', a, b);
export const min = (a: Value, b: Value) => binary('Min', a, b);
// Ties send the gradient to the first input, like PyTorch's torch.minimum/maximum do not; either is a valid subgradient.
rules.Max = (n, [dy]) => selectRule(n, dy!, greaterOrEqual);
rules.Min = (n, [dy]) => selectRule(n, dy!, lessOrEqual);
function selectRule(n: Node, dy: Value, cmp: (a: Value, b: Value) => Value): Value[] {
  const [a, b] = n.inputs as Value[];
  const pickA = cmp(a!, b!);
  const zero = scalarLike(0, dy);
  return [unbroadcast(where(pickA, dy, zero), a!.shape), unbroadcast(where(pickA, zero, dy), b!.shape)];
}

/** Clip with tensor bounds; the bounds get no gradient. */
export const clip = (x: Value, lo: Value, hi: Value) => emit1('Clip', [x, lo, hi], {}, x.dtype, x.shape);
rules.Clip = (n, [dy]) => {
  const [x, lo, hi] = n.inputs as Value[];
  const inside = and(greaterOrEqual(x!, lo!), lessOrEqual(x!, hi!));
  return [where(inside, dy!, scalarLike(0, dy!)), undefined, undefined];
};

export const where = (cond: Value, a: Value, b: Value) =>
  emit1('Where', [cond, a, b], {}, a.dtype, broadcastShape(cond.shape, broadcastShape(a.shape, b.shape)));
rules.Where = (n, [dy]) => {
  const [c, a, b] = n.inputs as Value[];
  const zero = scalarLike(0, dy!);
  return [undefined, unbroadcast(where(c!, dy!, zero), a!.shape), unbroadcast(where(c!, zero, dy!), b!.shape)];
};

export const identity = (x: Value, hint?: string) => emit1('Identity', [x], {}, x.dtype, x.shape, hint);
rules.Identity = (_n, [dy]) => [dy];

export const cast = (x: Value, to: DType) => emit1('Cast', [x], { to: ONNX_TYPE[to] }, to, x.shape);
rules.Cast = (n, [dy]) => {
  const x = n.inputs[0]!;
  return [isFloat(x.dtype) ? cast(dy!, x.dtype) : undefined];
};

export const ONNX_TYPE: Record<DType, number> = { float32: 1, float64: 11, float16: 10, int64: 7, int32: 6, bool: 9 };
export const isFloat = (d: DType) => d === 'float32' || d === 'float64' || d === 'float16';

// ---------------------------------------------------------------- comparisons and logic (no gradient)

const compare = (op: string) => (a: Value, b: Value) => emit1(op, [a, b], {}, 'bool', broadcastShape(a.shape, b.shape));
export const less = compare('Less');
export const lessOrEqual = compare('LessOrEqual');
export const greater = compare('Greater');
export const greaterOrEqual = compare('GreaterOrEqual');
export const equal = compare('Equal');
export const and = compare('And');
export const or = compare('Or');
export const not = (x: Value) => emit1('Not', [x], {}, 'bool', x.shape);

// ---------------------------------------------------------------- matrix products

function matmulShape(a: Shape, b: Shape): Shape {
  if (a.length < 2 || b.length < 2) throw new Error(`MatMul needs rank >= 2, got [${a}] x [${b}]`);
  const batch = broadcastShape(a.slice(0, -2), b.slice(0, -2));
  return [...batch, a[a.length - 2]!, b[b.length - 1]!];
}

export const matmul = (a: Value, b: Value, hint?: string) =>
  emit1('MatMul', [a, b], {}, a.dtype, matmulShape(a.shape, b.shape), hint);
rules.MatMul = (n, [dy]) => {
  const [a, b] = n.inputs as Value[];
  const da = matmul(dy!, transposeLast2(b!));
  const db = matmul(transposeLast2(a!), dy!);
  return [unbroadcast(da, a!.shape), unbroadcast(db, b!.shape)];
};

export function transposeLast2(x: Value): Value {
  const r = x.shape.length;
  const perm = Array.from({ length: r }, (_, i) => i);
  [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
  return transpose(x, perm);
}

export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
}

/** Y = alpha * op(A) op(B) + beta * C for 2-D A and B. */
export function gemm(a: Value, b: Value, c?: Value, o: GemmOptions = {}, hint?: string): Value {
  const [m, k1] = o.transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const n = o.transB ? b.shape[0]! : b.shape[1]!;
  void k1;
  const attrs: Attrs = { transA: o.transA ? 1 : 0, transB: o.transB ? 1 : 0 };
  if (o.alpha !== undefined && o.alpha !== 1) attrs.alpha = { float: o.alpha };
  if (o.beta !== undefined && o.beta !== 1) attrs.beta = { float: o.beta };
  return emit1('Gemm', c ? [a, b, c] : [a, b], attrs, a.dtype, [m, n], hint);
}
rules.Gemm = (n, [dy]) => {
  const [a, b, c] = n.inputs as Value[];
  const tA = n.attrs.transA === 1,
    tB = n.attrs.transB === 1;
  const alpha = n.attrs.alpha ? (n.attrs.alpha as { float: number }).float : 1;
  const beta = n.attrs.beta ? (n.attrs.beta as { float: number }).float : 1;
  // Y = op(A) op(B): d op(A) = dY op(B)^T and d op(B) = op(A)^T dY, transposed back where A or B was transposed.
  const da = tA
    ? gemm(b!, dy!, undefined, { transA: tB, transB: true, alpha })
    : gemm(dy!, b!, undefined, { transB: !tB, alpha });
  const db = tB
    ? gemm(dy!, a!, undefined, { transA: true, transB: tA, alpha })
    : gemm(a!, dy!, undefined, { transA: !tA, alpha });
  const dc = c ? unbroadcast(beta === 1 ? dy! : mul(dy!, scalarLike(beta, dy!)), c.shape) : undefined;
  return c ? [da, db, dc] : [da, db];
};

// ---------------------------------------------------------------- shape ops

export const shapeOf = (x: Value) => emit1('Shape', [x], {}, 'int64', [x.shape.length]);

/**
 * Reshape to a static target (numbers; 0 copies the input dim, -1 infers one dim) or to a shape
 * computed in the graph (an int64 Value), in which case `outShape` tells the builder the result.
 */
export function reshape(x: Value, target: Dim[] | Value, outShape?: Shape, hint?: string): Value {
  if (!Array.isArray(target)) {
    const shape = outShape ?? Array.from({ length: target.shape[0] as number }, unknownDim);
    return emit1('Reshape', [x, target], {}, x.dtype, shape, hint);
  }
  const dims = target.map((d, i) => (d === 0 ? x.shape[i]! : d));
  target.forEach((d, i) => {
    if (typeof d === 'string' && x.shape[i] !== d)
      throw new Error(`reshape: symbolic dim ${d} must stay at position ${i}`);
  });
  const numeric = target.map((d) => (typeof d === 'number' ? d : 0));
  if (dims.includes(-1)) {
    const total = staticSize(x.shape);
    const rest = staticSize(dims.filter((d) => d !== -1));
    dims[dims.indexOf(-1)] = total !== undefined && rest !== undefined ? total / rest : unknownDim();
  }
  return emit1('Reshape', [x, x.graph.ints(numeric)], {}, x.dtype, outShape ?? dims, hint);
}
rules.Reshape = (n, [dy]) => [reshape(dy!, shapeOf(n.inputs[0]!), n.inputs[0]!.shape), undefined];

export function transpose(x: Value, perm: number[], hint?: string): Value {
  return emit1(
    'Transpose',
    [x],
    { perm },
    x.dtype,
    perm.map((p) => x.shape[p]!),
    hint,
  );
}
rules.Transpose = (n, [dy]) => {
  const perm = n.attrs.perm as number[];
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return [transpose(dy!, inv)];
};

export function unsqueeze(x: Value, axes: number[]): Value {
  const rank = x.shape.length + axes.length;
  const ax = axes.map((a) => normAxis(a, rank)).sort((a, b) => a - b);
  const shape: Dim[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) shape.push(ax.includes(i) ? 1 : x.shape[k++]!);
  return emit1('Unsqueeze', [x, x.graph.ints(ax)], {}, x.dtype, shape);
}
rules.Unsqueeze = (n, [dy]) => [squeeze(dy!, readInts(n.inputs[1]!)), undefined];

export function squeeze(x: Value, axes: number[]): Value {
  const ax = axes.map((a) => normAxis(a, x.shape.length));
  return emit1(
    'Squeeze',
    [x, x.graph.ints(ax)],
    {},
    x.dtype,
    x.shape.filter((_, i) => !ax.includes(i)),
  );
}
rules.Squeeze = (n, [dy]) => [unsqueeze(dy!, readInts(n.inputs[1]!)), undefined];

/** Slice along one axis, [start, end) with Python-style negative ends. */
export function slice(x: Value, axis: number, start: number, end: number, hint?: string): Value {
  const ax = normAxis(axis, x.shape.length);
  const d = x.shape[ax]!;
  let size: Dim;
  if (typeof d === 'number') {
    const s = start < 0 ? Math.max(d + start, 0) : Math.min(start, d);
    const e = end < 0 ? Math.max(d + end, 0) : Math.min(end, d);
    size = Math.max(e - s, 0);
  } else if (start >= 0 && end < 0) size = start === 0 && end === -1 ? `${d}-1` : unknownDim();
  else if (start >= 0 && end >= INT64_MAX) size = start === 1 ? `${d}-1` : unknownDim();
  else size = unknownDim();
  const shape = x.shape.slice();
  shape[ax] = size;
  const g = x.graph;
  return emit1('Slice', [x, g.ints([start]), g.ints([end]), g.ints([ax])], {}, x.dtype, shape, hint);
}
export const TO_END = INT64_MAX;
rules.Slice = (n, [dy]) => {
  const g = n.inputs[0]!.graph;
  const read = (v: Value | undefined) => Number((g.initializers.find((i) => i.value === v)!.data as BigInt64Array)[0]);
  const start = read(n.inputs[1]),
    end = read(n.inputs[2]),
    axis = read(n.inputs[3]);
  const x = n.inputs[0]!;
  const d = x.shape[axis];
  let before: number, after: number;
  if (start >= 0 && end < 0) [before, after] = [start, -end];
  else if (start >= 0 && end >= INT64_MAX) [before, after] = [start, 0];
  else if (typeof d === 'number' && start >= 0 && end >= 0) [before, after] = [start, d - Math.min(end, d)];
  else throw new Error(`Slice: no gradient for start ${start}, end ${end} on a symbolic dim`);
  const rank = x.shape.length;
  const pads = new Array<number>(2 * rank).fill(0);
  pads[axis] = before;
  pads[rank + axis] = after;
  return [emit1('Pad', [dy!, g.ints(pads)], {}, dy!.dtype, x.shape), undefined, undefined, undefined];
};

export function concat(xs: Value[], axis: number, hint?: string): Value {
  const ax = normAxis(axis, xs[0]!.shape.length);
  const shape = xs[0]!.shape.slice();
  const sizes = xs.map((x) => x.shape[ax]!);
  shape[ax] = sizes.every((s) => typeof s === 'number') ? (sizes as number[]).reduce((a, b) => a + b, 0) : unknownDim();
  return emit1('Concat', xs, { axis: ax }, xs[0]!.dtype, shape, hint);
}
rules.Concat = (n, [dy]) => {
  const axis = n.attrs.axis as number;
  const inputs = n.inputs as Value[];
  const sizes = inputs.map((x) => x.shape[axis]!);
  if (sizes.every((s) => typeof s === 'number')) return split(dy!, axis, sizes as number[]);
  // Symbolic sizes: Split by the inputs' sizes along the axis, read from their shapes at run time.
  const dims = inputs.map((x) => emit1('Shape', [x], { start: axis, end: axis + 1 }, 'int64', [1]));
  const outs = inputs.map((x) => ({ dtype: dy!.dtype, shape: x.shape }));
  return emit('Split', [dy!, concat(dims, 0)], { axis }, outs);
};

export function split(x: Value, axis: number, sizes: number[]): Value[] {
  const ax = normAxis(axis, x.shape.length);
  return emit(
    'Split',
    [x, x.graph.ints(sizes)],
    { axis: ax },
    sizes.map((s) => {
      const shape = x.shape.slice();
      shape[ax] = s;
      return { dtype: x.dtype, shape };
    }),
  );
}
rules.Split = (n, dOut) => {
  const parts = dOut.map((d, k) => d ?? zerosLike(n.outputs[k]!));
  return [concat(parts, n.attrs.axis as number), undefined];
};

/** Broadcast x to a shape given as a Value (e.g. shapeOf(other)) or static numbers. */
export function expand(x: Value, shape: Value | number[], outShape?: Shape): Value {
  const s = Array.isArray(shape) ? x.graph.ints(shape) : shape;
  const out =
    outShape ??
    (Array.isArray(shape)
      ? broadcastShape(x.shape, shape)
      : Array.from({ length: shape.shape[0] as number }, unknownDim));
  return emit1('Expand', [x, s], {}, x.dtype, out);
}
rules.Expand = (n, [dy]) => [unbroadcast(dy!, n.inputs[0]!.shape), undefined];

const zeroTensors = new WeakSet<Value>();

export function zerosLike(x: Value): Value {
  const z = expand(x.graph.scalar(0, x.dtype), shapeOf(x), x.shape);
  zeroTensors.add(z);
  return z;
}

/** Whether v is a zerosLike tensor (autodiff folds a scatter-add into zeros into another gradient). */
export const isZeros = (v: Value | undefined): boolean => v !== undefined && zeroTensors.has(v);

// ---------------------------------------------------------------- reductions

function reducedShape(shape: Shape, axes: number[], keep: boolean): Shape {
  const ax = axes.map((a) => normAxis(a, shape.length));
  return keep ? shape.map((d, i) => (ax.includes(i) ? 1 : d)) : shape.filter((_, i) => !ax.includes(i));
}

export function reduceSum(x: Value, axes: number[], keepdims = true, hint?: string): Value {
  return emit1(
    'ReduceSum',
    [x, x.graph.ints(axes)],
    { keepdims: keepdims ? 1 : 0 },
    x.dtype,
    reducedShape(x.shape, axes, keepdims),
    hint,
  );
}
rules.ReduceSum = (n, [dy]) => [expandBack(n, dy!), undefined];

export function reduceMean(x: Value, axes: number[], keepdims = true, hint?: string): Value {
  return emit1(
    'ReduceMean',
    [x, x.graph.ints(axes)],
    { keepdims: keepdims ? 1 : 0 },
    x.dtype,
    reducedShape(x.shape, axes, keepdims),
    hint,
  );
}
rules.ReduceMean = (n, [dy]) => {
  const x = n.inputs[0]!;
  const axes = readInts(n.inputs[1]!).map((a) => normAxis(a, x.shape.length));
  const count = staticSize(axes.map((a) => x.shape[a]!));
  let scaled: Value;
  if (count !== undefined) scaled = mul(dy!, scalarLike(1 / count, dy!));
  else
    scaled = div(
      dy!,
      cast(div(emit1('Size', [x], {}, 'int64', []), emit1('Size', [n.outputs[0]!], {}, 'int64', [])), dy!.dtype),
    );
  return [expandBack(n, scaled), undefined];
};

function expandBack(n: Node, dy: Value): Value {
  const x = n.inputs[0]!;
  const axes = readInts(n.inputs[1]!).map((a) => normAxis(a, x.shape.length));
  const keep = n.attrs.keepdims !== 0;
  const d = keep ? dy : unsqueeze(dy, axes);
  return expand(d, shapeOf(x), x.shape);
}

export function readInts(v: Value): number[] {
  const init = v.graph.initializers.find((i) => i.value === v);
  if (!init) throw new Error(`${v.name} is not a constant`);
  return Array.from(init.data as BigInt64Array, Number);
}

// ---------------------------------------------------------------- softmax family

export const softmax = (x: Value, axis = -1) => emit1('Softmax', [x], { axis }, x.dtype, x.shape);
rules.Softmax = (n, [dy]) => {
  const y = n.outputs[0]!;
  const axis = n.attrs.axis as number;
  return [mul(y, sub(dy!, reduceSum(mul(dy!, y), [axis], true)))];
};

export const logSoftmax = (x: Value, axis = -1) => emit1('LogSoftmax', [x], { axis }, x.dtype, x.shape);
rules.LogSoftmax = (n, [dy]) => {
  const y = n.outputs[0]!;
  const axis = n.attrs.axis as number;
  return [sub(dy!, mul(exp(y), reduceSum(dy!, [axis], true)))];
};

// ---------------------------------------------------------------- indexing

/** Rows of `table` ([V, ...]) picked by integer `indices` (embedding lookup). */
export function gather(table: Value, indices: Value, hint?: string): Value {
  return emit1('Gather', [table, indices], { axis: 0 }, table.dtype, [...indices.shape, ...table.shape.slice(1)], hint);
}
rules.Gather = (n, [dy]) => {
  if (n.attrs.axis !== 0) throw new Error('Gather: gradient only along axis 0');
  const [table, idx] = n.inputs as Value[];
  if (table!.shape.length !== 2) throw new Error('Gather: gradient only for a [V, D] table');
  // ScatterElements along axis 0, each index repeated across its row, rather than ScatterND:
  // onnxruntime's ScatterND adds update rows on several threads, so a repeated index (the same token
  // twice in a batch) races and loses updates.
  const D = table!.shape[1]!;
  const flatDy = reshape(dy!, [-1, D], [unknownDim(), D]);
  const spread = expand(reshape(idx!, [-1, 1], [flatDy.shape[0]!, 1]), shapeOf(flatDy), flatDy.shape);
  return [scatterElementsAdd(zerosLike(table!), spread, flatDy, 0), undefined];
};

export function gatherElements(x: Value, indices: Value, axis: number): Value {
  return emit1('GatherElements', [x, indices], { axis: normAxis(axis, x.shape.length) }, x.dtype, indices.shape);
}
rules.GatherElements = (n, [dy]) => {
  const [x, idx] = n.inputs as Value[];
  return [scatterElementsAdd(zerosLike(x!), idx!, dy!, n.attrs.axis as number), undefined];
};

/** A copy of `x` with `updates` added at `indices` along `axis` (duplicates accumulate). */
export function scatterElementsAdd(x: Value, indices: Value, updates: Value, axis: number): Value {
  return emit1(
    'ScatterElements',
    [x, indices, updates],
    { axis: normAxis(axis, x.shape.length), reduction: 'add' },
    x.dtype,
    x.shape,
  );
}

// ---------------------------------------------------------------- integer helpers (no gradient)

export const cumSum = (x: Value, axis: number) =>
  emit1('CumSum', [x, x.graph.constant([BigInt(axis)], 'int64', [], 'axis')], {}, x.dtype, x.shape);

export function range(start: Value, limit: Value, delta: Value, len: Dim): Value {
  return emit1('Range', [start, limit, delta], {}, start.dtype, [len]);
}

export const cos = (x: Value) => emit1('Cos', [x], {}, x.dtype, x.shape);
rules.Cos = (n, [dy]) => [neg(mul(dy!, sin(n.inputs[0]!)))];
export const sin = (x: Value) => emit1('Sin', [x], {}, x.dtype, x.shape);
rules.Sin = (n, [dy]) => [mul(dy!, cos(n.inputs[0]!))];

/** Element `index` of a 1-D int64 tensor, as a scalar. */
export const element = (x: Value, index: number) =>
  emit1('Gather', [x, x.graph.constant([BigInt(index)], 'int64', [], 'idx')], { axis: 0 }, x.dtype, []);

/** Any ONNX op with no gradient rule (integer logic, sampling, control flow); `outs` gives result types. */
export function apply(
  opType: string,
  inputs: (Value | undefined)[],
  attrs: Attrs,
  outs: { dtype: DType; shape: Shape }[],
  hint?: string,
): Value[] {
  return emit(opType, inputs, attrs, outs, hint);
}
