/**
 * The graphs the runtime executes, emitted from the one model definition in src/model/transformer.ts.
 * Weights are graph inputs named by their Hugging Face names, so the optimizer's in-place updates are
 * seen by the next run without rebuilding a session.
 *
 *   score: input_ids [B,T], attention_mask [B,T] -> logprobs [B,T-1]
 *   train: score inputs + coef [B,T-1] (+ old_logprobs, clip_low, clip_high) (+ ref_logprobs, kl_coef [B,T-1])
 *          -> loss, logprobs [B,T-1] (+ kl_tokens [B,T-1]), grad.<param> for every parameter
 *
 * The shared-prefix score and train graphs take a batch in the layout of transformer.ts
 * sharedPrefixDecoder: prefix_ids, prefix_mask [Q,P] (the distinct prompts but their last token),
 * input_ids, attention_mask [B,T] (the continuations, each starting with its prompt's last token) and
 * prefix_index [B] (the prefix row of each continuation). Their logprobs and per-token inputs are
 * [B,T-1] over the continuations: log p(input_ids[:, t+1] | prefix, input_ids[:, ..t]).
 *
 * The train loss is  -sum coef * logp  (or the PPO clipped surrogate  -sum min(r coef, clip(r) coef),
 * r = exp(logp - old_logprobs)) plus  sum kl_coef * (exp(ref - logp) - (ref - logp) - 1)  (k3). With
 * the KL term the graph also returns that k3 per token, kl_tokens (the very values the loss weighs;
 * padding positions included), which is what the trainer logs as the KL.
 */
import { Graph, type DType, type Value } from '../onnx/graph.js';
import * as op from '../onnx/ops.js';
import { gradients } from '../onnx/autodiff.js';
import { serializeModel } from '../onnx/serialize.js';
import { parameterSpecs, type ModelConfig } from '../model/config.js';
import { kernelsFor, type Kernels, type KernelsName } from '../model/kernels.js';
import { decoder, lmHeadWeight, sharedPrefixDecoder } from '../model/transformer.js';

export interface TrainGraphOptions {
  clip?: boolean;
  kl?: boolean;
}

export interface BuiltGraph {
  bytes: Uint8Array;
  inputNames: string[];
  outputNames: string[];
}

export const gradName = (param: string) => `grad.${param}`;

/** Every parameter as a graph input named by its Hugging Face name. */
export function weightInputs(g: Graph, c: ModelConfig, dtype: DType): Map<string, Value> {
  return new Map<string, Value>(parameterSpecs(c).map((s) => [s.name, g.input(s.name, dtype, s.shape)]));
}

/**
 * The weights as initializers of `g` (named `<prefix>/<HF name>` by the graph), so onnxruntime can
 * pre-pack them for its Gemm kernels; the graph then holds a copy of the weights as of this call.
 */
export function weightConstants(
  g: Graph,
  c: ModelConfig,
  dtype: DType,
  weights: ReadonlyMap<string, Float32Array | Float64Array>,
): Map<string, Value> {
  return new Map<string, Value>(
    parameterSpecs(c).map((s) => [s.name, g.constant(weights.get(s.name)!, dtype, s.shape, s.name)]),
  );
}

function modelInputs(g: Graph, c: ModelConfig, dtype: DType) {
  const ids = g.input('input_ids', 'int64', ['B', 'T']);
  const mask = g.input('attention_mask', 'int64', ['B', 'T']);
  return { ids, mask, params: weightInputs(g, c, dtype) };
}

/** log p(ids[:, t+1] | ids[:, ..t]) as [B, T-1]. */
function nextTokenLogProbs(
  c: ModelConfig,
  params: ReadonlyMap<string, Value>,
  kernels: Kernels,
  ids: Value,
  mask: Value,
): Value {
  const hidden = decoder(c, params, kernels, { ids, mask }); // [B*T, D]
  return hiddenLogProbs(c, params, hidden, ids);
}

