import { linearFlops, profileTrainStep } from '../../src/bench/profile.js';
import { PRESET_CONFIGS } from '../../src/model/presets.js';
import { parameterSpecs } from '../../src/model/config.js';
import { randomWeights } from '../../src/model/init.js';
import { tensor } from '../../src/runtime/session.js';

describe('bench profile', () => {
  it('counts the linear layers\' FLOPs of a train step by hand for the small preset', () => {
    // Per layer: q 512x512, k and v 256x512, o 512x512, gate / up / down 1536x512: 3,145,728 weights,
    // 8 layers over 8 x 256 tokens; the tied lm_head 8192 x 512 over the 8 x 255 predicted positions;
    // 2 FLOPs per multiply-add, three products each (forward, input gradient, weight gradient).
    const perToken = 8 * (512 * 512 + 2 * 256 * 512 + 512 * 512 + 3 * 1536 * 512);
    expect(linearFlops(PRESET_CONFIGS.small, 8, 256)).toBe(6 * (2048 * perToken + 2040 * 8192 * 512));
    expect(linearFlops(PRESET_CONFIGS.small, 8, 256)).toBe(360_575_926_272);
  });

  it('breaks a profiled tiny train step down by op type, with Gemm inside it', async () => {
    const c = PRESET_CONFIGS.tiny;
    const w = randomWeights(c, 0);
    const [B, T] = [2, 16];
    const ids = BigInt64Array.from({ length: B * T }, (_, i) => BigInt((i * 37) % c.vocabSize));
    const feeds = {
      input_ids: tensor('int64', ids, [B, T]),
      attention_mask: tensor('int64', new BigInt64Array(B * T).fill(1n), [B, T]),
      coef: tensor('float32', new Float32Array(B * (T - 1)).fill(0.1), [B, T - 1]),
      ...Object.fromEntries(parameterSpecs(c).map((s) => [s.name, tensor('float32', w.get(s.name)!, s.shape)])),
    };
    const p = await profileTrainStep(c, feeds, B, T, 1, 1);
    const byOp = p.kernel_ms_by_op as Record<string, number>;
    expect(byOp.Gemm).toBeGreaterThan(0);
    expect(byOp.Softmax).toBeGreaterThan(0);
    const listed = Object.values(byOp).reduce((a, b) => a + b, 0);
    expect(listed).toBeLessThanOrEqual(p.kernel_ms + 0.2); // top op types of the total (rounded to 0.1 ms each)
    expect(p.gemm_share).toBeGreaterThan(0);
    expect(p.gemm_share).toBeLessThan(1);
    expect(p.gemm_peak_gflops).toBeGreaterThan(0);
    expect(p.gemm_of_peak).toBeCloseTo(p.gemm_gflops / p.gemm_peak_gflops, 2);
  });
});
