/**
 * Self-checks of the float64 reference decoder (test/model/reference-decoder.ts). These do not use the
 * project's graph code: they check structural properties (causality, RoPE relativity, GQA head mapping)
 * and small cases whose expected values are computed here by separate, direct formulas.
 */
import { referenceLogits, referenceLogProbs, type RefConfig } from './reference-decoder.js';

// ---------------------------------------------------------------------------------------------
// Helpers (independent of the reference implementation)

/** Deterministic PRNG (mulberry32) in [0, 1). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randArray(n: number, rand: () => number, scale: number, center = 0): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = center + scale * (2 * rand() - 1);
  return a;
}

/** Random HF-named weights for a config (Float32Array like real checkpoints). */
function makeWeights(c: RefConfig, seed: number): Map<string, Float32Array> {
  const r = rng(seed);
  const H = c.hiddenSize;
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const w = new Map<string, Float32Array>();
  w.set('model.embed_tokens.weight', randArray(c.vocabSize * H, r, 1));
  for (let l = 0; l < c.numLayers; l++) {
    const p = `model.layers.${l}.`;
    w.set(`${p}input_layernorm.weight`, randArray(H, r, 0.3, 1));
    w.set(`${p}post_attention_layernorm.weight`, randArray(H, r, 0.3, 1));
    w.set(`${p}self_attn.q_proj.weight`, randArray(q * H, r, 0.6));
    w.set(`${p}self_attn.k_proj.weight`, randArray(kv * H, r, 0.6));
    w.set(`${p}self_attn.v_proj.weight`, randArray(kv * H, r, 0.6));
    w.set(`${p}self_attn.o_proj.weight`, randArray(H * q, r, 0.4));
    if (c.attentionBias) {
      w.set(`${p}self_attn.q_proj.bias`, randArray(q, r, 0.3));
      w.set(`${p}self_attn.k_proj.bias`, randArray(kv, r, 0.3));
      w.set(`${p}self_attn.v_proj.bias`, randArray(kv, r, 0.3));
    }
    if (c.qkNorm) {
      w.set(`${p}self_attn.q_norm.weight`, randArray(c.headDim, r, 0.3, 1));
      w.set(`${p}self_attn.k_norm.weight`, randArray(c.headDim, r, 0.3, 1));
    }
    w.set(`${p}mlp.gate_proj.weight`, randArray(c.intermediateSize * H, r, 0.5));
    w.set(`${p}mlp.up_proj.weight`, randArray(c.intermediateSize * H, r, 0.5));
    w.set(`${p}mlp.down_proj.weight`, randArray(H * c.intermediateSize, r, 0.4));
  }
  w.set('model.norm.weight', randArray(H, r, 0.3, 1));
  if (!c.tieWordEmbeddings) w.set('lm_head.weight', randArray(c.vocabSize * H, r, 1));
  return w;
}

/** y = W x with W [out, in] row-major. */
function matVec(W: ArrayLike<number>, x: number[], out: number): number[] {
  const n = x.length;
  const y: number[] = [];
  for (let o = 0; o < out; o++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += W[o * n + i]! * x[i]!;
    y.push(s);
  }
  return y;
}

function rms(x: number[], w: ArrayLike<number>, eps: number): number[] {
  const meanSq = x.reduce((s, v) => s + v * v, 0) / x.length;
  const inv = 1 / Math.sqrt(meanSq + eps);
  return x.map((v, i) => w[i]! * v * inv);
}

function row(W: ArrayLike<number>, r: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => W[r * n + i]!);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function zeroAll(w: Map<string, Float32Array>, suffixes: string[]): void {
  for (const [k, v] of w) if (suffixes.some((s) => k.endsWith(s))) v.fill(0);
}

// ---------------------------------------------------------------------------------------------
// Configurations shaped like the three families (tiny).

