package io.fedtune.protocol.api;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;

/**
 * One module an adapter attaches to, with the shape of its weight.
 *
 * @param path the module path inside the base model, e.g. {@code model.layers.0.self_attn.q_proj}
 * @param inFeatures the module's input width (lora_A is [rank, inFeatures])
 * @param outFeatures the module's output width (lora_B is [outFeatures, rank])
 */
public record TargetModule(
        @NotBlank @Pattern(regexp = "[A-Za-z0-9_]+(\\.[A-Za-z0-9_]+)*")
        String path,

        @Positive @Max(1 << 20) int inFeatures,
        @Positive @Max(1 << 20) int outFeatures) {}
