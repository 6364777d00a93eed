"""LoRA training throughput of a Llama-style model in plain PyTorch eager: the yardstick for `fedtune agent bench`.

Same model and step as the Java bench (io.fedtune.trainer.bench.ThroughputBench): random-weight Llama (RMSNorm,
RoPE, SwiGLU, causal attention, untied head), LoRA r / alpha (default 2r = 32 for r 16) on q,k,v,o,gate,up,down
with frozen base weights, causal-LM cross-entropy on random token ids, global-norm clipping at 1.0, AdamW on
the LoRA weights. Prints the measured fp32 matmul peak, model FLOP utilisation, and, last,
`tokens/s: N`.

    /usr/bin/python3 tools/reference/bench_eager.py --hidden 512 --layers 8 --heads 8 --intermediate 1408 \
        --vocab 8192 --seq 256 --batch 4 --lora-r 16 --threads 2
"""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class LoraLinear(nn.Module):
    def __init__(self, in_features, out_features, r, alpha):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / math.sqrt(in_features), requires_grad=False)
        self.lora_a = nn.Parameter(torch.empty(r, in_features))
        nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))
        self.lora_b = nn.Parameter(torch.zeros(out_features, r))
        self.scale = alpha / r

    def forward(self, x):
        return F.linear(x, self.weight) + F.linear(F.linear(x, self.lora_a), self.lora_b) * self.scale


class RMSNorm(nn.Module):
    def __init__(self, size, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size), requires_grad=False)
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class Layer(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = a.heads, a.kv_heads, a.hidden // a.heads
        lin = lambda i, o: LoraLinear(i, o, a.lora_r, a.lora_alpha)  # noqa: E731
        self.q, self.k = lin(a.hidden, a.hidden), lin(a.hidden, a.kv_heads * self.head_dim)
        self.v, self.o = lin(a.hidden, a.kv_heads * self.head_dim), lin(a.hidden, a.hidden)
        self.gate, self.up, self.down = lin(a.hidden, a.intermediate), lin(a.hidden, a.intermediate), lin(a.intermediate, a.hidden)
        self.norm1, self.norm2 = RMSNorm(a.hidden), RMSNorm(a.hidden)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        h = self.norm1(x)
        q = self.q(h).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.k(h).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v(h).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        if self.kv_heads != self.heads:
            k = k.repeat_interleave(self.heads // self.kv_heads, dim=1)
            v = v.repeat_interleave(self.heads // self.kv_heads, dim=1)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(self.head_dim) + mask
        attn = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, -1)
        x = x + self.o(attn)
        h = self.norm2(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Model(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.embed = nn.Parameter(torch.randn(a.vocab, a.hidden), requires_grad=False)
        self.layers = nn.ModuleList(Layer(a) for _ in range(a.layers))
        self.norm = RMSNorm(a.hidden)
        self.head = nn.Parameter(torch.randn(a.vocab, a.hidden) / math.sqrt(a.hidden), requires_grad=False)
        head_dim = a.hidden // a.heads
        inv = 1.0 / (10000.0 ** (torch.arange(0, head_dim, 2).float() / head_dim))
        ang = torch.arange(a.seq).float()[:, None] * inv[None, :]
        ang = torch.cat([ang, ang], -1)
        self.register_buffer("cos", ang.cos())
        self.register_buffer("sin", ang.sin())
        self.register_buffer("mask", torch.full((a.seq, a.seq), float("-inf")).triu(1))

    def forward(self, ids):
        x = F.embedding(ids, self.embed)
        for layer in self.layers:
            x = layer(x, self.cos, self.sin, self.mask)
        return F.linear(self.norm(x), self.head)


def matmul_peak(sizes=(512, 1024), repeats=5):
    """Best FP32 n x n matmul rate in FLOP/s over a few sizes and tries (as ThroughputBench measures it)."""
    best = 0.0
    for n in sizes:
        a, b = torch.randn(n, n), torch.randn(n, n)
        a @ b
        for _ in range(repeats):
            start = time.perf_counter()
            a @ b
            best = max(best, 2 * n**3 / (time.perf_counter() - start))
    return best


def flops_per_step(a):
    """The FLOP count ThroughputBench.flopsPerStep uses, so that both utilisations divide the same work:
    frozen matmuls forward and backward to their inputs (4 P N), LoRA forward and backward (6 P_L N), attention
    scores and context over the full T x T (12 B h T^2 d per layer), vocabulary projection at scored positions."""
    hd = a.hidden // a.heads
    h, q, kv, i = a.hidden, a.heads * hd, a.kv_heads * hd, a.intermediate
    base = (h * (q + 2 * kv) + q * h + 3 * h * i) * a.layers
    n = a.batch * a.seq
    lora = ((h + q) + (h + kv) * 2 + (q + h) + (h + i) * 2 + (i + h)) * a.lora_r * a.layers
    attention = 12.0 * a.batch * a.heads * a.seq * a.seq * hd * a.layers
    scored = a.batch * (a.seq - 1)
    return 4 * base * n + 6 * lora * n + attention + 4 * a.vocab * h * scored


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, default in [("hidden", 512), ("layers", 8), ("heads", 8), ("kv-heads", 0), ("intermediate", 1408),
                          ("vocab", 8192), ("seq", 256), ("batch", 4), ("lora-r", 16), ("threads", 2), ("steps", 10),
                          ("warmup", 2)]:
        p.add_argument("--" + name, type=int, default=default)
    p.add_argument("--lora-alpha", type=float, default=32.0)
    a = p.parse_args()
    a.kv_heads = a.kv_heads or a.heads
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = Model(a)
    trainable = [q for q in model.parameters() if q.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4)
    ids = torch.randint(0, a.vocab, (a.batch, a.seq + 1))

    def step():
        logits = model(ids[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, a.vocab), ids[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)  # the Java trainer clips at global norm 1.0 by default
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss.item()

    for _ in range(a.warmup):
        step()
    start = time.perf_counter()
    cpu_start = time.process_time()
    for _ in range(a.steps):
        loss = step()
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    tokens = a.batch * a.seq * a.steps
    tokens_per_second = tokens / elapsed

    achieved = flops_per_step(a) * a.steps / elapsed
    peak = matmul_peak()
    print("torch %s, %d threads, %d trainable LoRA parameters, final loss %.4f" % (
        torch.__version__, torch.get_num_threads(), sum(q.numel() for q in trainable), loss))
    print("step time: %.3f s (%.3f CPU-s)  model GFLOP/s: %.1f  matmul peak GFLOP/s: %.1f  MFU: %.1f%%" % (
        elapsed / a.steps, cpu / a.steps, achieved / 1e9, peak / 1e9, 100 * achieved / peak))
    print("tokens per CPU-second: %.1f" % (tokens / cpu))
    print("tokens/s: %.1f" % tokens_per_second)


if __name__ == "__main__":
    main()