const QWEN3: RefConfig = {
  vocabSize: 24,
  hiddenSize: 16,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 8,
  intermediateSize: 24,
  rmsNormEps: 1e-6,
  ropeTheta: 1_000_000,
  tieWordEmbeddings: true,
  attentionBias: false,
  qkNorm: true,
};
const QWEN2: RefConfig = {
  vocabSize: 20,
  hiddenSize: 16,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 4,
  intermediateSize: 32,
  rmsNormEps: 1e-6,
  ropeTheta: 10_000,
  tieWordEmbeddings: false,
  attentionBias: true,
  qkNorm: false,
};
const LLAMA: RefConfig = {
  vocabSize: 20,
  hiddenSize: 24,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 1,
  headDim: 6,
  intermediateSize: 32,
  rmsNormEps: 1e-5,
  ropeTheta: 500_000,
  tieWordEmbeddings: false,
  attentionBias: false,
  qkNorm: false,
};
const FAMILIES: [string, RefConfig][] = [
  ['qwen3 (qk-norm, tied, GQA 4/2, headDim*heads != hidden)', QWEN3],
  ['qwen2 (qkv bias, untied, GQA 4/2)', QWEN2],
  ['llama (untied, MQA 4/1)', LLAMA],
];

const IDS = [3, 17, 0, 9, 9, 12, 5, 1];

// ---------------------------------------------------------------------------------------------

describe('reference decoder: shapes and validation', () => {
  it.each(FAMILIES)('%s: one finite [vocab] row per position', (_name, c) => {
    const logits = referenceLogits(c, makeWeights(c, 1), IDS);
    expect(logits).toHaveLength(IDS.length);
    for (const r of logits) {
      expect(r).toBeInstanceOf(Float64Array);
      expect(r).toHaveLength(c.vocabSize);
      for (const v of r) expect(Number.isFinite(v)).toBe(true);
    }
  });

  it('default positions equal explicit 0..T-1', () => {
    const w = makeWeights(QWEN3, 2);
    const a = referenceLogits(QWEN3, w, IDS);
    const b = referenceLogits(
      QWEN3,
      w,
      IDS,
      IDS.map((_, i) => i),
    );
    for (let t = 0; t < IDS.length; t++) expect(maxAbsDiff(a[t]!, b[t]!)).toBe(0);
  });

  it('accepts Float64Array weights with the same values as Float32Array', () => {
    const w32 = makeWeights(QWEN2, 3);
    const w64 = new Map([...w32].map(([k, v]) => [k, Float64Array.from(v)] as const));
    const a = referenceLogits(QWEN2, w32, IDS);
    const b = referenceLogits(QWEN2, w64, IDS);
    for (let t = 0; t < IDS.length; t++) expect(maxAbsDiff(a[t]!, b[t]!)).toBe(0);
  });

  it('throws on a missing weight, a mis-sized weight, a bad id, or mismatched positions', () => {
    const w = makeWeights(QWEN3, 4);
    const missing = new Map(w);
    missing.delete('model.layers.1.self_attn.k_norm.weight');
    expect(() => referenceLogits(QWEN3, missing, IDS)).toThrow(/missing weight model\.layers\.1\.self_attn\.k_norm/);
    const bad = new Map(w);
    bad.set('model.layers.0.self_attn.k_proj.weight', new Float32Array(7));
    expect(() => referenceLogits(QWEN3, bad, IDS)).toThrow(/k_proj\.weight has 7 elements/);
    expect(() => referenceLogits(QWEN3, w, [0, QWEN3.vocabSize])).toThrow(/out of range/);
    expect(() => referenceLogits(QWEN3, w, [0, 1], [0])).toThrow(/positions/);
    expect(() => referenceLogits({ ...QWEN3, numKvHeads: 3 }, w, IDS)).toThrow(/divisible/);
  });

  it('untied models read lm_head.weight; tied models ignore it and use embed_tokens', () => {
    const w = makeWeights(QWEN2, 5);
    const a = referenceLogits(QWEN2, w, IDS);
    const w2 = new Map(w);
    w2.set('lm_head.weight', randArray(QWEN2.vocabSize * QWEN2.hiddenSize, rng(99), 1));
    const b = referenceLogits(QWEN2, w2, IDS);
    expect(maxAbsDiff(a[0]!, b[0]!)).toBeGreaterThan(1e-3);

    const wt = makeWeights(QWEN3, 6);
    const c = referenceLogits(QWEN3, wt, IDS);
    const wt2 = new Map(wt);
    wt2.set('lm_head.weight', randArray(QWEN3.vocabSize * QWEN3.hiddenSize, rng(98), 1));
    const d = referenceLogits(QWEN3, wt2, IDS);
    for (let t = 0; t < IDS.length; t++) expect(maxAbsDiff(c[t]!, d[t]!)).toBe(0);
  });
});

