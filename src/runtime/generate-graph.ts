/**
 * The generate graph: prefill of the prompts, then an ONNX Loop over decode steps that carries the
 * KV cache, the last logits, the attention mask and each sequence's decoding state (rollout.ts rules:
 * thinking budget with forced close, answer budget, stop tokens) inside the runtime, and exits as soon
 * as every sequence is done. One session.run samples a whole batch; only the sampled tokens and their
 * log-probs come back. Randomness enters as uniforms [max_new, BM].
 *
 * Inputs: weights; prompt_ids / prompt_mask [P, Tp] (left-padded); row_prompt [BM] (prompt of each
 * rollout row); uniforms [N, BM]; max_new, think_budget, answer_budget, think_end, pad_id (int64
 * scalars); temperature, top_p (float scalars); sort_k [1] (int64, filtered mode); eos_ids [E];
 * force_ids [F]. Outputs: tokens, logprobs, sampling_logprobs, each [steps, BM].
 */
import { Graph, type DType, type Value } from '../onnx/graph.js';
import * as op from '../onnx/ops.js';
import type { ModelConfig } from '../model/config.js';
import { decoder, decoderStep, lmHeadWeight, type LayerCache } from '../model/transformer.js';
import { Phase } from './rollout.js';
import { finish, weightInputs, type BuiltGraph } from './graphs.js';

/** greedy: argmax; sample: inverse CDF over the whole vocabulary; filtered: top-k / top-p over sorted probabilities. */
export type SamplingMode = 'greedy' | 'sample' | 'filtered';

