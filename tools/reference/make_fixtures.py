"""Writes the fidelity fixtures: small seeded random checkpoints in Hugging Face layout plus golden logits.

Each fixture directory under lora-trainer/src/test/resources/fixtures/<name>/ holds
  config.json, model.safetensors (or shards + model.safetensors.index.json),
  golden.json  {"ids": [...], "dtype": stored dtype, "tolerance": max abs error allowed},
  logits.npy   float32 [T, V] from reference.py (float64 forward on the weights as stored, widened).
Adapter fixtures (lora-*, prompt-*) hold a PEFT adapter directory (adapter_config.json,
adapter_model.safetensors with random non-zero B) instead of a model, golden.json names the "base" fixture,
and logits.npy holds the logits of base + adapter.

    /usr/bin/python3 tools/reference/make_fixtures.py [--out lora-trainer/src/test/resources/fixtures]

The same seed gives the same bytes, so rerunning it leaves git clean.
"""
import argparse
import json
import math
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402
import safetensors_io  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_OUT = os.path.join(REPO, "lora-trainer", "src", "test", "resources", "fixtures")

# Token ids fed to every fixture: spans the vocabulary, repeats one id, ends near the top.
def golden_ids(vocab):
    return [1, 7, 42, 3, vocab - 1, 42, 100 % vocab, 255 % vocab, 0, 17, 42, vocab - 2]


class Weights:
    """Seeded random weights scaled so activations stay O(1): errors then show at 1e-4."""

    def __init__(self, seed):
        self.generator = torch.Generator().manual_seed(seed)
        self.tensors = {}

    def normal(self, name, shape, std):
        self.tensors[name] = (torch.randn(*shape, generator=self.generator, dtype=torch.float64) * std).float().numpy()

    def linear(self, name, out_features, in_features, bias=False):
        self.normal(name + ".weight", (out_features, in_features), 1.0 / math.sqrt(in_features))
        if bias:
            self.normal(name + ".bias", (out_features,), 0.5)

    def norm(self, name, size, bias=False):
        self.tensors[name + ".weight"] = (
            1.0 + 0.2 * torch.randn(size, generator=self.generator, dtype=torch.float64)
        ).float().numpy()
        if bias:
            self.normal(name + ".bias", (size,), 0.1)


def llama_checkpoint(architecture, hidden, layers, heads, kv_heads, intermediate, vocab, seed, head_dim=None,
                     tie=False, attention_bias=False, rope_theta=10000.0, eps=1e-5, dtype="F32"):
    head_dim = head_dim or hidden // heads
    qwen2 = architecture == "Qwen2ForCausalLM"
    qkv_bias = qwen2 or attention_bias
    w = Weights(seed)
    w.normal("model.embed_tokens.weight", (vocab, hidden), 1.0)
    for i in range(layers):
        p = "model.layers.%d." % i
        w.norm(p + "input_layernorm", hidden)
        w.linear(p + "self_attn.q_proj", heads * head_dim, hidden, qkv_bias)
        w.linear(p + "self_attn.k_proj", kv_heads * head_dim, hidden, qkv_bias)
        w.linear(p + "self_attn.v_proj", kv_heads * head_dim, hidden, qkv_bias)
        w.linear(p + "self_attn.o_proj", hidden, heads * head_dim, attention_bias and not qwen2)
        w.norm(p + "post_attention_layernorm", hidden)
        w.linear(p + "mlp.gate_proj", intermediate, hidden)
        w.linear(p + "mlp.up_proj", intermediate, hidden)
        w.linear(p + "mlp.down_proj", hidden, intermediate)
    w.norm("model.norm", hidden)
    if not tie:
        w.linear("lm_head", vocab, hidden)
    model_type = {"LlamaForCausalLM": "llama", "MistralForCausalLM": "mistral", "Qwen2ForCausalLM": "qwen2"}
    config = {
        "architectures": [architecture],
        "model_type": model_type[architecture],
        "vocab_size": vocab,
        "hidden_size": hidden,
        "intermediate_size": intermediate,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "num_key_value_heads": kv_heads,
        "max_position_embeddings": 128,
        "rms_norm_eps": eps,
        "rope_theta": rope_theta,
        "tie_word_embeddings": tie,
        "hidden_act": "silu",
        "bos_token_id": 1,
        "eos_token_id": 2,
        "torch_dtype": {"F32": "float32", "BF16": "bfloat16", "F16": "float16"}[dtype],
    }
    if head_dim != hidden // heads:
        config["head_dim"] = head_dim
    if architecture == "LlamaForCausalLM":
        config["attention_bias"] = attention_bias
    if architecture == "MistralForCausalLM":
        config["sliding_window"] = 4096
    if qwen2:
        config["use_sliding_window"] = False
    return config, w.tensors


