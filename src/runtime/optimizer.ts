/**
 * Optimizers that update Float32Array parameters in place: AdamW and SGD with the update rules of
 * torch.optim.AdamW / torch.optim.SGD, gradient-norm clipping as torch.nn.utils.clip_grad_norm_,
 * and a warmup + decay learning-rate schedule.
 *
 * Parameters and optimizer state are float32 and are rounded to float32 where PyTorch stores them;
 * the arithmetic in between is done in double. Results therefore match PyTorch to float32
 * rounding, not bit for bit, but an optimizer restored from its saved state continues bit for
 * bit as if it had never stopped.
 */
import type { Tensor } from '../model/safetensors.js';

// Bound once: the hot loops below run per parameter element.
const { fround, sqrt } = Math;

/** Parameters exempt from weight decay: a set of names or a predicate on the name. */
export type NoDecay = ReadonlySet<string> | ((name: string) => boolean);

export interface AdamWOptions {
  beta1?: number; // default 0.9
  beta2?: number; // default 0.999
  eps?: number; // default 1e-8
  weightDecay?: number; // default 0.01, as in PyTorch
  noDecay?: NoDecay;
}

export interface SgdOptions {
  momentum?: number; // default 0
  dampening?: number; // default 0
  nesterov?: boolean; // default false
  /** Coupled L2 decay (added to the gradient), as in torch.optim.SGD; default 0. */
  weightDecay?: number;
  noDecay?: NoDecay;
}

export type OptimizerConfig = ({ kind: 'adamw' } & AdamWOptions) | ({ kind: 'sgd' } & SgdOptions);

/** The JSON-able part of an optimizer's state; the per-parameter buffers come from stateTensors(). */
export interface OptimizerScalarState {
  kind: 'adamw' | 'sgd';
  /** Number of step() calls. */
  stepCount: number;
  /** Per parameter, the number of steps that updated it (PyTorch's state['step']; parameters without a gradient are skipped). */
  paramSteps: Record<string, number>;
}

export interface Optimizer {
  readonly kind: 'adamw' | 'sgd';
  readonly stepCount: number;
  /**
   * Updates every parameter that has a gradient in `grads`; parameters without one are left alone.
   * Returns the name of the first parameter the update left with a NaN or infinite value, or null.
   */
  step(grads: ReadonlyMap<string, Float32Array>, lr: number): string | null;
  /** The per-parameter buffers as `<param>.<buffer>` (exp_avg, exp_avg_sq, momentum_buffer): live views, not copies. */
  stateTensors(): Map<string, Tensor>;
  /** Copies saved buffers into this optimizer's; every expected name must be present. Other names are ignored. */
  loadStateTensors(tensors: ReadonlyMap<string, Tensor>): void;
  scalarState(): OptimizerScalarState;
  loadScalarState(state: OptimizerScalarState): void;
}

export type Params = Iterable<readonly [string, Tensor | Float32Array]>;

export function createOptimizer(params: Params, config: OptimizerConfig): Optimizer {
  return config.kind === 'adamw' ? new AdamW(params, config) : new Sgd(params, config);
}

/** A common weight-decay exemption: biases and normalisation weights (Qwen/Llama naming). */
export function isNormOrBias(name: string): boolean {
  return name.endsWith('.bias') || /norm/i.test(name);
}

interface Slot {
  name: string;
  shape: number[];
  param: Float32Array;
  decay: boolean;
  steps: number;
  buffers: Float32Array[];
}

abstract class SlotOptimizer implements Optimizer {
  abstract readonly kind: 'adamw' | 'sgd';
  stepCount = 0;
  protected readonly slots: Slot[] = [];
  private readonly byName = new Map<string, Slot>();

