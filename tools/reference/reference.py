"""Independent plain-PyTorch forward pass for the checkpoints fedtune loads: the judge of numerical fidelity.

Supports LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM (grouped-query attention, RoPE with
rope_theta, RMSNorm, SwiGLU, q/k/v bias, tied embeddings, head_dim) and GPT2LMHeadModel (Conv1D weights
stored [in, out], keys with or without the `transformer.` prefix, tanh-GELU). Weights are read by
safetensors_io (BF16/F16 widened to float32 exactly as the Java loader does) and the forward runs in
float64 unless asked otherwise, so the golden logits carry no float32 rounding of their own.

    /usr/bin/python3 tools/reference/reference.py MODEL_DIR [--adapter DIR] --ids 1,2,3 --out logits.npy

With --adapter, a PEFT adapter directory is applied: LoRA (x + B(A(x)) * alpha/r, or alpha/sqrt(r) with
use_rslora) on the modules it names, or prompt tuning (virtual token embeddings before the sequence, their
logits dropped).
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

LLAMA_FAMILY = {"LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM"}


def load(model_dir, dtype=torch.float64):
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    tensors = {name: torch.from_numpy(array).to(dtype) for name, array in safetensors_io.read_model_dir(model_dir).items()}
    return config, tensors


def load_adapter(adapter_dir, dtype=torch.float64):
    """A PEFT adapter directory: LoRA {module path: (A [r, in], B [out, r], scale)} or prompt embeddings [N, H]."""
    with open(os.path.join(adapter_dir, "adapter_config.json")) as f:
        config = json.load(f)
    tensors, _ = safetensors_io.read(os.path.join(adapter_dir, "adapter_model.safetensors"))
    tensors = {name: torch.from_numpy(array).to(dtype) for name, array in tensors.items()}
    if config["peft_type"] == "PROMPT_TUNING":
        return {"prompt": tensors["prompt_embeddings"]}
    if config["peft_type"] != "LORA":
        raise ValueError("unsupported peft_type " + config["peft_type"])
    r = config["r"]
    scale = config["lora_alpha"] / (math.sqrt(r) if config.get("use_rslora", False) else r)
    lora = {}
    for name, a in tensors.items():
        if name.endswith(".lora_A.weight"):
            module = name[len("base_model.model."):-len(".lora_A.weight")]
            b = tensors[name.replace(".lora_A.weight", ".lora_B.weight")]
            lora[module] = (a, b, scale)
    return {"lora": lora}


def logits(model_dir, ids, dtype=torch.float64, adapter_dir=None):
    config, weights = load(model_dir, dtype)
    adapter = load_adapter(adapter_dir, dtype) if adapter_dir else {}
    architecture = config["architectures"][0]
    ids = torch.tensor(ids, dtype=torch.long)
    with torch.no_grad():
        if architecture in LLAMA_FAMILY:
            out = llama_forward(config, weights, ids, dtype, adapter)
        elif architecture == "GPT2LMHeadModel":
            out = gpt2_forward(config, weights, ids, adapter)
        else:
            raise ValueError("unsupported architecture " + architecture)
    return out.to(torch.float32).numpy()


def lora_delta(adapter, module, x):
    """LoRA's B(A(x)) * scale for `module` (a Hugging Face module path), or 0 when it is not adapted."""
    entry = adapter.get("lora", {}).get(module)
    if entry is None:
        return 0
    a, b, scale = entry
    return (x @ a.T) @ b.T * scale


def rms_norm(x, weight, eps):
    variance = x.pow(2).mean(-1, keepdim=True)
    return x * torch.rsqrt(variance + eps) * weight


