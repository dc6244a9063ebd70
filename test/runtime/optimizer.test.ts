import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, type Tensor } from '../../src/model/safetensors.js';
import {
  AdamW,
  Sgd,
  clipGradients,
  clipGradNorm,
  createOptimizer,
  isNormOrBias,
  lrSchedule,
  type OptimizerConfig,
} from '../../src/runtime/optimizer.js';
import { Rng } from '../../src/util/rng.js';

/** Gradients for step `t`: a fixed function of (t, parameter name, index), whatever the map's order. */
function gradsAt(t: number, params: Map<string, Float32Array>): Map<string, Float32Array> {
  const grads = new Map<string, Float32Array>();
  for (const [name, p] of params) {
    const rng = new Rng(7919 * t + [...name].reduce((h, c) => (31 * h + c.charCodeAt(0)) % 1_000_003, 0));
    grads.set(
      name,
      Float32Array.from(p, () => rng.normal() * (1 + (t % 3))),
    );
  }
  return grads;
}

function randomParams(sizes: Record<string, number>, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  return new Map(
    Object.entries(sizes).map(([name, n]) => [name, Float32Array.from({ length: n }, () => rng.normal())]),
  );
}

function clone(params: Map<string, Float32Array>): Map<string, Float32Array> {
  return new Map([...params].map(([name, p]) => [name, p.slice()]));
}

/** torch.optim.AdamW's single-tensor update, written out per scalar in double precision. */
function referenceAdamW(
  p0: number[],
  grads: number[][],
  lrs: number[],
  { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.01 } = {},
): number[] {
  const p = p0.slice();
  const m = p.map(() => 0),
    v = p.map(() => 0);
  grads.forEach((g, s) => {
    const t = s + 1,
      lr = lrs[s]!;
    for (let i = 0; i < p.length; i++) {
      p[i] = p[i]! * (1 - lr * weightDecay);
      m[i] = beta1 * m[i]! + (1 - beta1) * g[i]!;
      v[i] = beta2 * v[i]! + (1 - beta2) * g[i]! * g[i]!;
      const mHat = m[i]! / (1 - beta1 ** t);
      const vHat = v[i]! / (1 - beta2 ** t);
      p[i] = p[i]! - (lr * mHat) / (Math.sqrt(vHat) + eps);
    }
  });
  return p;
}

/** torch.optim.SGD with momentum, dampening, nesterov and weight decay, per scalar in double. */
function referenceSgd(
  p0: number[],
  grads: number[][],
  lr: number,
  { momentum = 0, dampening = 0, nesterov = false, weightDecay = 0 } = {},
): number[] {
  const p = p0.slice();
  const buf: number[] = [];
  grads.forEach((g, s) => {
    for (let i = 0; i < p.length; i++) {
      let d = g[i]! + weightDecay * p[i]!;
      if (momentum !== 0) {
        buf[i] = s === 0 ? d : momentum * buf[i]! + (1 - dampening) * d;
        d = nesterov ? d + momentum * buf[i]! : buf[i]!;
      }
      p[i] = p[i]! - lr * d;
    }
  });
  return p;
}

function expectClose(actual: Float32Array, expected: number[], relative: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tolerance = relative * Math.max(1, Math.abs(expected[i]!));
    if (!(Math.abs(actual[i]! - expected[i]!) <= tolerance)) {
      throw new Error(`element ${i}: ${actual[i]} differs from ${expected[i]} by more than ${tolerance}`);
    }
  }
}