describe('reference decoder: (a) causality', () => {
  it.each(FAMILIES)('%s: logits at t do not depend on tokens after t', (_name, c) => {
    const w = makeWeights(c, 10);
    const base = referenceLogits(c, w, IDS);
    for (const cut of [1, 4, 7]) {
      const changed = IDS.map((id, i) => (i < cut ? id : (id + 5 + i) % c.vocabSize));
      const other = referenceLogits(c, w, changed);
      for (let t = 0; t < cut; t++) expect(maxAbsDiff(base[t]!, other[t]!)).toBe(0);
      // ...while the first changed position does change (the test is not vacuous).
      expect(maxAbsDiff(base[cut]!, other[cut]!)).toBeGreaterThan(1e-6);
    }
  });

  it.each(FAMILIES)('%s: a prefix run gives the same logits as the full run', (_name, c) => {
    const w = makeWeights(c, 11);
    const full = referenceLogits(c, w, IDS);
    const prefix = referenceLogits(c, w, IDS.slice(0, 5));
    for (let t = 0; t < 5; t++) expect(maxAbsDiff(full[t]!, prefix[t]!)).toBe(0);
  });
});

describe('reference decoder: (b) RoPE depends only on relative positions', () => {
  it.each(FAMILIES)('%s: shifting all positions by a constant leaves logits unchanged', (_name, c) => {
    const w = makeWeights(c, 20);
    const base = referenceLogits(c, w, IDS);
    for (const shift of [1, 37, 1000]) {
      const shifted = referenceLogits(
        c,
        w,
        IDS,
        IDS.map((_, i) => i + shift),
      );
      for (let t = 0; t < IDS.length; t++) expect(maxAbsDiff(base[t]!, shifted[t]!)).toBeLessThan(1e-9);
    }
  });

  it.each(FAMILIES)('%s: changing relative offsets does change logits (RoPE is active)', (_name, c) => {
    const w = makeWeights(c, 21);
    const base = referenceLogits(c, w, IDS);
    const stretched = referenceLogits(
      c,
      w,
      IDS,
      IDS.map((_, i) => 3 * i),
    );
    expect(maxAbsDiff(base[0]!, stretched[0]!)).toBeLessThan(1e-12); // a single key: position irrelevant
    expect(maxAbsDiff(base[IDS.length - 1]!, stretched[IDS.length - 1]!)).toBeGreaterThan(1e-6);
  });
});