  constructor(
    params: Params,
    noDecay: NoDecay | undefined,
    private readonly bufferNames: string[],
  ) {
    const exempt =
      noDecay === undefined
        ? () => false
        : typeof noDecay === 'function'
          ? noDecay
          : (name: string) => noDecay.has(name);
    for (const [name, value] of params) {
      // ArrayBuffer.isView rather than instanceof: arrays may come from another realm (Jest, native addons)
      const param = ArrayBuffer.isView(value) ? value : value.data;
      const shape = ArrayBuffer.isView(value) ? [value.length] : value.shape;
      if (this.byName.has(name)) throw new Error(`optimizer: parameter "${name}" given twice`);
      const slot = {
        name,
        shape,
        param,
        decay: !exempt(name),
        steps: 0,
        buffers: bufferNames.map(() => new Float32Array(param.length)),
      };
      this.slots.push(slot);
      this.byName.set(name, slot);
    }
  }

  step(grads: ReadonlyMap<string, Float32Array>, lr: number): string | null {
    for (const [name, grad] of grads) {
      const slot = this.byName.get(name);
      if (slot === undefined) throw new Error(`optimizer: gradient for unknown parameter "${name}"`);
      if (grad.length !== slot.param.length)
        throw new Error(
          `optimizer: gradient for "${name}" has ${grad.length} elements, parameter has ${slot.param.length}`,
        );
    }
    this.stepCount++;
    let nonFinite: string | null = null;
    for (const slot of this.slots) {
      const grad = grads.get(slot.name);
      if (grad === undefined) continue;
      slot.steps++;
      if (!Number.isFinite(this.update(slot, grad, lr))) nonFinite ??= slot.name;
    }
    return nonFinite;
  }

  /**
   * Updates one parameter and returns the sum of its new values: finite exactly when every value is
   * (float32 values summed in double cannot overflow), so the check costs one add per element.
   */
  protected abstract update(slot: Slot, grad: Float32Array, lr: number): number;

  stateTensors(): Map<string, Tensor> {
    const tensors = new Map<string, Tensor>();
    for (const slot of this.slots) {
      this.bufferNames.forEach((buffer, i) =>
        tensors.set(`${slot.name}.${buffer}`, { shape: slot.shape, data: slot.buffers[i]! }),
      );
    }
    return tensors;
  }

  loadStateTensors(tensors: ReadonlyMap<string, Tensor>): void {
    for (const slot of this.slots) {
      this.bufferNames.forEach((buffer, i) => {
        const key = `${slot.name}.${buffer}`;
        const saved = tensors.get(key);
        if (saved === undefined) throw new Error(`optimizer state: missing tensor "${key}"`);
        if (saved.data.length !== slot.param.length) {
          throw new Error(
            `optimizer state: "${key}" has ${saved.data.length} elements, parameter has ${slot.param.length}`,
          );
        }
        slot.buffers[i]!.set(saved.data);
      });
    }
  }

  scalarState(): OptimizerScalarState {
    return {
      kind: this.kind,
      stepCount: this.stepCount,
      paramSteps: Object.fromEntries(this.slots.map((s) => [s.name, s.steps])),
    };
  }

  loadScalarState(state: OptimizerScalarState): void {
    if (state.kind !== this.kind)
      throw new Error(`optimizer state: saved by ${state.kind}, cannot load into ${this.kind}`);
    for (const slot of this.slots) {
      const steps = state.paramSteps[slot.name];
      if (typeof steps !== 'number') throw new Error(`optimizer state: no step count for parameter "${slot.name}"`);
    }
    this.stepCount = state.stepCount;
    for (const slot of this.slots) slot.steps = state.paramSteps[slot.name]!;
  }
}

/** torch.optim.AdamW (amsgrad = false): decoupled weight decay, then the bias-corrected Adam step. */
export class AdamW extends SlotOptimizer {
  readonly kind = 'adamw';
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly weightDecay: number;

  constructor(params: Params, options: AdamWOptions = {}) {
    super(params, options.noDecay, ['exp_avg', 'exp_avg_sq']);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    requireIn('beta1', this.beta1, 0, 1);
    requireIn('beta2', this.beta2, 0, 1);
    requireNonNegative('eps', this.eps);
    requireNonNegative('weightDecay', this.weightDecay);
  }

