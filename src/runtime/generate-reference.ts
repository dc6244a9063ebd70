/**
 * A slow, obviously correct generator: every step re-runs the whole prefix through a next-token
 * graph and applies the rules of rollout.ts in TS. It is the oracle the loop-graph generator is tested
 * against, and a fallback for debugging.
 */
import { Rng } from '../util/rng.js';
import { padBatch } from './batch.js';
import { buildNextTokenGraph } from './graphs.js';
import type { Policy } from './policy.js';
import {
  advance,
  forcedToken,
  initialState,
  logSoftmaxAt,
  Phase,
  sampleToken,
  spans,
  type GenerateOptions,
  type Rollout,
} from './rollout.js';
import { tensor } from './session.js';

export async function generateReference(
  policy: Policy,
  prompts: readonly (readonly number[])[],
  o: GenerateOptions,
  padId = 0,
): Promise<Rollout[]> {
  const session = await policy.session('next-token', () =>
    buildNextTokenGraph(policy.config, policy.dtype, policy.kernels),
  );
  const rng = new Rng(o.seed);
  const rows = prompts.flatMap((p, i) =>
    Array.from({ length: o.samplesPerPrompt }, (_, m) => ({ prompt: i, sample: m, ids: [...p] })),
  );
  const states = rows.map(() => initialState());
  const out = rows.map(() => ({ tokens: [] as number[], logprobs: [] as number[], samplingLogprobs: [] as number[] }));
  const weightFeeds = policy.weightFeeds();
  for (let step = 0; step < o.maxNewTokens && states.some((s) => s.phase !== Phase.Done); step++) {
    const uniforms = rows.map(() => rng.uniform());
    const batch = padBatch(
      rows.map((r) => r.ids),
      padId,
      'left',
    );
    const res = await session.run({
      input_ids: tensor('int64', batch.ids, [batch.batch, batch.length]),
      attention_mask: tensor('int64', batch.mask, [batch.batch, batch.length]),
      ...weightFeeds,
    });
    const logits = res.logits!.data as Float32Array;
    const V = policy.config.vocabSize;
    rows.forEach((r, b) => {
      const s = states[b]!;
      if (s.phase === Phase.Done) return;
      const row = logits.subarray(b * V, (b + 1) * V);
      const forced = forcedToken(s, o);
      const { token, logprob } =
        forced !== undefined ? { token: forced, logprob: 0 } : sampleToken(row, o, uniforms[b]!);
      out[b]!.tokens.push(token);
      out[b]!.logprobs.push(logSoftmaxAt(row, token));
      out[b]!.samplingLogprobs.push(logprob);
      r.ids.push(token);
      advance(s, token, o);
    });
  }
  return rows.map((r, b) => {
    const s = states[b]!;
    const finish = s.finish ?? 'length';
    return {
      prompt: r.prompt,
      sample: r.sample,
      ...out[b]!,
      ...spans(out[b]!.tokens, s.thinkingForced, finish, o),
      finishReason: finish,
      thinkingForced: s.thinkingForced,
    };
  });
}