export function buildGenerateGraph(c: ModelConfig, mode: SamplingMode, dtype: DType = 'float32'): BuiltGraph {
  const g = new Graph('generate');
  g.inferenceOnly = true;
  const params = weightInputs(g, c, dtype);
  const promptIds = g.input('prompt_ids', 'int64', ['P', 'Tp']);
  const promptMask = g.input('prompt_mask', 'int64', ['P', 'Tp']);
  const rowPrompt = g.input('row_prompt', 'int64', ['BM']);
  const uniforms = g.input('uniforms', 'float32', ['N', 'BM']);
  const maxNew = g.input('max_new', 'int64', []);
  const thinkBudget = g.input('think_budget', 'int64', []);
  const answerBudget = g.input('answer_budget', 'int64', []);
  const thinkEnd = g.input('think_end', 'int64', []);
  const padId = g.input('pad_id', 'int64', []);
  const temperature = g.input('temperature', dtype, []);
  const topP = g.input('top_p', dtype, []);
  const sortK = g.input('sort_k', 'int64', [1]);
  const eosIds = g.input('eos_ids', 'int64', ['E']);
  const forceIds = g.input('force_ids', 'int64', ['F']);

  // Prefill once per prompt, then give each of the prompt's M rows its copy of the cache.
  const prefill: LayerCache[] = [];
  const hidden = decoder(c, params, { ids: promptIds, mask: promptMask }, prefill);
  const pt = op.shapeOf(promptIds);
  const lastHidden = op.reshape(op.slice(op.reshape(hidden, op.concat([pt, g.ints([c.hiddenSize])], 0), ['P', 'Tp', c.hiddenSize]), 1, -1, op.TO_END), [-1, c.hiddenSize], ['P', c.hiddenSize]);
  const head = lmHeadWeight(c, params);
  const rows = (x: Value) => op.apply('Gather', [x, rowPrompt], { axis: 0 }, [{ dtype: x.dtype, shape: ['BM', ...x.shape.slice(1)] }])[0]!;
  const logits0 = rows(op.gemm(lastHidden, head, undefined, { transB: true }, 'lm_head'));
  const mask0 = rows(promptMask);
  const pos0 = op.reduceSum(mask0, [1], false);
  const zeros = op.mul(pos0, g.scalar(0, 'int64'));
  const cache0 = prefill.flatMap((l) => [rows(l.keysT), rows(l.values)]);
  const forceCount = op.apply('Size', [forceIds], {}, [{ dtype: 'int64', shape: [] }])[0]!;

  // The loop body.
  const body = new Graph('decode_step', 'step/');
  body.parent = g;
  body.input('iter', 'int64', []);
  body.input('cond_in', 'bool', []);
  const logits = body.input('logits', dtype, ['BM', c.vocabSize]);
  const mask = body.input('mask', 'int64', ['BM', 'S']);
  const pos = body.input('pos', 'int64', ['BM']);
  const phase = body.input('phase', 'int64', ['BM']);
  const generated = body.input('generated', 'int64', ['BM']);
  const forced = body.input('forced', 'int64', ['BM']);
  const answered = body.input('answered', 'int64', ['BM']);
  const past: LayerCache[] = prefill.map((_, i) => ({
    keysT: body.input(`keys_t_${i}`, dtype, ['BM', c.numKvHeads, c.headDim, 'S']),
    values: body.input(`values_${i}`, dtype, ['BM', c.numKvHeads, 'S', c.headDim]),
  }));
  const i64 = (x: number) => body.constant([BigInt(x)], 'int64', [], 'k');
  const is = (x: Value, v: number) => op.equal(x, i64(v));
  const where = (cond: Value, a: Value, b: Value) => op.where(cond, a, b);

  const u = op.apply('Gather', [uniforms, body.inputs[0]!], { axis: 0 }, [{ dtype: 'float32', shape: ['BM'] }])[0]!;
  const { token: sampled, logprob: samplingLogprob } = sampleTokens(mode, logits, u, temperature, topP, sortK, dtype);
  const logp1 = op.logSoftmax(logits, -1);

  // Rules of rollout.ts, vectorised.
  const startForce = op.and(op.and(is(phase, Phase.Thinking), op.greaterOrEqual(generated, thinkBudget)), op.greater(forceCount, i64(0)));
  const phase1 = where(startForce, i64(Phase.Forcing), phase);
  const forcing = is(phase1, Phase.Forcing);
  const done = is(phase1, Phase.Done);
  const emitted = op.not(done);
  const forcedToken = op.apply('Gather', [forceIds, op.min(forced, op.sub(forceCount, i64(1)))], { axis: 0 }, [{ dtype: 'int64', shape: ['BM'] }])[0]!;
  const token = where(done, padId, where(forcing, forcedToken, sampled));
  const zero = body.scalar(0, dtype);
  const tokenLogprob = where(done, zero, op.squeeze(op.gatherElements(logp1, op.unsqueeze(token, [1]), 1), [1]));
  const tokenSamplingLogprob = where(op.or(done, forcing), zero, samplingLogprob);

  const asInt = (b: Value) => op.cast(b, 'int64');
  const generated2 = op.add(generated, asInt(emitted));
  const forced2 = op.add(forced, asInt(forcing));
  const isEos = op.greater(op.reduceSum(asInt(op.equal(op.unsqueeze(token, [1]), op.unsqueeze(eosIds, [0]))), [1], false), i64(0));
  const freeToken = op.and(emitted, op.not(forcing));
  const eosHit = op.and(freeToken, isEos);
  const closeHit = op.and(op.and(is(phase1, Phase.Thinking), op.and(freeToken, op.not(isEos))), op.equal(token, thinkEnd));
  const answerToken = op.and(is(phase1, Phase.Answer), op.and(freeToken, op.not(isEos)));
  const answered2 = op.add(answered, asInt(answerToken));
  const budgetHit = op.and(answerToken, op.greaterOrEqual(answered2, answerBudget));
  const forceDone = op.and(forcing, op.equal(forced2, forceCount));
  let phase2 = where(forceDone, i64(Phase.Answer), phase1);
  phase2 = where(closeHit, i64(Phase.Answer), phase2);
  phase2 = where(op.or(eosHit, budgetHit), i64(Phase.Done), phase2);
  const lengthHit = op.and(op.and(op.not(is(phase2, Phase.Done)), emitted), op.greaterOrEqual(generated2, maxNew));
  phase2 = where(lengthHit, i64(Phase.Done), phase2);
  const anyLeft = op.greater(op.apply('ReduceMax', [asInt(op.not(is(phase2, Phase.Done)))], { keepdims: 0 }, [{ dtype: 'int64', shape: [] }])[0]!, i64(0));

  // Run the model on the emitted token; a finished row's token is masked out of its own future.
  const mask2 = op.concat([mask, op.unsqueeze(asInt(emitted), [1])], 1);
  const step = decoderStep(c, params, op.unsqueeze(token, [1]), op.unsqueeze(pos, [1]), mask2, past);
  const logits2 = op.gemm(step.hidden, head, undefined, { transB: true }, 'lm_head_step');

  body.output(anyLeft, 'cond_out');
  body.output(logits2, 'logits_out');
  body.output(mask2, 'mask_out');
  body.output(op.add(pos, i64(1)), 'pos_out');
  body.output(phase2, 'phase_out');
  body.output(generated2, 'generated_out');
  body.output(forced2, 'forced_out');
  body.output(answered2, 'answered_out');
  step.cache.forEach((l, i) => {
    body.output(l.keysT, `keys_t_${i}_out`);
    body.output(l.values, `values_${i}_out`);
  });
  body.output(token, 'token_scan');
  body.output(tokenLogprob, 'logprob_scan');
  body.output(tokenSamplingLogprob, 'sampling_logprob_scan');

  const carried = [logits0, mask0, pos0, zeros, zeros, zeros, zeros, ...cache0];
  const trueCond = g.constant([1], 'bool', [], 'true');
  const outs = op.apply(
    'Loop',
    [maxNew, trueCond, ...carried],
    { body },
    [...carried.map((v) => ({ dtype: v.dtype, shape: v.shape })), { dtype: 'int64', shape: ['steps', 'BM'] }, { dtype, shape: ['steps', 'BM'] }, { dtype, shape: ['steps', 'BM'] }],
    'decode_loop',
  );
  const n = carried.length;
  g.output(outs[n]!, 'tokens');
  g.output(outs[n + 1]!, 'logprobs');
  g.output(outs[n + 2]!, 'sampling_logprobs');
  return finish(g);
}

