/**
 * Reverse-mode differentiation over the graph builder. One backward walk over the nodes that lie on
 * a path from a requested input to the differentiated output, in reverse creation order (which is a
 * topological order), accumulating each value's gradient from its consumers with the op rules of ops.ts.
 */
import type { Composite, Node, Value } from './graph.js';
import { rules, add, isFloat, isZeros, scatterElementsAdd } from './ops.js';

/**
 * Emits into `y`'s graph the gradients of `sum(y * seed)` (seed defaults to ones, i.e. y a scalar
 * loss) with respect to each of `wrt`. A requested value with no path to `y` gets undefined.
 */
export function gradients(y: Value, wrt: Value[], seed?: Value): (Value | undefined)[] {
  const g = y.graph;
  const nodes = walkOrder(g.nodes, g.composites);
  const lastForward = nodes.findIndex((n) => n.outputs.includes(y));

  // Forward: which values depend on a requested input.
  const dependsOnWrt = new Set<Value>(wrt);
  for (let i = 0; i <= lastForward; i++) {
    const n = nodes[i]!;
    if (n.inputs.some((v) => v && dependsOnWrt.has(v)))
      for (const o of n.outputs) if (isFloat(o.dtype)) dependsOnWrt.add(o);
  }
  // Backward: which of those the output depends on.
  const needed = new Set<Node>();
  const onPath = new Set<Value>([y]);
  for (let i = lastForward; i >= 0; i--) {
    const n = nodes[i]!;
    if (!n.outputs.some((o) => onPath.has(o) && dependsOnWrt.has(o))) continue;
    needed.add(n);
    for (const v of n.inputs) if (v && dependsOnWrt.has(v)) onPath.add(v);
  }

  const contributions = new Map<Value, Value[]>();
  const push = (v: Value, d: Value) => {
    const list = contributions.get(v);
    if (list) list.push(d);
    else contributions.set(v, [d]);
  };
  const total = (v: Value): Value | undefined => {
    const list = contributions.get(v);
    if (!list) return undefined;
    if (list.length > 1) {
      // Chained Adds: onnxruntime's Sum of three takes 1.25x as long as two Adds.
      const summed = list.reduce((a, b) => sum2(a, b));
      contributions.set(v, [summed]);
      return summed;
    }
    return list[0];
  };

  push(y, seed ?? g.scalar(1, y.dtype));
  for (let i = lastForward; i >= 0; i--) {
    const n = nodes[i]!;
    if (!needed.has(n)) continue;
    const dOut = n.outputs.map(total);
    if (dOut.every((d) => d === undefined)) continue;
    const rule = n.vjp ? (_n: Node, d: (Value | undefined)[]) => n.vjp!(d) : rules[n.opType];
    if (!rule) throw new Error(`no gradient rule for ${n.opType} (node ${n.name})`);
    const dIn = rule(n, dOut);
    n.inputs.forEach((v, k) => {
      const d = dIn[k];
      if (v && d && dependsOnWrt.has(v) && onPath.has(v)) push(v, d);
    });
  }
  return wrt.map(total);
}

/**
 * a + b, where a contribution that is a scatter-add into zeros (Gather's rule: an embedding table's
 * gradient) scatters into the other contribution instead (a tied lm_head's weight gradient): no zero
 * table to fill and no Add over the table, and onnxruntime scatters in place into the Gemm's output.
 */
function sum2(a: Value, b: Value): Value {
  const intoZeros = (x: Value) => {
    const n = x.producer;
    return n?.opType === 'ScatterElements' && n.attrs.reduction === 'add' && isZeros(n.inputs[0]) ? n : undefined;
  };
  const s = intoZeros(a) ?? intoZeros(b);
  if (!s) return add(a, b);
  const [, indices, updates] = s.inputs as Value[];
  return scatterElementsAdd(s === a.producer ? b : a, indices!, updates!, s.attrs.axis as number);
}

/** The graph's nodes with each outermost composite standing in for the nodes it spans. */
function walkOrder(nodes: readonly Node[], composites: readonly Composite[]): Node[] {
  if (composites.length === 0) return nodes.slice();
  const sorted = [...composites].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Node[] = [];
  let i = 0;
  for (const c of sorted) {
    if (c.start < i) continue; // nested inside an earlier composite
    while (i < c.start) out.push(nodes[i++]!);
    out.push(c.node);
    i = c.end;
  }
  while (i < nodes.length) out.push(nodes[i++]!);
  return out;
}