describe('AdamW', () => {
  it('takes a hand-worked first step: decay, then lr * g / (|g| + eps)', () => {
    const p = Float32Array.from([1, -2]);
    const opt = new AdamW([['w', p]], { weightDecay: 0.01 });
    opt.step(new Map([['w', Float32Array.from([0.5, -4])]]), 0.1);
    // after one step m_hat = g and v_hat = g^2, so the Adam part is lr * sign(g) up to eps
    expect(p[0]).toBe(Math.fround(0.999 - (0.1 * 0.5) / (0.5 + 1e-8)));
    expect(p[1]).toBe(Math.fround(-2 * 0.999 + (0.1 * 4) / (4 + 1e-8)));
  });

  it("follows PyTorch's formula over several steps with weight decay, bias correction and a changing lr", () => {
    const rng = new Rng(3);
    const p0 = Array.from({ length: 50 }, () => rng.normal());
    // gradient scales from 1e-3 (where eps = 1e-3 and its placement matter) to 1
    const grads = Array.from({ length: 8 }, (_, s) => p0.map(() => Math.fround(rng.normal() * 10 ** ((s % 4) - 3))));
    const lrs = [1e-3, 2e-3, 3e-3, 3e-3, 2.5e-3, 2e-3, 1e-3, 5e-4];
    const options = { beta1: 0.8, beta2: 0.95, eps: 1e-3, weightDecay: 0.1 };
    const p = Float32Array.from(p0);
    const opt = new AdamW([['w', { shape: [5, 10], data: p }]], options);
    for (const [s, g] of grads.entries()) opt.step(new Map([['w', Float32Array.from(g)]]), lrs[s]!);
    const expected = referenceAdamW(p0, grads, lrs, options);
    expectClose(p, expected, 2e-6);
    // and the steps were not negligible: parameters moved well beyond the tolerance
    expect(Math.max(...expected.map((x, i) => Math.abs(x - p0[i]!)))).toBeGreaterThan(1e-2);
  });

  it('exempts the named parameters from weight decay and skips parameters without a gradient', () => {
    const params = new Map([
      ['layer.weight', Float32Array.from([1, 2])],
      ['layer.norm.weight', Float32Array.from([1, 2])],
      ['frozen', Float32Array.from([3])],
    ]);
    const opt = new AdamW(params, { weightDecay: 0.5, noDecay: isNormOrBias });
    const g = [0.25, -0.5];
    for (let s = 0; s < 3; s++)
      opt.step(
        new Map([
          ['layer.weight', Float32Array.from(g)],
          ['layer.norm.weight', Float32Array.from(g)],
        ]),
        0.01,
      );
    expectClose(
      params.get('layer.weight')!,
      referenceAdamW([1, 2], [g, g, g], [0.01, 0.01, 0.01], { weightDecay: 0.5 }),
      1e-6,
    );
    expectClose(
      params.get('layer.norm.weight')!,
      referenceAdamW([1, 2], [g, g, g], [0.01, 0.01, 0.01], { weightDecay: 0 }),
      1e-6,
    );
    expect(params.get('frozen')).toEqual(Float32Array.from([3]));
    // its first gradient gets the step-1 bias correction, like PyTorch's per-parameter step count
    opt.step(new Map([['frozen', Float32Array.from([2])]]), 0.01);
    expectClose(params.get('frozen')!, referenceAdamW([3], [[2]], [0.01], { weightDecay: 0.5 }), 1e-6);
    expect(opt.scalarState()).toEqual({
      kind: 'adamw',
      stepCount: 4,
      paramSteps: { 'layer.weight': 3, 'layer.norm.weight': 3, frozen: 1 },
    });
    // a set of names works the same way as the predicate
    const q = Float32Array.from([1]);
    new AdamW([['b', q]], { weightDecay: 0.5, noDecay: new Set(['b']) }).step(
      new Map([['b', Float32Array.from([1])]]),
      0.1,
    );
    expect(q[0]).toBe(Math.fround(1 - 0.1 / (1 + 1e-8)));
  });

  it('rejects gradients of the wrong size or for unknown parameters before changing anything', () => {
    const p = Float32Array.from([1, 2]);
    const opt = new AdamW([['w', p]]);
    expect(() => opt.step(new Map([['w', new Float32Array(3)]]), 0.1)).toThrow(
      'gradient for "w" has 3 elements, parameter has 2',
    );
    expect(() =>
      opt.step(
        new Map([
          ['w', new Float32Array(2)],
          ['v', new Float32Array(1)],
        ]),
        0.1,
      ),
    ).toThrow('unknown parameter "v"');
    expect(p).toEqual(Float32Array.from([1, 2]));
    expect(opt.stepCount).toBe(0);
    expect(() => new AdamW([], { beta2: 1 })).toThrow('beta2 must be in [0, 1)');
  });
});