/** log p(ids[:, t+1] | ..) as [B, T-1] from the final hidden states [B*T, D] of the rows `ids` [B, T]. */
function hiddenLogProbs(c: ModelConfig, params: ReadonlyMap<string, Value>, hidden: Value, ids: Value): Value {
  const g = ids.graph;
  const bt = op.shapeOf(ids);
  const perSeq = op.reshape(hidden, op.concat([bt, g.ints([c.hiddenSize])], 0), ['B', 'T', c.hiddenSize]);
  const predicting = op.reshape(op.slice(perSeq, 1, 0, -1), [-1, c.hiddenSize], ['M', c.hiddenSize]);
  const logits = op.gemm(predicting, lmHeadWeight(c, params), undefined, { transB: true }, 'lm_head');
  const targets = op.reshape(op.slice(ids, 1, 1, op.TO_END), [-1, 1], ['M', 1]);
  const picked = targetLogProbs(logits, targets);
  const tMinus1 = op.sub(op.slice(bt, 0, 1, 2), g.ints([1]));
  return op.reshape(picked, op.concat([op.slice(bt, 0, 0, 1), tMinus1], 0), ['B', 'T-1']);
}

/**
 * log_softmax(logits)[target] per row, with a fused backward that takes three passes over [M, V]:
 * d logits = -softmax * g, then scatter-add g at the targets.
 */
function targetLogProbs(logits: Value, targets: Value): Value {
  return op.composite(
    'TargetLogProbs',
    [logits, targets],
    () => {
      const logp = op.logSoftmax(logits, -1);
      return { outputs: [op.gatherElements(logp, targets, 1)], saved: logp };
    },
    ([dy], logp) => {
      // Declared [M, V] so that onnxruntime scatters into it in place instead of copying M x V floats.
      const spread = logits.graph.declareShape(op.mul(op.exp(logp), op.neg(dy!)));
      return [op.scatterElementsAdd(spread, targets, dy!, 1), undefined];
    },
  )[0]!;
}

/** `kernels` picks the row of the kernels table (model/kernels.ts); by default the fastest the graph allows. */
export function buildScoreGraph(c: ModelConfig, dtype: DType = 'float32', kernels?: KernelsName): BuiltGraph {
  const g = new Graph('score');
  g.inferenceOnly = true;
  const { ids, mask, params } = modelInputs(g, c, dtype);
  g.output(nextTokenLogProbs(c, params, kernelsFor(g, dtype, kernels), ids, mask), 'logprobs');
  return finish(g);
}

/** Logits of the next token after the last position [B, V]; sequences must be left-padded. */
export function buildNextTokenGraph(c: ModelConfig, dtype: DType = 'float32', kernels?: KernelsName): BuiltGraph {
  const g = new Graph('next_token');
  g.inferenceOnly = true;
  const { ids, mask, params } = modelInputs(g, c, dtype);
  const hidden = decoder(c, params, kernelsFor(g, dtype, kernels), { ids, mask });
  const bt = op.shapeOf(ids);
  const perSeq = op.reshape(hidden, op.concat([bt, g.ints([c.hiddenSize])], 0), ['B', 'T', c.hiddenSize]);
  const last = op.reshape(op.slice(perSeq, 1, -1, op.TO_END), [-1, c.hiddenSize], ['B', c.hiddenSize]);
  g.output(op.gemm(last, lmHeadWeight(c, params), undefined, { transB: true }, 'lm_head'), 'logits');
  return finish(g);
}

export function buildTrainGraph(
  c: ModelConfig,
  opts: TrainGraphOptions = {},
  dtype: DType = 'float32',
  kernels?: KernelsName,
): BuiltGraph {
  const g = new Graph('train');
  const { ids, mask, params } = modelInputs(g, c, dtype);
  const coef = g.input('coef', dtype, ['B', 'T-1']);
  const logp = nextTokenLogProbs(c, params, kernelsFor(g, dtype, kernels), ids, mask);
  return finishTrain(g, params, logp, coef, opts, dtype);
}