def gpt2_checkpoint(hidden, layers, heads, vocab, positions, seed, prefix, with_mask_buffers=False):
    w = Weights(seed)
    w.normal(prefix + "wte.weight", (vocab, hidden), 1.0)
    w.normal(prefix + "wpe.weight", (positions, hidden), 0.5)
    for i in range(layers):
        p = prefix + "h.%d." % i
        w.norm(p + "ln_1", hidden, bias=True)
        # Conv1D: [in, out]
        w.normal(p + "attn.c_attn.weight", (hidden, 3 * hidden), 1.0 / math.sqrt(hidden))
        w.normal(p + "attn.c_attn.bias", (3 * hidden,), 0.5)
        w.normal(p + "attn.c_proj.weight", (hidden, hidden), 1.0 / math.sqrt(hidden))
        w.normal(p + "attn.c_proj.bias", (hidden,), 0.1)
        w.norm(p + "ln_2", hidden, bias=True)
        w.normal(p + "mlp.c_fc.weight", (hidden, 4 * hidden), 1.0 / math.sqrt(hidden))
        w.normal(p + "mlp.c_fc.bias", (4 * hidden,), 0.5)
        w.normal(p + "mlp.c_proj.weight", (4 * hidden, hidden), 1.0 / math.sqrt(4 * hidden))
        w.normal(p + "mlp.c_proj.bias", (hidden,), 0.1)
        if with_mask_buffers:  # old checkpoints carry the causal-mask buffer; a loader must ignore it
            w.tensors[p + "attn.bias"] = np.tril(np.ones((positions, positions), dtype=np.float32))[None, None]
    w.norm(prefix + "ln_f", hidden, bias=True)
    config = {
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "vocab_size": vocab,
        "n_embd": hidden,
        "n_layer": layers,
        "n_head": heads,
        "n_positions": positions,
        "n_ctx": positions,
        "n_inner": None,
        "activation_function": "gelu_new",
        "layer_norm_epsilon": 1e-5,
        "tie_word_embeddings": True,
        "bos_token_id": vocab - 1,
        "eos_token_id": vocab - 1,
        "torch_dtype": "float32",
    }
    return config, w.tensors