def rope_tables(head_dim, positions, theta, dtype):
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))
    angles = positions.to(torch.float64)[:, None] * inv_freq[None, :]  # [T, head_dim/2]
    angles = torch.cat([angles, angles], dim=-1)  # HF layout: the two halves share frequencies
    return angles.cos().to(dtype), angles.sin().to(dtype)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def causal_attention(q, k, v):
    """q [H, T, D], k/v [H, T, D] (already repeated for GQA); plain softmax attention with a causal mask."""
    t = q.shape[1]
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    mask = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
    scores = scores.masked_fill(mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def llama_forward(config, w, ids, dtype, adapter):
    architecture = config["architectures"][0]
    hidden = config["hidden_size"]
    heads = config["num_attention_heads"]
    kv_heads = config.get("num_key_value_heads") or heads
    head_dim = config.get("head_dim") or hidden // heads
    eps = config.get("rms_norm_eps", 1e-6)
    theta = config.get("rope_theta", 10000.0)
    layers = config["num_hidden_layers"]
    qkv_bias = architecture == "Qwen2ForCausalLM" or config.get("attention_bias", False)
    o_bias = architecture != "Qwen2ForCausalLM" and config.get("attention_bias", False)

    def linear(x, name, bias):
        y = x @ w[name + ".weight"].T + lora_delta(adapter, name, x)
        return y + w[name + ".bias"] if bias else y

    x = w["model.embed_tokens.weight"][ids]  # [T, hidden]
    virtual = 0
    if "prompt" in adapter:  # prompt tuning: virtual tokens first, their logits dropped
        virtual = adapter["prompt"].shape[0]
        x = torch.cat([adapter["prompt"], x], dim=0)
    t = x.shape[0]
    cos, sin = rope_tables(head_dim, torch.arange(t), theta, dtype)
    for i in range(layers):
        p = "model.layers.%d." % i
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = linear(h, p + "self_attn.q_proj", qkv_bias).view(t, heads, head_dim).transpose(0, 1)
        k = linear(h, p + "self_attn.k_proj", qkv_bias).view(t, kv_heads, head_dim).transpose(0, 1)
        v = linear(h, p + "self_attn.v_proj", qkv_bias).view(t, kv_heads, head_dim).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        group = heads // kv_heads
        k = k.repeat_interleave(group, dim=0)
        v = v.repeat_interleave(group, dim=0)
        attn = causal_attention(q, k, v).transpose(0, 1).reshape(t, heads * head_dim)
        x = x + linear(attn, p + "self_attn.o_proj", o_bias)
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        gate = linear(h, p + "mlp.gate_proj", False)
        up = linear(h, p + "mlp.up_proj", False)
        x = x + linear(torch.nn.functional.silu(gate) * up, p + "mlp.down_proj", False)
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w.get("lm_head.weight")
    if head is None or config.get("tie_word_embeddings", False):
        head = w["model.embed_tokens.weight"]
    return (x @ head.T)[virtual:]


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def gpt2_forward(config, w, ids, adapter):
    prefix = "transformer." if "transformer.wte.weight" in w else ""
    hidden = config["n_embd"]
    heads = config["n_head"]
    head_dim = hidden // heads
    eps = config.get("layer_norm_epsilon", 1e-5)

    def layer_norm(x, name):
        return torch.nn.functional.layer_norm(x, (hidden,), w[name + ".weight"], w[name + ".bias"], eps)

    def conv1d(x, name):  # GPT-2's Conv1D: weight is [in, out]; PEFT names modules with the transformer. prefix
        module = name if name.startswith("transformer.") else "transformer." + name
        return x @ w[name + ".weight"] + w[name + ".bias"] + lora_delta(adapter, module, x)

    x = w[prefix + "wte.weight"][ids]
    virtual = 0
    if "prompt" in adapter:
        virtual = adapter["prompt"].shape[0]
        x = torch.cat([adapter["prompt"], x], dim=0)
    t = x.shape[0]
    x = x + w[prefix + "wpe.weight"][torch.arange(t)]
    for i in range(config["n_layer"]):
        p = prefix + "h.%d." % i
        h = layer_norm(x, p + "ln_1")
        q, k, v = conv1d(h, p + "attn.c_attn").split(hidden, dim=-1)
        q, k, v = (z.view(t, heads, head_dim).transpose(0, 1) for z in (q, k, v))
        attn = causal_attention(q, k, v).transpose(0, 1).reshape(t, hidden)
        x = x + conv1d(attn, p + "attn.c_proj")
        h = layer_norm(x, p + "ln_2")
        x = x + conv1d(gelu_new(conv1d(h, p + "mlp.c_fc")), p + "mlp.c_proj")
    x = layer_norm(x, prefix + "ln_f")
    head = w.get("lm_head.weight", w[prefix + "wte.weight"])
    return (x @ head.T)[virtual:]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir")
    parser.add_argument("--ids", required=True, help="comma-separated token ids")
    parser.add_argument("--out", required=True, help="float32 [T, V] .npy file to write")
    parser.add_argument("--adapter", help="PEFT adapter directory (LoRA or prompt tuning) to apply")
    parser.add_argument("--float32", action="store_true", help="compute in float32 instead of float64")
    args = parser.parse_args()
    ids = [int(s) for s in args.ids.split(",")]
    out = logits(args.model_dir, ids, torch.float32 if args.float32 else torch.float64, args.adapter)
    np.save(args.out, out)
    print("wrote %s %s" % (args.out, out.shape))


if __name__ == "__main__":
    main()
