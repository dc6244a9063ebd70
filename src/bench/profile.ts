/**
 * Where the train step's time goes (`npm run bench -- --only profile`): onnxruntime's profile of the
 * bench's train step, summed by op type, and the share of the machine's Gemm peak that its Gemm kernels
 * reach. The peak is measured here, in the same process: a [2048, 512] x [512, 1536] Gemm (a
 * projection of the small preset), the best-shaped product the train step runs.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Graph } from '../onnx/graph.js';
import * as op from '../onnx/ops.js';
import { serializeModel } from '../onnx/serialize.js';
import { parameterSpecs, type ModelConfig } from '../model/config.js';
import { randomWeights } from '../model/init.js';
import type { TokenBatch } from '../runtime/batch.js';
import { Policy } from '../runtime/policy.js';
import { createSession, tensor } from '../runtime/session.js';

interface ProfileEvent {
  cat: string;
  name: string;
  dur: number;
  ts: number;
  args?: { op_name?: string };
}

/** Kernel milliseconds per op type, averaged over the last `runs` session runs of a profile. */
function kernelMsByOp(events: ProfileEvent[], runs: number): Map<string, number> {
  const starts = events.filter((e) => e.name === 'model_run').map((e) => e.ts);
  const from = starts[starts.length - runs]!;
  const byOp = new Map<string, number>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < from) continue;
    const name = e.args?.op_name ?? '?';
    byOp.set(name, (byOp.get(name) ?? 0) + e.dur / 1000 / runs);
  }
  return byOp;
}

/** Kernel ms per op type of the last `runs` session runs that `run` makes while writing a profile to the prefix it is given. */
async function profiled(run: (prefix: string) => Promise<void>, runs: number): Promise<Map<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'tsallis-run-profile-'));
  try {
    await run(join(dir, 'p'));
    const file = readdirSync(dir).find((f) => f.endsWith('.json'))!;
    return kernelMsByOp(JSON.parse(readFileSync(join(dir, file), 'utf8')) as ProfileEvent[], runs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** GFLOP/s of one [2048, 512] x [512, 1536] Gemm (kernel time, mean of 20 profiled runs after 2). */
export async function gemmPeak(threads: number): Promise<number> {
  const [M, K, N] = [2048, 512, 1536];
  const g = new Graph('gemm');
  g.output(op.gemm(g.input('a', 'float32', [M, K]), g.input('w', 'float32', [N, K]), undefined, { transB: true }), 'y');
  const fill = (n: number) => Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const feeds = { a: tensor('float32', fill(M * K), [M, K]), w: tensor('float32', fill(N * K), [N, K]) };
  const runs = 20;
  const byOp = await profiled(async (prefix) => {
    const session = await createSession(serializeModel(g), { threads, profile: prefix });
    for (let i = 0; i < 2 + runs; i++) await session.run(feeds);
    await session.release(); // writes the profile
  }, runs);
  return (2 * M * K * N) / byOp.get('Gemm')! / 1e6;
}

/** Multiply-adds x 2 of the projections and the lm_head in forward, input gradient and weight gradient. */
export function linearFlops(c: ModelConfig, batch: number, length: number): number {
  const projections = parameterSpecs(c)
    .filter((s) => /_proj\.weight$/.test(s.name))
    .reduce((n, s) => n + s.shape[0]! * s.shape[1]!, 0);
  return 3 * 2 * (batch * length * projections + batch * (length - 1) * c.vocabSize * c.hiddenSize);
}

/** Policy.trainStep on `batch` (random weights, seed 0) under the profiler: kernel ms by op type and the Gemm figures. */
export async function profileTrainStep(
  c: ModelConfig,
  batch: TokenBatch,
  coef: Float32Array,
  threads: number,
  runs = 3,
) {
  const byOp = await profiled(async (prefix) => {
    const policy = new Policy(c, randomWeights(c, 0), { threads, profile: prefix });
    for (let i = 0; i < 2 + runs; i++) await policy.trainStep(batch, { coef });
    await policy.release(); // writes the profile
  }, runs);
  const kernelMs = [...byOp.values()].reduce((a, b) => a + b, 0);
  const gemmMs = byOp.get('Gemm') ?? 0;
  // Attention's products run as MatMul, or FusedMatMul where onnxruntime folds a Transpose into one.
  const productsMs = gemmMs + (byOp.get('MatMul') ?? 0) + (byOp.get('FusedMatMul') ?? 0);
  const peak = await gemmPeak(threads);
  const flops = linearFlops(c, batch.batch, batch.length);
  const gemmGflops = flops / gemmMs / 1e6;
  const tokens = batch.batch * batch.length;
  const ops = Object.fromEntries([...byOp].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Number(v.toFixed(2))]));
  return {
    kernel_ms: Number(kernelMs.toFixed(1)),
    gemm_share: Number((gemmMs / kernelMs).toFixed(3)),
    gemm_gflops: Number(gemmGflops.toFixed(1)),
    gemm_peak_gflops: Number(peak.toFixed(1)),
    gemm_of_peak: Number((gemmGflops / peak).toFixed(3)),
    products_ms: Number(productsMs.toFixed(1)),
    kernel_tokens_per_s: Math.round(tokens / (kernelMs / 1000)),
    // The linear layers alone at the measured peak: no step of this model can train faster.
    linear_limit_tokens_per_s: Math.round(tokens / (flops / (peak * 1e9))),
    kernel_ms_by_op: ops,
  };
}
