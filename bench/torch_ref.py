#!/usr/bin/env python3
"""Plain-PyTorch twin of bench/engine.ts: the same Qwen2 shapes and the same work, timed the same way.

Eager float32 on the CPU, no Hugging Face transformers: RMSNorm, RoPE (rotate-half), GQA attention with a
KV cache, SwiGLU MLP and a tied head, written out below. GQA groups the query heads of each KV head into
one matmul instead of copying K/V per head (HF's repeat_kv): the strongest plain-PyTorch baseline.
bench/run.ts runs one section per process and reads the JSON line printed on stdout:

  python3 bench/torch_ref.py --section prefill --config '{...config.json fields...}' --B 4 --T 256

Shapes: B=batch, T=tokens, S=key positions, C=hidden, H=heads, G=KV heads, D=head dim, F=MLP hidden, V=vocab.
"""
import argparse
import contextlib
import json
import resource
import time

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint


def rmsnorm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope(pos, D, theta):
    """cos, sin (B, 1, T, D) for positions pos (B, T), computed in float32 as HF does."""
    inv = 1.0 / theta ** (torch.arange(0, D, 2, dtype=torch.float32) / D)
    ang = pos[..., None].float() * inv
    emb = torch.cat([ang, ang], -1)
    return emb.cos()[:, None], emb.sin()[:, None]


def rotate(x, cos, sin):
    x1, x2 = x.chunk(2, -1)
    return x * cos + torch.cat([-x2, x1], -1) * sin


def param(*shape, std=0.02):
    a = std * 3 ** 0.5  # uniform(-a, a) has std 0.02, as bench/qwen.ts
    return torch.nn.Parameter(torch.empty(*shape).uniform_(-a, a))


class Layer(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        C, H, G, D, Fh = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"], c["intermediate_size"]
        self.H, self.G, self.D, self.eps = H, G, D, c["rms_norm_eps"]
        self.in_norm, self.post_norm = torch.nn.Parameter(torch.ones(C)), torch.nn.Parameter(torch.ones(C))
        self.q, self.k, self.v, self.o = param(H * D, C), param(G * D, C), param(G * D, C), param(C, H * D)
        self.qb, self.kb, self.vb = (torch.nn.Parameter(torch.zeros(n)) for n in (H * D, G * D, G * D))
        self.gate, self.up, self.down = param(Fh, C), param(Fh, C), param(C, Fh)

    def forward(self, x, cos, sin, mask, kv=None, start=0):
        B, T, _ = x.shape
        H, G, D = self.H, self.G, self.D
        rep = H // G
        h = rmsnorm(x, self.in_norm, self.eps)
        q = rotate(F.linear(h, self.q, self.qb).view(B, T, H, D).transpose(1, 2), cos, sin)  # (B, H, T, D)
        k = rotate(F.linear(h, self.k, self.kb).view(B, T, G, D).transpose(1, 2), cos, sin)  # (B, G, T, D)
        v = F.linear(h, self.v, self.vb).view(B, T, G, D).transpose(1, 2)
        if kv is not None:  # (B, G, S, D) caches: write this step's keys, attend to everything so far
            kv[0][:, :, start:start + T] = k
            kv[1][:, :, start:start + T] = v
            k, v = kv[0][:, :, :start + T], kv[1][:, :, :start + T]
        s = torch.matmul(q.reshape(B, G, rep * T, D), k.transpose(-1, -2)) * D ** -0.5  # (B, G, rep*T, S)
        if mask is not None:
            s = s + mask
        o = torch.matmul(torch.softmax(s, -1), v).reshape(B, H, T, D).transpose(1, 2).reshape(B, T, H * D)
        x = x + F.linear(o, self.o)
        h = rmsnorm(x, self.post_norm, self.eps)
        return x + F.linear(F.silu(F.linear(h, self.gate)) * F.linear(h, self.up), self.down)


class Qwen2(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed = param(c["vocab_size"], c["hidden_size"])  # tied: also the head
        self.layers = torch.nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))
        self.norm = torch.nn.Parameter(torch.ones(c["hidden_size"]))

    def forward(self, ids, pos, mask, caches=None, start=0, ckpt=False):
        """Final hidden states (B, T, C); the caller applies the head to the rows it needs."""
        x = F.embedding(ids, self.embed)
        cos, sin = rope(pos, self.c["head_dim"], self.c["rope_theta"])
        for i, layer in enumerate(self.layers):
            if ckpt:
                x = checkpoint(layer, x, cos, sin, mask, use_reentrant=False)
            else:
                x = layer(x, cos, sin, mask, caches[i] if caches else None, start)
        return rmsnorm(x, self.norm, self.c["rms_norm_eps"])

    def head(self, h):
        return F.linear(h, self.embed)


class Timer:
    """Wall and CPU seconds (all threads of the process) of a with-block."""

    def __enter__(self):
        self.w, self.c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.seconds, self.cpu_seconds = time.perf_counter() - self.w, time.process_time() - self.c

    def result(self):
        return {"seconds": self.seconds, "cpu_seconds": self.cpu_seconds}


def causal_mask(T, rep):
    """(rep*T, T): the query rows of one KV head's group, each seeing keys up to its own position."""
    m = torch.full((T, T), float("-inf")).triu(1)
    return m.repeat(rep, 1)


def bench_ids(n, V, salt):
    """Same ids as bench/engine.ts benchIds."""
    return torch.tensor([(i * 7919 + salt * 104729) % V for i in range(n)], dtype=torch.long)


