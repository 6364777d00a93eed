package io.fedtune.protocol.peft;

import java.util.Objects;

/**
 * A parsed PEFT LoRA key: the module it adapts and which matrix it is.
 *
 * @param modulePath the module's dotted path in the base model, such as {@code model.layers.0.self_attn.q_proj}
 * @param matrix A or B
 */
public record LoraKey(String modulePath, LoraMatrix matrix) {

    public LoraKey {
        PeftKeys.requireModulePath(modulePath);
        Objects.requireNonNull(matrix, "matrix");
    }

    /** The key as PEFT saves it: {@code base_model.model.<modulePath>.lora_A.weight}. */
    public String key() {
        return PeftKeys.key(modulePath, matrix);
    }

    /** The last segment of the module path, as {@code target_modules} names it: {@code q_proj}. */
    public String targetName() {
        return PeftKeys.targetName(modulePath);
    }

    /** The key of the other matrix of the same pair. */
    public LoraKey partner() {
        return new LoraKey(modulePath, matrix == LoraMatrix.A ? LoraMatrix.B : LoraMatrix.A);
    }
}