FIXTURES = {
    # name: (builder, stored dtype, tolerance, shards, what it covers)
    "llama-gqa": (lambda: llama_checkpoint("LlamaForCausalLM", 32, 2, 4, 2, 64, 256, 11), "F32", 1e-4, 1,
                  "Llama with grouped-query attention (4 heads, 2 KV heads), untied head"),
    "qwen2-bias": (lambda: llama_checkpoint("Qwen2ForCausalLM", 32, 2, 4, 2, 64, 256, 12, rope_theta=1000000.0,
                                            eps=1e-6), "F32", 1e-4, 1,
                   "Qwen2: q/k/v bias, no o_proj bias, rope_theta 1e6, untied head"),
    "llama-tied-headdim": (lambda: llama_checkpoint("LlamaForCausalLM", 32, 2, 4, 1, 48, 200, 13, head_dim=12,
                                                    tie=True, rope_theta=500000.0), "F32", 1e-4, 1,
                           "tied embeddings (no lm_head tensor), explicit head_dim 12 != 32/4, multi-query attention"),
    "mistral-sharded": (lambda: llama_checkpoint("MistralForCausalLM", 32, 2, 4, 2, 64, 256, 14), "F32", 1e-4, 2,
                        "MistralForCausalLM in two shards with model.safetensors.index.json"),
    "gpt2": (lambda: gpt2_checkpoint(32, 2, 4, 300, 64, 15, "transformer."), "F32", 1e-4, 1,
             "GPT-2 with the transformer. prefix, Conv1D [in, out] weights, tied head, gelu_new"),
    "gpt2-noprefix": (lambda: gpt2_checkpoint(32, 2, 4, 300, 32, 16, "", with_mask_buffers=True), "F32", 1e-4, 1,
                      "GPT-2 as the original checkpoints: no prefix, attn.bias mask buffers to ignore"),
    "llama-bf16": (lambda: llama_checkpoint("LlamaForCausalLM", 64, 2, 4, 2, 128, 256, 17, attention_bias=True),
                   "BF16", 1e-3, 1, "BF16-stored Llama with attention_bias (q/k/v/o bias), widened to FP32 on load"),
    "qwen2-f16": (lambda: llama_checkpoint("Qwen2ForCausalLM", 32, 2, 4, 4, 64, 256, 18, tie=True), "F16", 1e-3, 1,
                  "F16-stored Qwen2 with tied embeddings and no GQA"),
}


LLAMA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

ADAPTERS = {
    # name: (base fixture, adapter config, seed, what it covers); tolerance 1e-4 (FP32 bases)
    "lora-llama-gqa": ("llama-gqa", {"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": LLAMA_TARGETS},
                       21, "LoRA r4 alpha8 on all seven Llama projections (GQA base)"),
    "lora-qwen2-rslora": ("qwen2-bias", {"peft_type": "LORA", "r": 4, "lora_alpha": 8, "use_rslora": True,
                                         "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"]},
                          22, "rsLoRA (alpha/sqrt(r)) on Qwen2 attention with q/k/v bias"),
    "lora-gpt2": ("gpt2", {"peft_type": "LORA", "r": 4, "lora_alpha": 16, "fan_in_fan_out": True,
                           "target_modules": ["c_attn", "c_proj", "c_fc"]},
                  23, "LoRA on GPT-2 Conv1D modules (c_proj in attention and MLP)"),
    "prompt-llama-gqa": ("llama-gqa", {"peft_type": "PROMPT_TUNING", "num_virtual_tokens": 3}, 24,
                         "prompt tuning: 3 virtual tokens before the sequence"),
}


def module_shapes(base_config, tensors, targets):
    """{PEFT module path: (in, out)} of the modules an adapter with these targets adapts."""
    shapes = {}
    gpt2 = base_config["architectures"][0] == "GPT2LMHeadModel"
    for name, value in tensors.items():
        if not name.endswith(".weight"):
            continue
        module = name[: -len(".weight")]
        if module.split(".")[-1] not in targets:
            continue
        if gpt2:
            module = module if module.startswith("transformer.") else "transformer." + module
            shapes[module] = (value.shape[0], value.shape[1])  # Conv1D [in, out]
        else:
            shapes[module] = (value.shape[1], value.shape[0])  # Linear [out, in]
    return shapes