describe('reference decoder: (c) hand-checkable cases', () => {
  const ATTN = ['q_proj.weight', 'k_proj.weight', 'v_proj.weight', 'o_proj.weight'];
  const MLP = ['gate_proj.weight', 'up_proj.weight', 'down_proj.weight'];

  /** lm_head (or embed) · (RMSNorm(h) * model.norm.weight). */
  function head(c: RefConfig, w: Map<string, Float32Array>, h: number[]): number[] {
    const n = rms(h, w.get('model.norm.weight')!, c.rmsNormEps);
    const lm = c.tieWordEmbeddings ? w.get('model.embed_tokens.weight')! : w.get('lm_head.weight')!;
    return matVec(lm, n, c.vocabSize);
  }

  it.each(FAMILIES)('%s: zero attention and MLP weights give embed-only logits', (_name, c0) => {
    const c = { ...c0, numLayers: 1 };
    const w = makeWeights(c, 30);
    zeroAll(w, [...ATTN, ...MLP]); // biases (qwen2) stay random: v = bias, but o_proj = 0 kills it
    const logits = referenceLogits(c, w, IDS);
    const E = w.get('model.embed_tokens.weight')!;
    IDS.forEach((id, t) => {
      const expected = head(c, w, row(E, id, c.hiddenSize));
      expect(maxAbsDiff(logits[t]!, expected)).toBeLessThan(1e-10);
    });
  });

  it.each(FAMILIES)('%s: one token, zero MLP: h = x + o_proj(v_proj(norm(x)) [+ b_v]) per head', (_name, c0) => {
    const c = { ...c0, numLayers: 1 };
    const w = makeWeights(c, 31);
    zeroAll(w, MLP);
    const H = c.hiddenSize;
    const D = c.headDim;
    const p = 'model.layers.0.';
    for (const id of [2, 11]) {
      const x = row(w.get('model.embed_tokens.weight')!, id, H);
      const n = rms(x, w.get(`${p}input_layernorm.weight`)!, c.rmsNormEps);
      const v = matVec(w.get(`${p}self_attn.v_proj.weight`)!, n, c.numKvHeads * D);
      const bv = w.get(`${p}self_attn.v_proj.bias`);
      if (bv) v.forEach((_, i) => (v[i]! += bv[i]!));
      // Softmax over a single key is 1, so each query head outputs its kv head's v.
      const perGroup = c.numHeads / c.numKvHeads;
      const concat: number[] = [];
      for (let h = 0; h < c.numHeads; h++)
        concat.push(...v.slice(Math.floor(h / perGroup) * D, Math.floor(h / perGroup) * D + D));
      const o = matVec(w.get(`${p}self_attn.o_proj.weight`)!, concat, H);
      const expected = head(
        c,
        w,
        x.map((xi, i) => xi + o[i]!),
      );
      expect(maxAbsDiff(referenceLogits(c, w, [id])[0]!, expected)).toBeLessThan(1e-10);
      // Position does not matter for a lone token.
      expect(maxAbsDiff(referenceLogits(c, w, [id], [123])[0]!, expected)).toBeLessThan(1e-10);
    }
  });

  it.each(FAMILIES)('%s: zero attention: h = x + down(silu(gate(n)) * up(n)), n = post-attn norm', (_name, c0) => {
    const c = { ...c0, numLayers: 1 };
    const w = makeWeights(c, 32);
    zeroAll(w, ATTN);
    const H = c.hiddenSize;
    const I = c.intermediateSize;
    const p = 'model.layers.0.';
    const logits = referenceLogits(c, w, IDS);
    IDS.forEach((id, t) => {
      const x = row(w.get('model.embed_tokens.weight')!, id, H);
      const n = rms(x, w.get(`${p}post_attention_layernorm.weight`)!, c.rmsNormEps);
      const g = matVec(w.get(`${p}mlp.gate_proj.weight`)!, n, I);
      const u = matVec(w.get(`${p}mlp.up_proj.weight`)!, n, I);
      const a = g.map((gi, i) => (gi / (1 + Math.exp(-gi))) * u[i]!);
      const d = matVec(w.get(`${p}mlp.down_proj.weight`)!, a, H);
      const expected = head(
        c,
        w,
        x.map((xi, i) => xi + d[i]!),
      );
      expect(maxAbsDiff(logits[t]!, expected)).toBeLessThan(1e-10);
    });
  });

  /**
   * Two tokens, one head, zero MLP: the second position attends over both keys. RoPE written here as
   * explicit 2x2 rotations. `layout` 'half' pairs (j, j + d/2) with angle pos * theta^(-2j/d)
   * (HF rotate_half); 'interleaved' pairs (2j, 2j + 1) (GPT-J style), which HF does NOT use.
   */
  function twoTokenExpected(
    c: RefConfig,
    w: Map<string, Float32Array>,
    ids: [number, number],
    pos: [number, number],
    layout: 'half' | 'interleaved',
  ): number[] {
    const H = c.hiddenSize;
    const D = c.headDim;
    const p = 'model.layers.0.';
    const rot = (v: number[], at: number): number[] => {
      const out = v.slice();
      for (let j = 0; j < D / 2; j++) {
        const ang = at * c.ropeTheta ** ((-2 * j) / D);
        const [a, b] = layout === 'half' ? [j, j + D / 2] : [2 * j, 2 * j + 1];
        out[a] = v[a]! * Math.cos(ang) - v[b]! * Math.sin(ang);
        out[b] = v[b]! * Math.cos(ang) + v[a]! * Math.sin(ang);
      }
      return out;
    };
    const xs = ids.map((id) => row(w.get('model.embed_tokens.weight')!, id, H));
    const ns = xs.map((x) => rms(x, w.get(`${p}input_layernorm.weight`)!, c.rmsNormEps));
    const qn = (v: number[]) => (c.qkNorm ? rms(v, w.get(`${p}self_attn.q_norm.weight`)!, c.rmsNormEps) : v);
    const kn = (v: number[]) => (c.qkNorm ? rms(v, w.get(`${p}self_attn.k_norm.weight`)!, c.rmsNormEps) : v);
    const q1 = rot(qn(matVec(w.get(`${p}self_attn.q_proj.weight`)!, ns[1]!, D)), pos[1]);
    const k = ns.map((n, i) => rot(kn(matVec(w.get(`${p}self_attn.k_proj.weight`)!, n, D)), pos[i]!));
    const v = ns.map((n) => matVec(w.get(`${p}self_attn.v_proj.weight`)!, n, D));
    const s = k.map((ki) => ki.reduce((acc, kv, d) => acc + kv * q1[d]!, 0) / Math.sqrt(D));
    const m = Math.max(s[0]!, s[1]!);
    const e = s.map((si) => Math.exp(si - m));
    const pr = e.map((ei) => ei / (e[0]! + e[1]!));
    const att = Array.from({ length: D }, (_, d) => pr[0]! * v[0]![d]! + pr[1]! * v[1]![d]!);
    const o = matVec(w.get(`${p}self_attn.o_proj.weight`)!, att, H);
    return head(
      c,
      w,
      xs[1]!.map((xi, i) => xi + o[i]!),
    );
  }

  const ONE_HEAD: [string, boolean][] = [
    ['without qk-norm', false],
    ['with qk-norm', true],
  ];
  it.each(ONE_HEAD)('two tokens, one head %s: matches a direct attention with rotate_half RoPE', (_name, qkNorm) => {
    const c: RefConfig = {
      vocabSize: 10,
      hiddenSize: 8,
      numLayers: 1,
      numHeads: 1,
      numKvHeads: 1,
      headDim: 8,
      intermediateSize: 8,
      rmsNormEps: 1e-6,
      ropeTheta: 10,
      tieWordEmbeddings: false,
      attentionBias: false,
      qkNorm,
    };
    const w = makeWeights(c, 40);
    zeroAll(w, MLP);
    for (const pos of [
      [0, 1],
      [3, 7],
    ] as [number, number][]) {
      const got = referenceLogits(c, w, [4, 6], pos)[1]!;
      const half = twoTokenExpected(c, w, [4, 6], pos, 'half');
      const inter = twoTokenExpected(c, w, [4, 6], pos, 'interleaved');
      expect(maxAbsDiff(got, half)).toBeLessThan(1e-10);
      expect(maxAbsDiff(got, inter)).toBeGreaterThan(1e-6); // the convention is actually exercised
    }
  });
});

