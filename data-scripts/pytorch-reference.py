#!/usr/bin/env python3
"""The speed baseline of `npm run bench`: the same Qwen3-style decoder in eager PyTorch on the CPU.

Usage: OMP_NUM_THREADS=2 /usr/bin/python3 data-scripts/pytorch-reference.py --threads 2
       [--preset tiny|small ...] [--only train|generate] [--repeats 5]

The fastest setting found on 2 cores: Debian's libopenblas0-openmp (OpenBLAS and PyTorch share one
OpenMP pool) with PyTorch on 2 threads; measured 2026-12-06, tiny / small training 9,215-9,345 /
638-679 tokens/s, against 5,071 / 377 with --threads 1, and 8,635-9,839 / 594-660 in four runs on
2026-12-07 (README.md, "Measured speed").

With libopenblas0-pthread instead (the earlier baseline), give the threads to OpenBLAS
(OPENBLAS_NUM_THREADS=2) and run PyTorch's own ops on one (--threads 1): with both at 2 they
oversubscribe the cores and run several times slower. That setting reproduces the
reference table in ../shared/notes/onnxruntime-node.md for the small preset (train 775 tokens/s
against 780-820, generation 442 against 455-475, measured 2026-11-27) and tiny generation (3,664
against 3,700-4,700); tiny training came out slower (7,100-7,900 against 10,000-12,000).

Prints one JSON object per line, with the bench's workloads and field names, so the two can be run
back to back on the same machine and compared as ratios:
- train_tokens_per_s: forward + backward of 8 x 256 random tokens (loss -sum coef * log p(next token));
- generate_tokens_per_s: 32 sequences, 64 prompt tokens, 128 sampled tokens at temperature 1 with a KV
  cache and no early stop, keeping the log-prob of each sampled token as the project's generator does.

Written the way Hugging Face's eager Qwen3 code is (nn.Linear projections, q/k RMSNorm, rotate_half
RoPE, repeated KV heads, SwiGLU, tied embeddings), fp32, random weights. Needs PyTorch and an
optimised BLAS (Debian: `apt-get install python3-torch libopenblas0-openmp`, then run it with
/usr/bin/python3; with Debian's generic libblas alone a GEMM runs at about 5 GFLOP/s). It is not used
by the project or its tests.
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {
    "tiny": dict(vocab=1024, d=128, layers=4, heads=4, kv=2, hd=32, ffn=384, theta=10000.0),
    "small": dict(vocab=8192, d=512, layers=8, heads=8, kv=4, hd=64, ffn=1536, theta=10000.0),
}


class RMSNorm(nn.Module):
    def __init__(self, n, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, self.h, self.kv, self.hd, f = c["d"], c["heads"], c["kv"], c["hd"], c["ffn"]
        self.q_proj = nn.Linear(d, self.h * self.hd, bias=False)
        self.k_proj = nn.Linear(d, self.kv * self.hd, bias=False)
        self.v_proj = nn.Linear(d, self.kv * self.hd, bias=False)
        self.o_proj = nn.Linear(self.h * self.hd, d, bias=False)
        self.q_norm, self.k_norm = RMSNorm(self.hd), RMSNorm(self.hd)
        self.input_layernorm, self.post_attention_layernorm = RMSNorm(d), RMSNorm(d)
        self.gate_proj = nn.Linear(d, f, bias=False)
        self.up_proj = nn.Linear(d, f, bias=False)
        self.down_proj = nn.Linear(f, d, bias=False)

    def forward(self, x, cos, sin, bias, cache):
        B, T, _ = x.shape
        y = self.input_layernorm(x)
        q = self.q_norm(self.q_proj(y).view(B, T, self.h, self.hd)).transpose(1, 2)
        k = self.k_norm(self.k_proj(y).view(B, T, self.kv, self.hd)).transpose(1, 2)
        v = self.v_proj(y).view(B, T, self.kv, self.hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        if cache is not None:
            if "k" in cache:
                k, v = torch.cat([cache["k"], k], dim=2), torch.cat([cache["v"], v], dim=2)
            cache["k"], cache["v"] = k, v
        rep = self.h // self.kv
        k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.hd) + bias
        out = (scores.softmax(-1) @ v).transpose(1, 2).reshape(B, T, -1)
        x = x + self.o_proj(out)
        y = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(y)) * self.up_proj(y))


class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c["vocab"], c["d"])
        self.layers = nn.ModuleList(Layer(c) for _ in range(c["layers"]))
        self.norm = RMSNorm(c["d"])
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)
        inv = 1.0 / (c["theta"] ** (torch.arange(0, c["hd"], 2).float() / c["hd"]))
        self.register_buffer("inv_freq", inv, persistent=False)

    def forward(self, ids, start=0, caches=None):
        B, T = ids.shape
        pos = torch.arange(start, start + T).float()
        freqs = torch.outer(pos, self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        S = start + T
        bias = torch.full((T, S), float("-inf")).triu(start + 1)[None, None]
        x = self.embed_tokens(ids)
        for i, layer in enumerate(self.layers):
            x = layer(x, cos, sin, bias, None if caches is None else caches[i])
        return F.linear(self.norm(x), self.embed_tokens.weight)  # tied lm_head


def median_ms(f, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def bench_train(preset, repeats):
    model = Model(PRESETS[preset])
    B, T = 8, 256
    ids = torch.randint(0, PRESETS[preset]["vocab"], (B, T))
    coef = torch.full((B, T - 1), 1.0 / (B * (T - 1)))

    def step():
        model.zero_grad(set_to_none=True)
        logp = model(ids)[:, :-1].log_softmax(-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
        (-(coef * logp).sum()).backward()

    step()
    ms = median_ms(step, repeats)
    return {"preset": preset, "impl": "pytorch", "batch": f"{B}x{T}", "train_tokens_per_s": round(B * T / ms * 1000), "train_step_ms": round(ms)}


def bench_generate(preset, repeats):
    model = Model(PRESETS[preset]).eval()
    n, prompt_len, new = 32, 64, 128
    prompts = torch.randint(1, PRESETS[preset]["vocab"], (n, prompt_len))

    @torch.no_grad()
    def run(new_tokens):
        caches = [{} for _ in model.layers]
        logits = model(prompts, 0, caches)[:, -1]
        for t in range(new_tokens):
            token = torch.multinomial(logits.softmax(-1), 1)
            logits.log_softmax(-1).gather(-1, token)  # the sampled token's log-prob, as the project returns it
            if t + 1 < new_tokens:
                logits = model(token, prompt_len + t, caches)[:, -1]

    run(2)
    ms = median_ms(lambda: run(new), repeats)
    return {"preset": preset, "impl": "pytorch", "sequences": n, "prompt_tokens": prompt_len, "new_tokens": new, "generate_tokens_per_s": round(n * new / ms * 1000), "generate_ms": round(ms)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", action="append", choices=sorted(PRESETS))
    ap.add_argument("--only", choices=["train", "generate"])
    ap.add_argument("--threads", type=int, default=1, help="PyTorch intra-op threads (OpenBLAS has its own: OPENBLAS_NUM_THREADS)")
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    for preset in a.preset or ["tiny", "small"]:
        if a.only in (None, "train"):
            print(json.dumps({**bench_train(preset, a.repeats), "threads": a.threads, "torch": torch.__version__}), flush=True)
        if a.only in (None, "generate"):
            print(json.dumps({**bench_generate(preset, a.repeats), "threads": a.threads, "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
