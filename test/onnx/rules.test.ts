import * as op from '../../src/onnx/ops.js';
import { Graph, type Value } from '../../src/onnx/graph.js';
import { gradients } from '../../src/onnx/autodiff.js';
import { gradCheck, type InputSpec } from './gradcheck.js';

// Central differences in float64 with h = 1e-5: truncation ~ h^2 |f'''| ~ 1e-10 and round-off
// ~ 1e-16 |L| / h ~ 1e-10 for the O(1)-O(10) losses here, so 1e-6 leaves a wide margin while any
// wrong rule (a missing factor, a transposed product, a lost broadcast sum) is off by O(1).
const TOL = 1e-6;

const cases: [string, (xs: Value[]) => Value, InputSpec[], { h?: number; tol?: number }?][] = [
  ['Add with broadcast', ([a, b]) => op.add(a!, b!), [{ shape: [3, 4] }, { shape: [4] }]],
  ['Add with keepdim broadcast', ([a, b]) => op.add(a!, b!), [{ shape: [2, 3, 4] }, { shape: [2, 1, 4] }]],
  ['Sub with broadcast', ([a, b]) => op.sub(a!, b!), [{ shape: [1, 4] }, { shape: [3, 1] }]],
  ['Mul with broadcast', ([a, b]) => op.mul(a!, b!), [{ shape: [2, 3, 4] }, { shape: [3, 1] }]],
  ['Div', ([a, b]) => op.div(a!, b!), [{ shape: [3, 4] }, { shape: [4], positive: true }]],
  ['Neg', ([a]) => op.neg(a!), [{ shape: [5] }]],
  ['Exp', ([a]) => op.exp(a!), [{ shape: [5] }]],
  ['Log', ([a]) => op.log(a!), [{ shape: [5], positive: true }]],
  ['Sqrt', ([a]) => op.sqrt(a!), [{ shape: [5], positive: true }]],
  ['Reciprocal', ([a]) => op.reciprocal(a!), [{ shape: [5], positive: true }]],
  ['Sigmoid', ([a]) => op.sigmoid(a!), [{ shape: [6] }]],
  ['Tanh', ([a]) => op.tanh(a!), [{ shape: [6] }]],
  ['Cos', ([a]) => op.cos(a!), [{ shape: [6] }]],
  ['Sin', ([a]) => op.sin(a!), [{ shape: [6] }]],
  ['Pow by a constant', ([a]) => op.powConst(a!, 1.7), [{ shape: [5], positive: true }]],
  ['Max', ([a, b]) => op.max(a!, b!), [{ shape: [8] }, { shape: [8] }]],
  ['Min with broadcast', ([a, b]) => op.min(a!, b!), [{ shape: [2, 4] }, { shape: [4] }]],
  [
    'Clip with tensor bounds',
    ([x]) => op.clip(x!, x!.graph.scalar(-0.5, 'float64'), x!.graph.scalar(0.7, 'float64')),
    [{ shape: [12] }],
  ],
  [
    'Where',
    ([c, a, b]) => op.where(op.greater(c!, c!.graph.scalar(0, 'float64')), a!, b!),
    [{ shape: [6] }, { shape: [6] }, { shape: [1] }],
  ],
  ['Identity', ([a]) => op.identity(a!), [{ shape: [3] }]],
  ['MatMul 2-D', ([a, b]) => op.matmul(a!, b!), [{ shape: [3, 4] }, { shape: [4, 5] }]],
  ['MatMul batched with broadcast weight', ([a, b]) => op.matmul(a!, b!), [{ shape: [2, 3, 4] }, { shape: [4, 5] }]],
  ['MatMul 4-D', ([a, b]) => op.matmul(a!, b!), [{ shape: [2, 2, 3, 4] }, { shape: [2, 2, 4, 3] }]],
  ['Gemm', ([a, b, c]) => op.gemm(a!, b!, c!), [{ shape: [3, 4] }, { shape: [4, 5] }, { shape: [5] }]],
  [
    'Gemm transA',
    ([a, b]) => op.gemm(a!, b!, undefined, { transA: true, alpha: 0.5 }),
    [{ shape: [4, 3] }, { shape: [4, 5] }],
  ],
  ['Gemm transB', ([a, b]) => op.gemm(a!, b!, undefined, { transB: true }), [{ shape: [3, 4] }, { shape: [5, 4] }]],
  [
    'Gemm transA transB beta',
    ([a, b, c]) => op.gemm(a!, b!, c!, { transA: true, transB: true, beta: 2 }),
    [{ shape: [4, 3] }, { shape: [5, 4] }, { shape: [3, 1] }],
  ],
  ['Reshape', ([a]) => op.reshape(a!, [3, -1]), [{ shape: [2, 3, 2] }]],
  ['Transpose', ([a]) => op.transpose(a!, [2, 0, 1]), [{ shape: [2, 3, 4] }]],
  ['Unsqueeze', ([a]) => op.unsqueeze(a!, [1]), [{ shape: [2, 3] }]],
  ['Squeeze', ([a]) => op.squeeze(a!, [1]), [{ shape: [2, 1, 3] }]],
  ['Slice from start', ([a]) => op.slice(a!, 1, 1, op.TO_END), [{ shape: [2, 4] }]],
  ['Slice with negative end', ([a]) => op.slice(a!, 1, 0, -1), [{ shape: [2, 4] }]],
  ['Slice middle', ([a]) => op.slice(a!, 0, 1, 3), [{ shape: [4, 2] }]],
  ['Concat', ([a, b]) => op.concat([a!, b!], -1), [{ shape: [2, 3] }, { shape: [2, 2] }]],
  [
    // Sizes along the axis known only at run time: the rule splits by the inputs' shapes in the graph.
    'Concat with symbolic sizes',
    ([a, b]) => {
      const symbolic = (x: Value, rows: string) => op.reshape(x, op.shapeOf(x), [rows, 3]);
      return op.concat([symbolic(a!, 'm'), symbolic(b!, 'n')], 0);
    },
    [{ shape: [2, 3] }, { shape: [4, 3] }],
  ],
  ['Split (one part used)', ([a]) => op.split(a!, 1, [2, 3])[1]!, [{ shape: [2, 5] }]],
  [
    'Split (both parts)',
    ([a]) => {
      const [p, q] = op.split(a!, 0, [1, 2]);
      return op.add(op.mul(p!, p!), op.reduceSum(q!, [0], true));
    },
    [{ shape: [3, 2] }],
  ],
  ['Expand', ([a]) => op.expand(a!, [3, 2, 4]), [{ shape: [2, 1] }]],
  ['ReduceSum keepdims', ([a]) => op.reduceSum(a!, [1], true), [{ shape: [2, 3, 4] }]],
  ['ReduceSum dropping dims', ([a]) => op.reduceSum(a!, [0, 2], false), [{ shape: [2, 3, 4] }]],
  ['ReduceMean', ([a]) => op.reduceMean(a!, [-1], true), [{ shape: [2, 5] }]],
  ['Softmax', ([a]) => op.softmax(a!, -1), [{ shape: [3, 5] }]],
  ['LogSoftmax', ([a]) => op.logSoftmax(a!, -1), [{ shape: [3, 5] }]],
  [
    'Gather (embedding, repeated ids)',
    ([t, i]) => op.gather(t!, i!),
    [{ shape: [5, 3] }, { shape: [2, 3], int: true, data: [0, 4, 0, 2, 2, 2] }],
  ],
  [
    'GatherElements',
    ([x, i]) => op.gatherElements(x!, i!, 1),
    [{ shape: [3, 4] }, { shape: [3, 1], int: true, data: [3, 0, 3] }],
  ],
  [
    'Cast float64 -> float32 -> float64',
    ([a]) => op.cast(op.cast(op.mul(a!, a!), 'float32'), 'float64'),
    [{ shape: [4], data: [0.5, -0.25, 2, 1] }],
    // x^2 is quadratic, so central differences are exact for any h; h = 0.01 keeps float32 rounding
    // of the middle value (~6e-8 relative) below 1e-5 of the difference quotient.
    { h: 1e-2, tol: 1e-4 },
  ],
  // A tied embedding: the Gather's scatter-add is folded into the Gemm's weight gradient (autodiff's sum2).
  [
    'Gather and Gemm on one table (tied embedding)',
    ([t, i]) => op.gemm(op.reshape(op.gather(t!, i!), [-1, 3]), t!, undefined, { transB: true }),
    [{ shape: [5, 3] }, { shape: [2, 3], int: true, data: [0, 4, 0, 2, 2, 2] }],
  ],
  [
    'a chain reusing a value (accumulation)',
    ([a, b]) => op.mul(op.add(op.mul(a!, b!), a!), op.exp(a!)),
    [{ shape: [4] }, { shape: [4] }],
  ],
];

