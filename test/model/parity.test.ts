import { parameterSpecs, type ModelConfig } from '../../src/model/config.js';
import { randomWeights } from '../../src/model/init.js';
import { Policy } from '../../src/runtime/policy.js';
import { padBatch } from '../../src/runtime/batch.js';
import { Rng } from '../../src/util/rng.js';
import { referenceLogProbs } from './reference-decoder.js';

const base = { vocabSize: 97, hiddenSize: 32, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 16, intermediateSize: 48, rmsNormEps: 1e-6, ropeTheta: 10000, maxPositionEmbeddings: 512 };
const variants: [string, ModelConfig][] = [
  ['Qwen3 (q/k norm, tied embeddings)', { ...base, architecture: 'qwen3', tieWordEmbeddings: true, attentionBias: false, qkNorm: true }],
  ['Qwen2 (q/k/v bias, untied lm_head)', { ...base, architecture: 'qwen2', tieWordEmbeddings: false, attentionBias: true, qkNorm: false, numKvHeads: 1 }],
  ['Llama (no bias, no q/k norm, untied)', { ...base, architecture: 'llama', tieWordEmbeddings: false, attentionBias: false, qkNorm: false, headDim: 8 }],
];

describe('score graph against an independent float64 reference of the Hugging Face forward pass', () => {
  it.each(variants)('%s', async (_name, c) => {
    const rng = new Rng(8);
    const w = randomWeights(c, 5, 0.15);
    for (const s of parameterSpecs(c)) {
      const a = w.get(s.name)!;
      if (s.kind === 'norm') for (let i = 0; i < a.length; i++) a[i] = 1 + 0.3 * rng.normal();
      if (s.kind === 'bias') for (let i = 0; i < a.length; i++) a[i] = 0.1 * rng.normal();
    }
    const w64 = new Map([...w].map(([k, v]) => [k, Float64Array.from(v)]));
    const policy = new Policy(c, w64, { dtype: 'float64', threads: 1 });
    const seqs = [Array.from({ length: 11 }, () => rng.int(c.vocabSize)), Array.from({ length: 6 }, () => rng.int(c.vocabSize))];
    const batch = padBatch(seqs, 0);
    const got = await policy.score(batch);
    const T = batch.length;
    seqs.forEach((s, b) => {
      const want = referenceLogProbs(c, w64, s);
      want.forEach((v, t) => expect(Math.abs(got[b * (T - 1) + t]! - v)).toBeLessThan(1e-10));
    });
  });
});