describe('reference decoder: (d) grouped KV heads follow repeat_kv', () => {
  /** Expands kv-head blocks of a [nKv*D, ...] tensor so that new head h = old head map(h). */
  function expandHeads(a: Float32Array, nNew: number, blockLen: number, map: (h: number) => number): Float32Array {
    const out = new Float32Array(nNew * blockLen);
    for (let h = 0; h < nNew; h++) out.set(a.subarray(map(h) * blockLen, (map(h) + 1) * blockLen), h * blockLen);
    return out;
  }

  const GQA: [string, number][] = [
    ['4 heads / 2 kv heads', 2],
    ['4 heads / 1 kv head', 1],
  ];
  it.each(GQA)('%s equals full MHA with each kv head duplicated (repeat_interleave order)', (_name, nKv) => {
    const small: RefConfig = {
      vocabSize: 16,
      hiddenSize: 16,
      numLayers: 2,
      numHeads: 4,
      numKvHeads: nKv,
      headDim: 4,
      intermediateSize: 20,
      rmsNormEps: 1e-6,
      ropeTheta: 10_000,
      tieWordEmbeddings: false,
      attentionBias: true,
      qkNorm: true,
    };
    const full: RefConfig = { ...small, numKvHeads: small.numHeads };
    const groups = small.numHeads / nKv;
    const w = makeWeights(small, 50);
    const build = (map: (h: number) => number): Map<string, Float32Array> => {
      const wf = new Map(w);
      for (let l = 0; l < small.numLayers; l++) {
        for (const proj of ['k_proj', 'v_proj']) {
          const base = `model.layers.${l}.self_attn.${proj}`;
          wf.set(
            `${base}.weight`,
            expandHeads(w.get(`${base}.weight`)!, full.numHeads, small.headDim * small.hiddenSize, map),
          );
          wf.set(`${base}.bias`, expandHeads(w.get(`${base}.bias`)!, full.numHeads, small.headDim, map));
        }
      }
      return wf;
    };
    const a = referenceLogits(
      small,
      w,
      IDS.map((i) => i % 16),
    );
    const b = referenceLogits(
      full,
      build((h) => Math.floor(h / groups)),
      IDS.map((i) => i % 16),
    );
    for (let t = 0; t < IDS.length; t++) expect(maxAbsDiff(a[t]!, b[t]!)).toBeLessThan(1e-12);
    if (nKv > 1) {
      // The other plausible mapping (head h -> kv head h % nKv, i.e. tiling) must differ.
      const wrong = referenceLogits(
        full,
        build((h) => h % nKv),
        IDS.map((i) => i % 16),
      );
      expect(maxAbsDiff(a[IDS.length - 1]!, wrong[IDS.length - 1]!)).toBeGreaterThan(1e-6);
    }
  });
});

