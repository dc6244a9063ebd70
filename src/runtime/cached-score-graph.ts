/**
 * The cached score graph: teacher-forced log-probs of tokens that continue each generated row, read
 * against the KV cache generation left (generate-graph.ts with keepCache) instead of running prompt and
 * rationale through the model again. GARL and PAFT score the gold answer after each rollout's rationale
 * this way (experiment/likelihood.ts): a few decode steps per row instead of a forward over the whole
 * sequence. Each row keeps the first `long_mask` positions of its generated tokens (its rationale), then
 * an ONNX Loop runs the decode step (transformer.ts decoderStep) over `ids`, one token per row and step.
 *
 * Inputs: weights; prompt_mask [P, Tp] and row_prompt [BM] as the generate graph had them; per layer i,
 * prompt_keys_t_i, prompt_values_i, keys_t_i, values_i as the generate graph returned them; long_mask
 * [BM, S] (1 on the generated positions a row keeps); ids [A, BM] (each row's continuation, padded at the
 * end); positions [BM] (the position of ids[0] in each row). Output: logprobs [A - 1, BM], log p(ids[a + 1]
 * | prompt, kept tokens, ids[..a]) at temperature 1.
 */
import { Graph, type DType, type Value } from '../onnx/graph.js';
import * as op from '../onnx/ops.js';
import type { ModelConfig } from '../model/config.js';
import { kernelsFor, type KernelsName } from '../model/kernels.js';
import {
  decoderStep,
  keyBias,
  lmHeadWeight,
  promptKeyBias,
  stepLayout,
  type LayerCache,
} from '../model/transformer.js';
import { finish, weightInputs, type BuiltGraph } from './graphs.js';

export function buildCachedScoreGraph(c: ModelConfig, dtype: DType = 'float32', kernelsName?: KernelsName): BuiltGraph {
  const g = new Graph('cached_score');
  g.inferenceOnly = true;
  const kernels = kernelsFor(g, dtype, kernelsName);
  const params = weightInputs(g, c, dtype);
  const [kvHeads, hd] = [c.numKvHeads, c.headDim];
  const promptMask = g.input('prompt_mask', 'int64', ['P', 'Tp']);
  const rowPrompt = g.input('row_prompt', 'int64', ['BM']);
  const prompt: LayerCache[] = [];
  const long: LayerCache[] = [];
  for (let i = 0; i < c.numLayers; i++) {
    prompt.push({
      keysT: g.input(`prompt_keys_t_${i}`, dtype, ['P', kvHeads, hd, 'Tp']),
      values: g.input(`prompt_values_${i}`, dtype, ['P', kvHeads, 'Tp', hd]),
    });
    long.push({
      keysT: g.input(`keys_t_${i}`, dtype, ['P', kvHeads, 'M', hd, 'S']),
      values: g.input(`values_${i}`, dtype, ['P', kvHeads, 'M', 'S', hd]),
    });
  }
  const longMask = g.input('long_mask', 'int64', ['BM', 'S']);
  const ids = g.input('ids', 'int64', ['A', 'BM']);
  const positions = g.input('positions', 'int64', ['BM']);

  const layout = stepLayout(c, promptMask, rowPrompt);
  const promptBias = promptKeyBias(promptMask, layout, dtype);
  const longBias = keyBias(longMask, layout, dtype);

  // The recent level's mask grows by a column of ones each step, built once here.
  const keptColumn = op.expand(g.scalar(1, 'int64'), op.concat([op.shapeOf(rowPrompt), g.ints([1])], 0), ['BM', 1]);

  const body = new Graph('cached_score_step', 'step/');
  body.parent = g;
  const iter = body.input('iter', 'int64', []);
  body.input('cond_in', 'bool', []);
  const recentMask = body.input('recent_mask', 'int64', ['BM', 's']);
  const recentPast: LayerCache[] = long.map((_, i) => ({
    keysT: body.input(`recent_keys_t_${i}`, dtype, ['P', kvHeads, 'M', hd, 's']),
    values: body.input(`recent_values_${i}`, dtype, ['P', kvHeads, 'M', 's', hd]),
  }));
  const row = (a: Value) => op.apply('Gather', [ids, a], { axis: 0 }, [{ dtype: 'int64', shape: ['BM'] }])[0]!;
  const token = row(iter);
  const next = row(op.add(iter, body.scalar(1, 'int64')));
  // Every continuation token is kept: padding comes after a row's tokens, so no kept token attends to it.
  const ones = op.concat([recentMask, keptColumn], 1);
  const pos = op.unsqueeze(op.add(positions, iter), [1]);
  const step = decoderStep(c, params, kernels, op.unsqueeze(token, [1]), pos, ones, {
    prompt,
    promptBias,
    long,
    longBias,
    recent: recentPast,
    layout,
  });
  const logits = op.gemm(step.hidden, lmHeadWeight(c, params), undefined, { transB: true }, 'lm_head_step');
  const logprob = op.squeeze(op.gatherElements(op.logSoftmax(logits, -1), op.unsqueeze(next, [1]), 1), [1]);
  body.output(body.constant([1], 'bool', [], 'true'), 'cond_out');
  body.output(ones, 'recent_mask_out');
  step.recent.forEach((l, i) => {
    body.output(l.keysT, `recent_keys_t_${i}_out`);
    body.output(l.values, `recent_values_${i}_out`);
  });
  body.output(logprob, 'logprob_scan');

  const trips = op.sub(op.apply('Shape', [ids], { end: 1 }, [{ dtype: 'int64', shape: [1] }])[0]!, g.ints([1]));
  const emptyRecent = long.flatMap((l) => [op.slice(l.keysT, 4, 0, 0), op.slice(l.values, 3, 0, 0)]);
  const carried = [op.slice(longMask, 1, 0, 0), ...emptyRecent];
  const outs = op.apply(
    'Loop',
    [op.squeeze(trips, [0]), g.constant([1], 'bool', [], 'true'), ...carried],
    { body },
    [...carried.map((v) => ({ dtype: v.dtype, shape: v.shape })), { dtype, shape: ['A1', 'BM'] }],
    'cached_score_loop',
  );
  g.output(outs[carried.length]!, 'logprobs');
  return finish(g);
}