def new_caches(c, B, S, dtype=torch.float32):
    G, D = c["num_key_value_heads"], c["head_dim"]
    return [(torch.zeros(B, G, S, D, dtype=dtype), torch.zeros(B, G, S, D, dtype=dtype)) for _ in range(c["num_hidden_layers"])]


def compute(a):
    """The precision of the timed work: fp32, or bf16 autocast (matrix products in bf16, as verl and vLLM run)."""
    return torch.autocast("cpu", dtype=torch.bfloat16) if a.precision == "bf16" else contextlib.nullcontext()


def cache_dtype(a):
    return torch.bfloat16 if a.precision == "bf16" else torch.float32  # ttrl's bf16 KV cache likewise


def run_prefill(model, c, a):
    B, T, rep = a.B, a.T, c["num_attention_heads"] // c["num_key_value_heads"]
    with torch.no_grad(), compute(a):
        warm = bench_ids(B * 8, c["vocab_size"], 9).view(B, 8)
        h = model(warm, torch.arange(8).expand(B, 8), causal_mask(8, rep), new_caches(c, B, 16, cache_dtype(a)), 0)
        model.head(h[:, -1])
        ids, best = bench_ids(B * T, c["vocab_size"], 1).view(B, T), None
        for _ in range(a.reps):  # best of reps, each on fresh caches (as bench/engine.ts)
            caches = new_caches(c, B, T, cache_dtype(a))
            with Timer() as t:
                h = model(ids, torch.arange(T).expand(B, T), causal_mask(T, rep), caches, 0)
                model.head(h[:, -1])
            if best is None or t.seconds < best.seconds:
                best = t
        return best.result()


def run_decode(model, c, a):
    B, ctx, steps = a.B, a.ctx, a.steps
    caches = new_caches(c, B, ctx + steps + 1, cache_dtype(a))
    with torch.no_grad(), compute(a):
        for k, v in caches:
            k.uniform_(-1, 1)
            v.uniform_(-1, 1)
        step = lambda i, p: model.head(model(bench_ids(B, c["vocab_size"], i).view(B, 1), torch.full((B, 1), p), None, caches, p)[:, -1])
        step(2, ctx)  # warm-up, not timed (as bench/engine.ts)
        times = []
        for i in range(steps):
            with Timer() as t:
                step(3 + i, ctx + 1 + i)
            times.append(t)
        # steps x the median step, as bench/engine.ts
        med = lambda xs: sorted(xs)[len(xs) // 2] if len(xs) % 2 else sum(sorted(xs)[len(xs) // 2 - 1:len(xs) // 2 + 1]) / 2
        return {"seconds": steps * med([t.seconds for t in times]), "cpu_seconds": steps * med([t.cpu_seconds for t in times]),
                "total_seconds": sum(t.seconds for t in times)}


def run_train(model, c, a):
    B, T, C, rep = a.B, a.T, c["hidden_size"], c["num_attention_heads"] // c["num_key_value_heads"]
    ids = bench_ids(B * T, c["vocab_size"], 4).view(B, T)
    for p in model.parameters():
        p.grad = torch.zeros_like(p)

    def step():
        with compute(a):
            h = model(ids, torch.arange(T).expand(B, T), causal_mask(T, rep), ckpt=a.checkpoint)
            logits = model.head(h[:, :-1].reshape(-1, C))
            loss = F.cross_entropy(logits, ids[:, 1:].reshape(-1))
        loss.backward()
        return loss

    # as ttrl's side: the first step (allocator warm-up) reported, a later one timed
    with Timer() as first:
        step()
    with Timer() as t:
        loss = step()
    return {**t.result(), "loss": loss.item(), "firstStepSeconds": first.result()["seconds"]}


def run_gemm(a):
    out = {}
    for spec in a.shapes.split(","):
        M, N, K = (int(x) for x in spec.split("x"))
        dtype = torch.bfloat16 if a.precision == "bf16" else torch.float32
        A, W, C = torch.randn(M, K, dtype=dtype), torch.randn(N, K, dtype=dtype), torch.empty(M, N, dtype=dtype)
        torch.mm(A, W.t(), out=C)
        best, total, r = float("inf"), 0.0, 0
        while r < 50 and (r < 3 or total < 1.0):
            t0 = time.perf_counter()
            torch.mm(A, W.t(), out=C)
            dt = time.perf_counter() - t0
            best, total, r = min(best, dt), total + dt, r + 1
        out[spec] = {"seconds": best}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--section", required=True, choices=["gemm", "prefill", "decode", "train"])
    ap.add_argument("--config", default="{}", help="config.json fields as JSON (Qwen2 shapes)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--B", type=int, default=4)
    ap.add_argument("--T", type=int, default=256)
    ap.add_argument("--ctx", type=int, default=256)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--checkpoint", type=int, default=0)
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16"], help="bf16: autocast, bf16 KV cache")
    ap.add_argument("--reps", type=int, default=2, help="prefill: best of this many runs")
    ap.add_argument("--shapes", default="2048x2048x2048", help="gemm MxNxK list, comma-separated")
    a = ap.parse_args()
    a.checkpoint = bool(a.checkpoint)
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.section == "gemm":
        res = {"shapes": run_gemm(a)}
    else:
        c = json.loads(a.config)
        c.setdefault("head_dim", c["hidden_size"] // c["num_attention_heads"])
        t0 = time.perf_counter()
        model = Qwen2(c)
        init_s = time.perf_counter() - t0
        if a.section != "train":
            model.requires_grad_(False)
        res = {"prefill": run_prefill, "decode": run_decode, "train": run_train}[a.section](model, c, a)
        res["init_seconds"] = init_s
    res["torch"] = torch.__version__
    res["precision"] = a.precision
    res["threads"] = torch.get_num_threads()
    res["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