describe('reference decoder: log-probabilities', () => {
  it.each(FAMILIES)('%s: log p(ids[t+1] | ids[..t]) from a log-softmax of the logits', (_name, c) => {
    const w = makeWeights(c, 60);
    const logits = referenceLogits(c, w, IDS);
    const lp = referenceLogProbs(c, w, IDS);
    expect(lp).toHaveLength(IDS.length - 1);
    lp.forEach((v, t) => {
      const r = logits[t]!;
      const z = Array.from(r).reduce((s, x) => s + Math.exp(x), 0); // small logits: direct form is safe
      expect(Math.abs(v - (r[IDS[t + 1]!]! - Math.log(z)))).toBeLessThan(1e-12);
      expect(v).toBeLessThan(0);
    });
  });

  it('returns [] for sequences shorter than two tokens', () => {
    const w = makeWeights(QWEN3, 61);
    expect(referenceLogProbs(QWEN3, w, [5])).toEqual([]);
    expect(referenceLogProbs(QWEN3, w, [])).toEqual([]);
  });

  it('is stable for huge logits (probabilities still sum to 1)', () => {
    const c = QWEN2;
    const w = makeWeights(c, 62);
    w.set(
      'lm_head.weight',
      w.get('lm_head.weight')!.map((v) => v * 1e4),
    );
    const lp = referenceLogProbs(c, w, IDS);
    for (const v of lp) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeLessThanOrEqual(0);
    }
    // Sum over the whole vocabulary at each position: use every token as the "next" token.
    const prefix = IDS.slice(0, 4);
    let total = 0;
    for (let v = 0; v < c.vocabSize; v++) total += Math.exp(referenceLogProbs(c, w, [...prefix, v])[3]!);
    expect(Math.abs(total - 1)).toBeLessThan(1e-12);
  });
});