  protected update(slot: Slot, grad: Float32Array, lr: number): number {
    const p = slot.param;
    const m = slot.buffers[0]!;
    const v = slot.buffers[1]!;
    const b1 = this.beta1,
      b2 = this.beta2,
      eps = this.eps;
    const a1 = 1 - b1,
      a2 = 1 - b2;
    const decay = slot.decay ? 1 - lr * this.weightDecay : 1;
    const stepSize = lr / (1 - b1 ** slot.steps);
    const invBc2Sqrt = 1 / Math.sqrt(1 - b2 ** slot.steps);
    const n = p.length;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const g = grad[i]!;
      const mi = fround(b1 * m[i]! + a1 * g);
      const vi = fround(b2 * v[i]! + a2 * g * g);
      m[i] = mi;
      v[i] = vi;
      p[i] = fround(p[i]! * decay) - (stepSize * mi) / (sqrt(vi) * invBc2Sqrt + eps);
      sum += p[i]!; // the stored float32, which overflows to Infinity where the double did not
    }
    return sum;
  }
}

/** torch.optim.SGD: optional coupled weight decay, momentum (first step seeds the buffer with the gradient), Nesterov. */
export class Sgd extends SlotOptimizer {
  readonly kind = 'sgd';
  private readonly momentum: number;
  private readonly dampening: number;
  private readonly nesterov: boolean;
  private readonly weightDecay: number;

  constructor(params: Params, options: SgdOptions = {}) {
    const momentum = options.momentum ?? 0;
    super(params, options.noDecay, momentum > 0 ? ['momentum_buffer'] : []);
    this.momentum = momentum;
    this.dampening = options.dampening ?? 0;
    this.nesterov = options.nesterov ?? false;
    this.weightDecay = options.weightDecay ?? 0;
    requireNonNegative('momentum', this.momentum);
    requireIn('dampening', this.dampening, 0, 1);
    requireNonNegative('weightDecay', this.weightDecay);
    if (this.nesterov && (this.momentum === 0 || this.dampening !== 0))
      throw new Error('SGD: nesterov needs momentum > 0 and dampening 0');
  }

  protected update(slot: Slot, grad: Float32Array, lr: number): number {
    const p = slot.param;
    const wd = slot.decay ? this.weightDecay : 0;
    const n = p.length;
    let sum = 0;
    if (this.momentum === 0) {
      for (let i = 0; i < n; i++) {
        p[i] = p[i]! - lr * fround(grad[i]! + wd * p[i]!);
        sum += p[i]!;
      }
      return sum;
    }
    const buf = slot.buffers[0]!;
    const mu = this.momentum,
      keep = 1 - this.dampening,
      nesterov = this.nesterov;
    const first = slot.steps === 1;
    for (let i = 0; i < n; i++) {
      const d = fround(grad[i]! + wd * p[i]!);
      const b = first ? d : fround(mu * buf[i]! + keep * d);
      buf[i] = b;
      p[i] = p[i]! - lr * (nesterov ? fround(d + mu * b) : b);
      sum += p[i]!;
    }
    return sum;
  }
}

function isMap<V>(x: Iterable<V> | ReadonlyMap<string, V>): x is ReadonlyMap<string, V> {
  return typeof (x as ReadonlyMap<string, V>).get === 'function';
}

function requireIn(name: string, x: number, lo: number, hi: number): void {
  if (!(x >= lo && x < hi)) throw new Error(`optimizer: ${name} must be in [${lo}, ${hi}), got ${x}`);
}

function requireNonNegative(name: string, x: number): void {
  if (!(x >= 0)) throw new Error(`optimizer: ${name} must be >= 0, got ${x}`);
}

// ---------------------------------------------------------------------------------------------

