/** Random initialisation in Hugging Face's scheme: N(0, 0.02) for matrices and embeddings, 1 for norm gains, 0 for biases. */
import { Rng } from '../util/rng.js';
import { parameterSpecs, type ModelConfig } from './config.js';

export function randomWeights(c: ModelConfig, seed: number, std = 0.02): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const weights = new Map<string, Float32Array>();
  for (const spec of parameterSpecs(c)) {
    const w = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
    if (spec.kind === 'norm') w.fill(1);
    else if (spec.kind !== 'bias') for (let i = 0; i < w.length; i++) w[i] = std * rng.normal();
    weights.set(spec.name, w);
  }
  return weights;
}