describe('SGD', () => {
  const p0 = [1, -0.5, 2];
  const grads = [
    [0.1, 0.2, -0.3],
    [0.4, -0.1, 0.0],
    [-0.2, 0.3, 0.5],
    [0.05, 0.05, 0.05],
  ];

  it('is plain gradient descent without momentum', () => {
    const p = Float32Array.from(p0);
    const opt = new Sgd([['w', p]]);
    opt.step(new Map([['w', Float32Array.from([0.1, 0.2, -0.3])]]), 0.5);
    expect(p).toEqual(Float32Array.from([1 - 0.05, -0.5 - 0.1, 2 + 0.15]));
    expect(opt.stateTensors().size).toBe(0);
  });

  for (const options of [
    { momentum: 0.9 },
    { momentum: 0.9, dampening: 0.1, weightDecay: 0.01 },
    { momentum: 0.8, nesterov: true, weightDecay: 0.05 },
  ]) {
    it(`follows PyTorch's formula with ${JSON.stringify(options)}`, () => {
      const p = Float32Array.from(p0);
      const opt = createOptimizer([['w', p]], { kind: 'sgd', ...options });
      for (const g of grads) opt.step(new Map([['w', Float32Array.from(g)]]), 0.1);
      expectClose(
        p,
        referenceSgd(
          p0,
          grads.map((g) => g.map(Math.fround)),
          0.1,
          options,
        ),
        1e-6,
      );
    });
  }

  it('seeds the momentum buffer with the first gradient (hand-worked)', () => {
    const p = Float32Array.from([0]);
    const opt = new Sgd([['w', p]], { momentum: 0.5, dampening: 0.5 });
    opt.step(new Map([['w', Float32Array.from([1])]]), 1); // buf = 1 (not 0.5), p = -1
    opt.step(new Map([['w', Float32Array.from([1])]]), 1); // buf = 0.5 * 1 + 0.5 * 1 = 1, p = -2
    opt.step(new Map([['w', Float32Array.from([-2])]]), 1); // buf = 0.5 - 1 = -0.5, p = -1.5
    expect(p[0]).toBe(-1.5);
    expect(opt.stateTensors().get('w.momentum_buffer')!.data[0]).toBe(-0.5);
  });
});

describe('clipGradNorm', () => {
  it('returns the total norm and scales by maxNorm / (norm + 1e-6) only when that is below 1', () => {
    const a = Float32Array.from([3, 4]),
      b = Float32Array.from([12]); // norm sqrt(9 + 16 + 144) = 13
    expect(clipGradNorm([a, b], 6.5)).toBe(13);
    const scale = 6.5 / (13 + 1e-6);
    expect(a).toEqual(Float32Array.from([3 * scale, 4 * scale]));
    expect(b).toEqual(Float32Array.from([12 * scale]));

    const c = new Map([['x', Float32Array.from([3, 4])]]);
    expect(clipGradNorm(c, 5)).toBe(5); // scale = 5 / (5 + 1e-6) < 1: clipped, as in PyTorch
    expect(c.get('x')).toEqual(Float32Array.from([3 * (5 / (5 + 1e-6)), 4 * (5 / (5 + 1e-6))]));
    const d = Float32Array.from([3, 4]);
    expect(clipGradNorm([d], 100)).toBe(5);
    expect(d).toEqual(Float32Array.from([3, 4]));
  });

  it('accumulates in double and leaves gradients alone when the norm is not finite', () => {
    const many = new Float32Array(1_000_000).fill(0.1); // float32 accumulation would drift visibly
    expect(clipGradNorm([many], 1e9)).toBeCloseTo(Math.sqrt(1_000_000 * Math.fround(0.1) ** 2), 9);
    const bad = Float32Array.from([1, Infinity]);
    expect(clipGradNorm([bad], 1)).toBe(Infinity);
    expect(bad).toEqual(Float32Array.from([1, Infinity]));
    expect(clipGradNorm([Float32Array.from([NaN])], 1)).toBeNaN();
  });
});