/**
 * torch.nn.utils.clip_grad_norm_ with norm_type 2: scales all gradients in place by
 * maxNorm / (norm + 1e-6) when that is below 1 (maxNorm <= 0: never), and returns the norm before
 * clipping. A non-finite norm is returned with the gradients untouched (PyTorch would fill them with
 * NaN); the caller should skip that step.
 *
 * `aboveEps` is the share of coordinates whose magnitude after clipping exceeds `eps` (the
 * optimizer's eps: the share AdamW steps sign-like), counted in the same passes over the gradients.
 */
export function clipGradients(
  grads: Iterable<Float32Array> | ReadonlyMap<string, Float32Array>,
  maxNorm: number,
  eps = Infinity,
): { norm: number; aboveEps: number } {
  const list = isMap(grads) ? [...grads.values()] : [...grads];
  let sum = 0,
    n = 0,
    above = 0;
  for (const g of list) {
    n += g.length;
    for (let i = 0; i < g.length; i++) {
      const x = g[i]!;
      sum += x * x;
      if (Math.abs(x) > eps) above++;
    }
  }
  const norm = Math.sqrt(sum);
  const scale = maxNorm / (norm + 1e-6);
  if (maxNorm > 0 && Number.isFinite(norm) && scale < 1) {
    above = 0;
    for (const g of list) {
      for (let i = 0; i < g.length; i++) {
        const x = g[i]! * scale;
        g[i] = x;
        if (Math.abs(x) > eps) above++;
      }
    }
  }
  return { norm, aboveEps: n === 0 ? 0 : above / n };
}

/** clipGradients without the count. */
export function clipGradNorm(
  grads: Iterable<Float32Array> | ReadonlyMap<string, Float32Array>,
  maxNorm: number,
): number {
  return clipGradients(grads, maxNorm).norm;
}

// ---------------------------------------------------------------------------------------------

export interface LrScheduleConfig {
  peakLr: number;
  /** Steps of linear warmup from peakLr / warmupSteps up to peakLr; default 0. */
  warmupSteps?: number;
  /** What follows warmup; default 'constant'. */
  decay?: 'constant' | 'linear' | 'cosine';
  /** The step at which a decay reaches minLr (required for 'linear' and 'cosine'). */
  totalSteps?: number;
  /** The floor a decay ends at; default 0. */
  minLr?: number;
}

/**
 * The learning rate of the step taken after `done` steps (0 for the first; as Hugging Face's
 * schedulers count): warmup gives done < W the rate peakLr * (done + 1) / W, so steps 1..W (counting
 * from 1) run at peakLr * N / W, none is wasted at rate 0 and step W is at the peak; a decay then goes
 * from peakLr at done = W to minLr at done = totalSteps and stays there.
 */
export function lrSchedule(config: LrScheduleConfig): (done: number) => number {
  const { peakLr, warmupSteps = 0, decay = 'constant', totalSteps, minLr = 0 } = config;
  if (!(peakLr >= 0)) throw new Error(`lr schedule: peakLr must be >= 0, got ${peakLr}`);
  if (!(Number.isInteger(warmupSteps) && warmupSteps >= 0))
    throw new Error(`lr schedule: warmupSteps must be a non-negative integer, got ${warmupSteps}`);
  if (decay !== 'constant') {
    if (totalSteps === undefined || !(totalSteps > warmupSteps)) {
      throw new Error(`lr schedule: ${decay} decay needs totalSteps > warmupSteps (${warmupSteps}), got ${totalSteps}`);
    }
    if (!(minLr >= 0 && minLr <= peakLr)) throw new Error(`lr schedule: minLr must be in [0, peakLr], got ${minLr}`);
  }
  return (step: number): number => {
    if (step < warmupSteps) return (peakLr * (step + 1)) / warmupSteps;
    if (decay === 'constant') return peakLr;
    const progress = Math.min(1, (step - warmupSteps) / (totalSteps! - warmupSteps));
    const shape = decay === 'linear' ? 1 - progress : 0.5 * (1 + Math.cos(Math.PI * progress));
    return minLr + (peakLr - minLr) * shape;
  };
}