def write_adapter_fixture(out_dir, name):
    base, peft, seed, description = ADAPTERS[name]
    base_dir = os.path.join(out_dir, base)
    with open(os.path.join(base_dir, "config.json")) as f:
        base_config = json.load(f)
    tensors = safetensors_io.read_model_dir(base_dir)
    w = Weights(seed)
    if peft["peft_type"] == "LORA":
        r = peft["r"]
        for module, (fan_in, fan_out) in sorted(module_shapes(base_config, tensors, peft["target_modules"]).items()):
            w.normal("base_model.model." + module + ".lora_A.weight", (r, fan_in), 1.0 / math.sqrt(fan_in))
            w.normal("base_model.model." + module + ".lora_B.weight", (fan_out, r), 0.3 / math.sqrt(r))
    else:
        hidden = base_config.get("hidden_size") or base_config["n_embd"]
        w.normal("prompt_embeddings", (peft["num_virtual_tokens"], hidden), 1.0)
    target = os.path.join(out_dir, name)
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target)
    adapter_config = {
        "base_model_name_or_path": base,
        "task_type": "CAUSAL_LM",
        "inference_mode": True,
        **peft,
    }
    if peft["peft_type"] == "LORA":
        adapter_config.setdefault("lora_dropout", 0.0)
        adapter_config.setdefault("bias", "none")
        adapter_config.setdefault("fan_in_fan_out", False)
        adapter_config.setdefault("use_rslora", False)
    else:
        adapter_config.update({"num_transformer_submodules": 1, "prompt_tuning_init": "RANDOM",
                               "token_dim": base_config.get("hidden_size") or base_config["n_embd"]})
    with open(os.path.join(target, "adapter_config.json"), "w") as f:
        json.dump(adapter_config, f, indent=2, sort_keys=True)
        f.write("\n")
    safetensors_io.write(os.path.join(target, "adapter_model.safetensors"), w.tensors, "F32", {"format": "pt"})
    ids = golden_ids(base_config["vocab_size"])
    logits = reference.logits(base_dir, ids, adapter_dir=target)
    base_logits = np.load(os.path.join(base_dir, "logits.npy"))
    np.save(os.path.join(target, "logits.npy"), logits)
    with open(os.path.join(target, "golden.json"), "w") as f:
        json.dump({"base": base, "ids": ids, "dtype": "F32", "tolerance": 1e-4, "description": description}, f,
                  indent=2)
        f.write("\n")
    print("%-20s on %-12s logits %s  |adapter - base| max %.3f  %s" % (
        name, base, logits.shape, np.abs(logits - base_logits).max(), description))


def write_fixture(out_dir, name):
    builder, dtype, tolerance, shards, description = FIXTURES[name]
    config, tensors = builder()
    target = os.path.join(out_dir, name)
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target)
    with open(os.path.join(target, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    metadata = {"format": "pt"}
    if shards == 1:
        safetensors_io.write(os.path.join(target, "model.safetensors"), tensors, dtype, metadata)
    else:
        names = sorted(tensors)
        weight_map = {}
        total = 0
        for s in range(shards):
            file_name = "model-%05d-of-%05d.safetensors" % (s + 1, shards)
            part = {n: tensors[n] for n in names[s::shards]}
            safetensors_io.write(os.path.join(target, file_name), part, dtype, metadata)
            for n in part:
                weight_map[n] = file_name
                total += tensors[n].size * (2 if dtype != "F32" else 4)
        with open(os.path.join(target, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2, sort_keys=True)
            f.write("\n")
    vocab = config["vocab_size"]
    ids = golden_ids(vocab)
    logits = reference.logits(target, ids)
    np.save(os.path.join(target, "logits.npy"), logits)
    with open(os.path.join(target, "golden.json"), "w") as f:
        json.dump({"ids": ids, "dtype": dtype, "tolerance": tolerance, "description": description}, f, indent=2)
        f.write("\n")
    size = sum(os.path.getsize(os.path.join(target, p)) for p in os.listdir(target))
    print("%-20s %-5s %7d bytes  logits %s  |max| %.3f  %s" % (name, dtype, size, logits.shape,
                                                           np.abs(logits).max(), description))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("names", nargs="*", help="fixtures to write (default: all)")
    args = parser.parse_args()
    for name in args.names or sorted(FIXTURES) + sorted(ADAPTERS):
        if name in FIXTURES:
            write_fixture(args.out, name)
        else:
            write_adapter_fixture(args.out, name)


if __name__ == "__main__":
    main()