describe('vector-Jacobian rules against central finite differences (float64)', () => {
  it.each(cases.map((c) => [c[0], c[1], c[2], c[3] ?? {}] as const))('%s', async (_name, build, specs, opts) => {
    const { maxRelErr, checked } = await gradCheck(build, specs, { h: opts?.h });
    expect(checked).toBeGreaterThan(0);
    expect(maxRelErr).toBeLessThan(opts?.tol ?? TOL);
  });
});

/**
 * The op types whose rules a case's gradient check runs: those of the nodes on a path from a float
 * input to the output (as autodiff.ts selects them), not index or comparison side paths.
 */
function differentiatedOps(build: (xs: Value[]) => Value, specs: InputSpec[]): Set<string> {
  const g = new Graph('ops');
  const xs = specs.map((s, i) => g.input(`x${i}`, s.int ? 'int64' : 'float64', s.shape));
  const y = build(xs);
  const fromInput = new Set<Value>(xs.filter((_, i) => !specs[i]!.int));
  for (const n of g.nodes)
    if (n.inputs.some((v) => v && fromInput.has(v)))
      for (const o of n.outputs) if (op.isFloat(o.dtype)) fromInput.add(o);
  const toOutput = new Set<Value>([y]);
  const ops = new Set<string>();
  for (const n of [...g.nodes].reverse()) {
    if (!n.outputs.some((o) => toOutput.has(o) && fromInput.has(o))) continue;
    ops.add(n.opType);
    for (const v of n.inputs) if (v) toOutput.add(v);
  }
  return ops;
}

describe('rule coverage', () => {
  it('every op with a rule in ops.ts has a case above whose checked gradient runs through that rule', () => {
    const tested = new Set(cases.flatMap(([, build, specs]) => [...differentiatedOps(build, specs)]));
    // A floor, so that an empty table (rules registered elsewhere, say) cannot pass as covered.
    expect(Object.keys(op.rules).length).toBeGreaterThanOrEqual(36);
    expect(Object.keys(op.rules).filter((opType) => !tested.has(opType))).toEqual([]);
  });
});

describe('gradient accumulation', () => {
  it("scatters a tied table's Gather gradient into its other gradient instead of adding a scattered zero table", () => {
    const g = new Graph('tied');
    const table = g.input('table', 'float32', [5, 3]);
    const ids = g.input('ids', 'int64', [4]);
    const loss = op.reduceSum(op.gemm(op.gather(table, ids), table, undefined, { transB: true }), [0, 1], false);
    const [d] = gradients(loss, [table]);
    expect(d!.producer?.opType).toBe('ScatterElements');
    expect(d!.producer!.inputs[0]!.producer?.opType).toBe('Gemm');
  });
});
