package io.fedtune.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Module naming schemes the aggregator can derive adapter layouts for. */
public enum Architecture {
    /** Llama, Mistral, Qwen2: {@code model.layers.N.self_attn.q_proj}, {@code model.layers.N.mlp.gate_proj}, ... */
    @JsonProperty("llama")
    LLAMA,
    /** GPT-2: {@code transformer.h.N.attn.c_attn}, {@code transformer.h.N.mlp.c_fc}, ... */
    @JsonProperty("gpt2")
    GPT2
}
