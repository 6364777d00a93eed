package io.fedtune.protocol.api.registry;

import com.fasterxml.jackson.annotation.JsonIgnore;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;

/**
 * How an adapter version was parameterised: what the PEFT export writes into {@code adapter_config.json}, and what
 * the registry checks the uploaded tensors against (LoRA tensors of this rank on these target modules, or a prompt
 * embedding of this many virtual tokens).
 *
 * @param method LoRA or prompt tuning
 * @param rank the LoRA rank r of the tensors (0 for prompt tuning)
 * @param alpha LoRA alpha; the scale is alpha / r (alpha / √r with rsLora)
 * @param dropout LoRA dropout used in training
 * @param rsLora whether the rank-stabilised scale is used
 * @param targetModules short names of the adapted modules, e.g. {@code q_proj}, {@code v_proj}, {@code c_attn}
 * @param numVirtualTokens virtual tokens (prompt tuning only, else 0)
 * @param loraMode how the LoRA factors were aggregated, e.g. {@code fedit}, {@code ffa}, {@code exact} (optional)
 */
public record AdapterPeftConfig(
        @NotNull AdapterMethod method,
        @Min(0) @Max(4096) int rank,
        @DecimalMin("0") @DecimalMax("100000") double alpha,
        @DecimalMin("0.0") @DecimalMax("0.9") double dropout,
        boolean rsLora,
        @Size(max = 64) List<@NotNull @Pattern(regexp = "[A-Za-z0-9_]{1,100}") String> targetModules,
        @Min(0) @Max(10_000) int numVirtualTokens,
        @Pattern(regexp = "[a-z0-9_]{1,32}") String loraMode) {

    public AdapterPeftConfig {
        targetModules = targetModules == null ? List.of() : List.copyOf(targetModules);
    }

    @JsonIgnore
    @AssertTrue(message = "LoRA needs rank > 0, alpha > 0 and targetModules; prompt tuning needs numVirtualTokens > 0")
    public boolean isComplete() {
        if (method == AdapterMethod.PROMPT_TUNING) {
            return numVirtualTokens > 0;
        }
        return method == null || (rank > 0 && alpha > 0 && !targetModules.isEmpty());
    }
}