/** The inputs of the shared-prefix graphs before the weights (the layout in the header). */
function sharedPrefixInputs(g: Graph, c: ModelConfig, dtype: DType) {
  const prefixIds = g.input('prefix_ids', 'int64', ['Q', 'P']);
  const prefixMask = g.input('prefix_mask', 'int64', ['Q', 'P']);
  const ids = g.input('input_ids', 'int64', ['B', 'T']);
  const mask = g.input('attention_mask', 'int64', ['B', 'T']);
  const prefixIndex = g.input('prefix_index', 'int64', ['B']);
  return { inputs: { prefixIds, prefixMask, ids, mask, prefixIndex }, params: weightInputs(g, c, dtype) };
}

/** The score graph over a shared-prefix batch: logprobs [B, T-1] of the continuations. */
export function buildSharedPrefixScoreGraph(
  c: ModelConfig,
  dtype: DType = 'float32',
  kernels?: KernelsName,
): BuiltGraph {
  const g = new Graph('score_shared_prefix');
  g.inferenceOnly = true;
  const { inputs, params } = sharedPrefixInputs(g, c, dtype);
  const hidden = sharedPrefixDecoder(c, params, kernelsFor(g, dtype, kernels), inputs);
  g.output(hiddenLogProbs(c, params, hidden, inputs.ids), 'logprobs');
  return finish(g);
}

/** The train graph over a shared-prefix batch: coef and the other per-token inputs are [B, T-1] over the continuations. */
export function buildSharedPrefixTrainGraph(
  c: ModelConfig,
  opts: TrainGraphOptions = {},
  dtype: DType = 'float32',
  kernels?: KernelsName,
): BuiltGraph {
  const g = new Graph('train_shared_prefix');
  const { inputs, params } = sharedPrefixInputs(g, c, dtype);
  const coef = g.input('coef', dtype, ['B', 'T-1']);
  const hidden = sharedPrefixDecoder(c, params, kernelsFor(g, dtype, kernels), inputs);
  return finishTrain(g, params, hiddenLogProbs(c, params, hidden, inputs.ids), coef, opts, dtype);
}

/** The loss of the train graphs over the log-probs [B, T-1], its outputs and every parameter's gradient. */
function finishTrain(
  g: Graph,
  params: ReadonlyMap<string, Value>,
  logp: Value,
  coef: Value,
  opts: TrainGraphOptions,
  dtype: DType,
): BuiltGraph {
  let surrogate: Value;
  if (opts.clip) {
    const old = g.input('old_logprobs', dtype, ['B', 'T-1']);
    const lo = g.input('clip_low', dtype, []);
    const hi = g.input('clip_high', dtype, []);
    const ratio = op.exp(op.sub(logp, old));
    surrogate = op.min(op.mul(ratio, coef), op.mul(op.clip(ratio, lo, hi), coef));
  } else {
    surrogate = op.mul(logp, coef);
  }
  let loss = op.neg(op.reduceSum(surrogate, [0, 1], false));
  let k3: Value | undefined;
  if (opts.kl) {
    const ref = g.input('ref_logprobs', dtype, ['B', 'T-1']);
    const klCoef = g.input('kl_coef', dtype, ['B', 'T-1']);
    const diff = op.sub(ref, logp);
    k3 = op.sub(op.sub(op.exp(diff), diff), g.scalar(1, dtype));
    loss = op.add(loss, op.reduceSum(op.mul(k3, klCoef), [0, 1], false));
  }
  g.output(loss, 'loss');
  g.output(logp, 'logprobs');
  if (k3) g.output(k3, 'kl_tokens');
  const names = [...params.keys()];
  const grads = gradients(
    loss,
    names.map((n) => params.get(n)!),
  );
  grads.forEach((d, i) => {
    if (!d) throw new Error(`parameter ${names[i]} has no gradient path`);
    g.output(d, gradName(names[i]!));
  });
  return finish(g);
}

export function finish(g: Graph): BuiltGraph {
  return {
    bytes: serializeModel(g),
    inputNames: g.inputs.map((v) => v.name),
    outputNames: g.outputs.map((v) => v.name),
  };
}
