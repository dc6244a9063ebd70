/**
 * Central finite-difference check of the VJP rules: L = sum(f(x...) * R) for a fixed random R, its
 * gradients from the emitted backward graph against (L(x + h e_i) - L(x - h e_i)) / 2h, in float64.
 */
import { Graph, type Value } from '../../src/onnx/graph.js';
import { gradients } from '../../src/onnx/autodiff.js';
import { mul, reduceSum } from '../../src/onnx/ops.js';
import { serializeModel } from '../../src/onnx/serialize.js';
import { createSession, tensor } from '../../src/runtime/session.js';
import { Rng } from '../../src/util/rng.js';

export interface InputSpec {
  shape: number[];
  /** Values; random normal by default. */
  data?: number[];
  /** Positive inputs (for log, sqrt, ...). */
  positive?: boolean;
  /** Integer input (indices): not differentiated. */
  int?: boolean;
}

export interface GradCheckResult {
  maxAbsErr: number;
  maxRelErr: number;
  checked: number;
}

export async function gradCheck(
  build: (xs: Value[]) => Value,
  specs: InputSpec[],
  opts: { seed?: number; h?: number; maxCoords?: number } = {},
): Promise<GradCheckResult> {
  const rng = new Rng(opts.seed ?? 1);
  const h = opts.h ?? 1e-5;
  const values = specs.map(
    (s) =>
      s.data ??
      Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, () =>
        s.positive ? 0.5 + rng.uniform() : rng.normal(),
      ),
  );

  // Forward once to learn the output shape, then build L = sum(y * R).
  const probe = new Graph('probe');
  const probeIn = specs.map((s, i) => probe.input(`x${i}`, s.int ? 'int64' : 'float64', s.shape));
  probe.output(build(probeIn), 'y');
  const probeSession = await createSession(serializeModel(probe), { threads: 1 });
  const feeds = (vals: number[][]) =>
    Object.fromEntries(
      specs.map((s, i) => [
        `x${i}`,
        s.int
          ? tensor('int64', BigInt64Array.from(vals[i]!.map(BigInt)), s.shape)
          : tensor('float64', Float64Array.from(vals[i]!), s.shape),
      ]),
    );
  const yShape = (await probeSession.run(feeds(values))).y!.dims as number[];
  const rData = Array.from({ length: yShape.reduce((a, b) => a * b, 1) }, () => rng.normal());

  const g = new Graph('check');
  const xs = specs.map((s, i) => g.input(`x${i}`, s.int ? 'int64' : 'float64', s.shape));
  const y = build(xs);
  const r = g.constant(rData, 'float64', yShape, 'R');
  const loss = reduceSum(
    mul(y, r),
    Array.from({ length: yShape.length }, (_, i) => i),
    false,
  );
  g.output(loss, 'L');
  const diffIdx = specs.map((s, i) => (s.int ? -1 : i)).filter((i) => i >= 0);
  const grads = gradients(
    loss,
    diffIdx.map((i) => xs[i]!),
  );
  grads.forEach((d, k) =>
    g.output(
      d ?? g.constant(new Array(values[diffIdx[k]!]!.length).fill(0), 'float64', specs[diffIdx[k]!]!.shape),
      `d${diffIdx[k]}`,
    ),
  );
  const session = await createSession(serializeModel(g), { threads: 1 });
  const out = await session.run(feeds(values));

  let maxAbsErr = 0,
    maxRelErr = 0,
    checked = 0;
  for (const i of diffIdx) {
    const analytic = out[`d${i}`]!.data as Float64Array;
    const n = values[i]!.length;
    const coords =
      n <= (opts.maxCoords ?? 64)
        ? [...Array(n).keys()]
        : Array.from({ length: opts.maxCoords ?? 64 }, () => rng.int(n));
    for (const c of coords) {
      const plus = values.map((v) => v.slice()),
        minus = values.map((v) => v.slice());
      plus[i]![c]! += h;
      minus[i]![c]! -= h;
      const lp = ((await session.run(feeds(plus))).L!.data as Float64Array)[0]!;
      const lm = ((await session.run(feeds(minus))).L!.data as Float64Array)[0]!;
      const numeric = (lp - lm) / (2 * h);
      const err = Math.abs(numeric - analytic[c]!);
      maxAbsErr = Math.max(maxAbsErr, err);
      maxRelErr = Math.max(maxRelErr, err / Math.max(1, Math.abs(numeric)));
      checked++;
    }
  }
  return { maxAbsErr, maxRelErr, checked };
}