describe('lrSchedule', () => {
  const base = { peakLr: 1e-3, warmupSteps: 10, totalSteps: 110, minLr: 1e-4 };

  it('warms up linearly from peak / W, then holds the peak', () => {
    const lr = lrSchedule({ peakLr: 1e-3, warmupSteps: 10 });
    expect(lr(0)).toBeCloseTo(1e-4, 15);
    expect(lr(4)).toBeCloseTo(5e-4, 15);
    expect(lr(9)).toBeCloseTo(1e-3, 15);
    expect(lr(10)).toBe(1e-3);
    expect(lr(100000)).toBe(1e-3);
    expect(lrSchedule({ peakLr: 2e-5 })(0)).toBe(2e-5);
  });

  it('decays linearly to the floor', () => {
    const lr = lrSchedule({ ...base, decay: 'linear' });
    expect(lr(5)).toBeCloseTo(6e-4, 15);
    expect(lr(10)).toBeCloseTo(1e-3, 15);
    expect(lr(60)).toBeCloseTo(1e-4 + 9e-4 * 0.5, 15); // halfway
    expect(lr(85)).toBeCloseTo(1e-4 + 9e-4 * 0.25, 15);
    expect(lr(110)).toBeCloseTo(1e-4, 15);
    expect(lr(500)).toBeCloseTo(1e-4, 15);
  });

  it('decays along a half cosine to the floor', () => {
    const lr = lrSchedule({ ...base, decay: 'cosine' });
    expect(lr(10)).toBeCloseTo(1e-3, 15);
    expect(lr(35)).toBeCloseTo(1e-4 + (9e-4 * (1 + Math.SQRT1_2)) / 2, 15); // progress 1/4: cos = 1/sqrt(2)
    expect(lr(60)).toBeCloseTo(5.5e-4, 15);
    expect(lr(85)).toBeCloseTo(1e-4 + (9e-4 * (1 - Math.SQRT1_2)) / 2, 15);
    expect(lr(110)).toBeCloseTo(1e-4, 15);
    expect(lr(111)).toBeCloseTo(1e-4, 15);
  });

  it('rejects a decay without a horizon past the warmup', () => {
    expect(() => lrSchedule({ peakLr: 1, decay: 'cosine' })).toThrow(
      'cosine decay needs totalSteps > warmupSteps (0), got undefined',
    );
    expect(() => lrSchedule({ peakLr: 1, warmupSteps: 10, decay: 'linear', totalSteps: 10 })).toThrow(
      'linear decay needs totalSteps',
    );
    expect(() => lrSchedule({ peakLr: 1, decay: 'linear', totalSteps: 10, minLr: 2 })).toThrow(
      'minLr must be in [0, peakLr]',
    );
  });
});

describe('checkpoint and resume', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'optimizer-test-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const sizes = { 'embed.weight': 300, 'layers.0.norm.weight': 17, 'layers.0.mlp.weight': 250 };
  const schedule = lrSchedule({ peakLr: 3e-3, warmupSteps: 3, decay: 'cosine', totalSteps: 12 });

  function train(
    opt: ReturnType<typeof createOptimizer>,
    params: Map<string, Float32Array>,
    from: number,
    to: number,
  ): void {
    for (let t = from; t < to; t++) {
      const grads = gradsAt(t, params);
      clipGradNorm(grads, 20);
      opt.step(grads, schedule(t));
    }
  }

  for (const config of [
    { kind: 'adamw', weightDecay: 0.1, noDecay: isNormOrBias },
    { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 0.01 },
  ] as OptimizerConfig[]) {
    it(`${config.kind}: saving after 5 steps and resuming from files gives bit-identical results to 12 uninterrupted steps`, async () => {
      const straight = randomParams(sizes, 11);
      train(createOptimizer(straight, config), straight, 0, 12);

      const first = randomParams(sizes, 11);
      const opt = createOptimizer(first, config);
      train(opt, first, 0, 5);
      const toTensors = (m: Map<string, Float32Array>) =>
        new Map<string, Tensor>([...m].map(([n, d]) => [n, { shape: [d.length], data: d }]));
      await writeSafetensors(join(dir, 'params.safetensors'), toTensors(first));
      await writeSafetensors(join(dir, 'optimizer.safetensors'), opt.stateTensors());
      await writeFile(join(dir, 'optimizer.json'), JSON.stringify(opt.scalarState()));
      train(opt, first, 5, 7); // keep going after the save: must not affect what was saved

      const loaded = await readSafetensors(join(dir, 'params.safetensors'));
      const resumed = new Map([...loaded].map(([n, t]) => [n, t.data]));
      const restored = createOptimizer(loaded, config);
      restored.loadStateTensors(await readSafetensors(join(dir, 'optimizer.safetensors')));
      restored.loadScalarState(JSON.parse(await readFile(join(dir, 'optimizer.json'), 'utf-8')));
      expect(restored.stepCount).toBe(5);
      train(restored, resumed, 5, 12);

      for (const [name, p] of straight) {
        expect(Buffer.compare(Buffer.from(resumed.get(name)!.buffer), Buffer.from(p.buffer))).toBe(0);
      }
      // and a fresh optimizer (state not restored) does diverge, so the comparison has teeth
      const cold = new Map([...loaded].map(([n, t]) => [n, t.data.slice()]));
      const fresh = createOptimizer(cold, config);
      train(fresh, cold, 5, 12);
      expect(
        Buffer.compare(
          Buffer.from(cold.get('embed.weight')!.buffer),
          Buffer.from(straight.get('embed.weight')!.buffer),
        ),
      ).not.toBe(0);
    });
  }

  it('refuses state from another optimizer kind or with missing tensors', () => {
    const params = randomParams({ w: 4 }, 1);
    const adam = new AdamW(params);
    const sgd = new Sgd(clone(params), { momentum: 0.9 });
    expect(() => adam.loadScalarState(sgd.scalarState())).toThrow('saved by sgd, cannot load into adamw');
    expect(() => adam.loadStateTensors(sgd.stateTensors())).toThrow('missing tensor "w.exp_avg"');
    expect(() =>
      adam.loadStateTensors(
        new Map([
          ['w.exp_avg', { shape: [3], data: new Float32Array(3) }],
          ['w.exp_avg_sq', { shape: [3], data: new Float32Array(3) }],
        ]),
      ),
    ).toThrow('"w.exp_avg" has 3 elements, parameter has 4');
    expect(() => adam.loadScalarState({ kind: 'adamw', stepCount: 1, paramSteps: {} })).toThrow(
      'no step count for parameter "w"',
    );
    expect([...adam.stateTensors().keys()]).toEqual(['w.exp_avg', 'w.exp_avg_sq']);
  });
});

