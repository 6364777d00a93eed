package io.fedtune.protocol.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The kind of adapter a federation trains. */
public enum PeftMethod {
    /** Low-rank adapters B·A on the target modules (also FFA-LoRA, chosen by {@link LoraMode#FFA}). */
    @JsonProperty("lora")
    LORA,
    /** Trainable virtual-token embeddings ({@code prompt_embeddings}, shape [virtual tokens, hidden]). */
    @JsonProperty("prompt_tuning")
    PROMPT_TUNING
}