/** The next token of each row and its log-probability under the sampling distribution. */
function sampleTokens(mode: SamplingMode, logits: Value, u: Value, temperature: Value, topP: Value, sortK: Value, dtype: DType): { token: Value; logprob: Value } {
  const g = logits.graph;
  const rowsOf = (x: Value) => op.squeeze(x, [1]);
  if (mode === 'greedy') {
    const token = op.apply('ArgMax', [logits], { axis: 1, keepdims: 0 }, [{ dtype: 'int64', shape: ['BM'] }])[0]!;
    return { token, logprob: op.mul(op.cast(token, dtype), g.scalar(0, dtype)) };
  }
  const probs = op.softmax(op.div(logits, temperature), -1);
  const target = op.unsqueeze(op.cast(u, dtype), [1]);
  const count = (cdf: Value, mass: Value) => op.reduceSum(op.cast(op.lessOrEqual(cdf, op.mul(target, mass)), 'int64'), [1], true);
  if (mode === 'sample') {
    const cdf = op.apply('CumSum', [probs, g.constant([1n], 'int64', [], 'axis1')], {}, [{ dtype, shape: probs.shape }])[0]!;
    const mass = op.reduceSum(probs, [1], true);
    const index = op.min(count(cdf, mass), g.constant([BigInt(Number(logits.shape[1]) - 1)], 'int64', [], 'last'));
    return { token: rowsOf(index), logprob: rowsOf(op.log(op.div(op.gatherElements(probs, index, 1), mass))) };
  }
  const [values, indices] = op.apply('TopK', [probs, sortK], { axis: 1, largest: 1, sorted: 1 }, [
    { dtype, shape: ['BM', 'K'] },
    { dtype: 'int64', shape: ['BM', 'K'] },
  ]);
  const axis1 = g.constant([1n], 'int64', [], 'axis1');
  const cum = op.apply('CumSum', [values!, axis1], {}, [{ dtype, shape: values!.shape }])[0]!;
  const kept = op.mul(values!, op.cast(op.less(op.sub(cum, values!), topP), dtype));
  const mass = op.reduceSum(kept, [1], true);
  const cdf = op.apply('CumSum', [kept, axis1], {}, [{ dtype, shape: kept.shape }])[0]!;
  const rank = op.min(count(cdf, mass), op.sub(sortK, g.constant([1n], 'int64', [1], 'one1')));
  return { token: rowsOf(op.gatherElements(indices!, rank, 1)), logprob: rowsOf(op.log(op.div(op.gatherElements(kept, rank, 1), mass))) };
}
