import { linearFlops, profileTrainStep } from '../../src/bench/profile.js';
import { PRESET_CONFIGS } from '../../src/model/presets.js';
import { padBatch } from '../../src/runtime/batch.js';

describe('bench profile', () => {
  it("counts the linear layers' FLOPs of a train step by hand for the small preset", () => {
    // Per layer: q 512x512, k and v 256x512, o 512x512, gate / up / down 1536x512: 3,145,728 weights,
    // 8 layers over 8 x 256 tokens; the tied lm_head 8192 x 512 over the 8 x 255 predicted positions;
    // 2 FLOPs per multiply-add, three products each (forward, input gradient, weight gradient).
    const perToken = 8 * (512 * 512 + 2 * 256 * 512 + 512 * 512 + 3 * 1536 * 512);
    expect(linearFlops(PRESET_CONFIGS.small, 8, 256)).toBe(6 * (2048 * perToken + 2040 * 8192 * 512));
    expect(linearFlops(PRESET_CONFIGS.small, 8, 256)).toBe(360_575_926_272);
  });

  it('breaks a profiled tiny train step down by op type, with Gemm inside it', async () => {
    const c = PRESET_CONFIGS.tiny;
    const [B, T] = [2, 16];
    const batch = padBatch(
      Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => ((b * T + t) * 37) % c.vocabSize)),
      0,
    );
    const p = await profileTrainStep(c, batch, new Float32Array(B * (T - 1)).fill(0.1), 1, 1);
    const byOp = p.kernel_ms_by_op as Record<string, number>;
    expect(byOp.Gemm).toBeGreaterThan(0);
    expect(byOp.Softmax).toBeGreaterThan(0);
    const listed = Object.values(byOp).reduce((a, b) => a + b, 0);
    expect(listed).toBeLessThanOrEqual(p.kernel_ms + 0.2); // every op type, each rounded to 0.01 ms
    expect(p.gemm_share).toBeGreaterThan(0);
    expect(p.gemm_share).toBeLessThan(1);
    expect(p.gemm_peak_gflops).toBeGreaterThan(0);
    // Both GFLOP/s figures are printed to 0.1 and the ratio to 0.001: allow what that rounding can shift.
    const [a, b] = [p.gemm_gflops, p.gemm_peak_gflops];
    const rounding = 0.0005 + 0.05 / b + (0.05 * a) / (b * b);
    expect(Math.abs(p.gemm_of_peak - a / b)).toBeLessThanOrEqual(rounding);
    const products = byOp.Gemm! + (byOp.MatMul ?? 0) + (byOp.FusedMatMul ?? 0);
    expect(Math.abs(p.products_ms - products)).toBeLessThanOrEqual(0.1);
    expect(p.products_ms).toBeLessThan(p.kernel_ms);
    const kernelRate = (B * T) / (p.kernel_ms / 1000);
    expect(Math.abs(p.kernel_tokens_per_s - kernelRate) / kernelRate).toBeLessThan(0.001 + 0.05 / p.kernel_ms);
    // The limit is the linear FLOPs at the peak: B T / (linearFlops / peak), within the peak's rounding.
    const limit = (B * T * p.gemm_peak_gflops * 1e9) / linearFlops(c, B, T);
    expect(Math.abs(p.linear_limit_tokens_per_s - limit) / limit).toBeLessThan(0.001 + 0.05 / p.gemm_peak_gflops);
  });
});
