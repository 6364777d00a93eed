package io.fedtune.protocol.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.Size;
import java.util.List;

/**
 * The adapter every client trains.
 *
 * <p>Tensors travel with Hugging Face PEFT names: {@code base_model.model.<module path>.lora_A.weight} of shape
 * [rank, in] and {@code ...lora_B.weight} of shape [out, rank]; prompt tuning sends {@code prompt_embeddings} of
 * shape [virtual tokens, hidden]. The modules are either listed in {@link #modules()} or derived from the base
 * model's {@link ModelDims} and {@link #targetModules()} (every layer, in layer order).
 *
 * @param method LoRA or prompt tuning
 * @param rank LoRA rank r (for stack and hetlora: the largest rank a client may use)
 * @param alpha LoRA alpha; the scale is alpha / r (alpha / √r with rsLora)
 * @param dropout LoRA dropout during local training
 * @param rsLora whether the rank-stabilised scale alpha / √r is used
 * @param targetModules short names of the target modules (e.g. {@code q_proj}, {@code v_proj}; GPT-2: {@code c_attn})
 * @param modules explicit modules with their shapes; when given, they take precedence over derivation
 * @param numVirtualTokens number of virtual tokens (prompt tuning only)
 */
public record PeftSpec(
        @NotNull PeftMethod method,
        @Min(1) @Max(1024) int rank,
        @Positive @DecimalMax("100000") double alpha,
        @DecimalMin("0.0") @DecimalMax("0.9") double dropout,
        boolean rsLora,
        @Size(max = 64) List<@NotNull @Pattern(regexp = "[A-Za-z0-9_]+") String> targetModules,
        @Size(max = 100_000) List<@NotNull @Valid TargetModule> modules,
        @Min(0) @Max(10_000) int numVirtualTokens) {

    /** The LoRA scale s with which an update contributes s·B·A. */
    public double scale(int r) {
        return rsLora ? alpha / Math.sqrt(r) : alpha / r;
    }

    @JsonIgnore
    @AssertTrue(message = "LoRA needs targetModules or modules; prompt tuning needs numVirtualTokens > 0")
    public boolean isComplete() {
        if (method == PeftMethod.PROMPT_TUNING) {
            return numVirtualTokens > 0;
        }
        return (targetModules != null && !targetModules.isEmpty()) || (modules != null && !modules.isEmpty());
    }
}