describe('clipGradients: the share above eps, counted after clipping', () => {
  it('counts coordinates with |g| > eps over every tensor', () => {
    const grads = [Float32Array.of(1e-9, -2e-8, 0, 1), Float32Array.of(-1e-7, 1e-8)];
    // -2e-8, 1 and -1e-7; 1e-8 rounds to 9.99999994e-9 in float32, not above. Norm 1: no clipping at 10.
    expect(clipGradients(grads, 10, 1e-8).aboveEps).toBeCloseTo(3 / 6, 12);
    expect(clipGradients([Float32Array.of(0.5, 0.25)], 0, 0.3)).toEqual({ norm: Math.hypot(0.5, 0.25), aboveEps: 0.5 });
    expect(clipGradients([], 1, 1).aboveEps).toBe(0);
  });
  it('counts the clipped values: clipping 3, 4 (norm 5) to norm 1 leaves 0.6 and 0.8', () => {
    const g = Float32Array.of(3, 4);
    const r = clipGradients([g], 1, 0.7);
    expect(r.norm).toBe(5);
    expect(r.aboveEps).toBe(0.5); // 0.8 > 0.7, 0.6 not; before clipping both were
    expect(g[0]).toBeCloseTo(0.6, 6);
  });
});

describe('step reports parameters the update made non-finite', () => {
  const cases: [string, OptimizerConfig][] = [
    ['adamw', { kind: 'adamw', weightDecay: 0 }],
    ['sgd', { kind: 'sgd' }],
    ['sgd with momentum', { kind: 'sgd', momentum: 0.9 }],
  ];
  it.each(cases)(
    '%s: null while finite, the first overflowing parameter once one overflows float32',
    (_name, config) => {
      const a = Float32Array.from([1, 2]);
      const b = Float32Array.from([3e38, 1]);
      const opt = createOptimizer(
        [
          ['a', a],
          ['b', b],
        ],
        config,
      );
      const zero = new Float32Array(2);
      expect(
        opt.step(
          new Map([
            ['a', zero],
            ['b', Float32Array.from([1, 1])],
          ]),
          1e-3,
        ),
      ).toBeNull();
      // b[0] moves by about 1e40 in double, which float32 stores as +-Infinity: the stored value is what counts.
      expect(
        opt.step(
          new Map([
            ['a', zero],
            ['b', Float32Array.from([-1, 0])],
          ]),
          1e40,
        ),
      ).toBe('b');
      expect(Number.isFinite(b[0])).toBe(false);
      expect(a).toEqual(Float32Array.from([1, 2]));
    },
  );
  it('a NaN gradient makes the parameter NaN and is reported', () => {
    const p = Float32Array.from([1, 2, 3]);
    const opt = new AdamW([['w', p]], { weightDecay: 0 });
    expect(opt.step(new Map([['w', Float32Array.from([0, NaN, 0])]]), 0.1)).toBe('w');
    expect(Number.isNaN(p[1])).toBe(true);
  });
});
