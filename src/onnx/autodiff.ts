/**
 * Reverse-mode differentiation over the graph builder. One backward walk over the nodes that lie on
 * a path from a requested input to the differentiated output, in reverse creation order (which is a
 * topological order), accumulating each value's gradient from its consumers with the op rules of ops.ts.
 */
import type { Node, Value } from './graph.js';
import { rules, add, isFloat } from './ops.js';

/**
 * Emits into `y`'s graph the gradients of `sum(y * seed)` (seed defaults to ones, i.e. y a scalar
 * loss) with respect to each of `wrt`. A requested value with no path to `y` gets undefined.
 */
export function gradients(y: Value, wrt: Value[], seed?: Value): (Value | undefined)[] {
  const g = y.graph;
  const nodes = g.nodes;
  const index = new Map<Node, number>(nodes.map((n, i) => [n, i]));
  const lastForward = y.producer ? index.get(y.producer)! : -1;

  // Forward: which values depend on a requested input.
  const dependsOnWrt = new Set<Value>(wrt);
  for (let i = 0; i <= lastForward; i++) {
    const n = nodes[i]!;
    if (n.inputs.some((v) => v && dependsOnWrt.has(v))) for (const o of n.outputs) if (isFloat(o.dtype)) dependsOnWrt.add(o);
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
      const summed = list.length === 2 ? add(list[0]!, list[1]!) : g.node('Sum', list, {}, [{ dtype: v.dtype, shape: v.shape }])[0]!;
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
    const rule = rules[n.opType];
    if (!rule) throw new Error(`no gradient rule for ${n.opType} (node ${n.name})`);
    const dIn = rule(n, dOut);
    n.inputs.forEach((v, k) => {
      const d = dIn[k];
      if (v && d && dependsOnWrt.has(v) && onPath.has(v)) push(v, d);
    });
  }
  return wrt.map(total);
}
