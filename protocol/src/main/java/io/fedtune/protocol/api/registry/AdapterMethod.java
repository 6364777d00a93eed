package io.fedtune.protocol.api.registry;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The kind of adapter a version holds; it decides the PEFT export's {@code peft_type}. */
public enum AdapterMethod {
    /** Low-rank adapters {@code lora_A}, {@code lora_B} on target modules (FFA-LoRA included). */
    @JsonProperty("lora")
    LORA,
    /** Trainable virtual-token embeddings ({@code prompt_embeddings}). */
    @JsonProperty("prompt_tuning")
    PROMPT_TUNING
}
