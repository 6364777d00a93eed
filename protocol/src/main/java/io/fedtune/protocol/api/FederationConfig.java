package io.fedtune.protocol.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/**
 * Everything that defines a federation, as an admin posts it to {@code POST /api/v1/federations}. Immutable once the
 * federation exists.
 *
 * @param name a short unique name: letters, digits, dot, dash, underscore
 * @param description free text for humans (optional)
 * @param baseModel the base model the adapters belong to, with the dimensions that fix every tensor shape
 * @param peft the adapter: method, rank, alpha and target modules
 * @param training local hyper-parameters handed to every agent with its task
 * @param strategy how updates are merged: strategy and LoRA mode
 * @param clients how many clients each round samples
 * @param rounds how many rounds, their deadline and what happens when one fails
 * @param privacy central differential privacy (optional; none by default)
 * @param codec how updates and adapters are encoded on the wire (optional; f32 by default)
 * @param bounds checks every update passes before any strategy sees it (optional; defaults apply)
 * @param seed the seed of every random choice: initial adapter, client sampling, DP noise
 */
public record FederationConfig(
        @NotBlank @Size(max = 100) @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9._-]*")
        String name,

        @Size(max = 2000) String description,
        @NotNull @Valid BaseModelSpec baseModel,
        @NotNull @Valid PeftSpec peft,
        @NotNull @Valid TrainingSpec training,
        @NotNull @Valid StrategySpec strategy,
        @NotNull @Valid ClientSelection clients,
        @NotNull @Valid RoundPolicy rounds,
        @Valid PrivacySpec privacy,
        @Valid CodecSpec codec,
        @Valid UpdateBounds bounds,
        long seed) {

    public FederationConfig {
        privacy = privacy == null ? PrivacySpec.none() : privacy;
        codec = codec == null ? CodecSpec.defaults() : codec;
        bounds = bounds == null ? UpdateBounds.defaults() : bounds;
    }

    /** The adapter's module shapes must be derivable: listed explicitly, or from the base model's dimensions. */
    @JsonIgnore
    @AssertTrue(message = "peft.modules must be listed, or baseModel.dims given so that they can be derived")
    public boolean isModuleLayoutKnown() {
        if (peft == null || baseModel == null) {
            return true;
        }
        return (peft.modules() != null && !peft.modules().isEmpty()) || baseModel.dims() != null;
    }

    /** Server optimizers and robust strategies need a dense parameterisation: LoRA mode fedit or ffa. */
    @JsonIgnore
    @AssertTrue(
            message = "strategy.name other than fedavg requires strategy.loraMode fedit or ffa"
                    + " (exact, stack and hetlora re-factorise and are defined for weighted averaging only)")
    public boolean isStrategyCompatibleWithLoraMode() {
        if (strategy == null || strategy.name() == null || strategy.loraMode() == null) {
            return true;
        }
        return strategy.name() == StrategyName.FEDAVG
                || strategy.loraMode() == LoraMode.FEDIT
                || strategy.loraMode() == LoraMode.FFA;
    }

    /** Central DP clips and noises a dense delta: it needs LoRA mode fedit or ffa. */
    @JsonIgnore
    @AssertTrue(message = "privacy.mode dp_fedavg requires strategy.loraMode fedit or ffa")
    public boolean isPrivacyCompatibleWithLoraMode() {
        if (privacy == null || privacy.mode() != PrivacyMode.DP_FEDAVG || strategy == null) {
            return true;
        }
        return strategy.loraMode() == LoraMode.FEDIT || strategy.loraMode() == LoraMode.FFA;
    }

    /** Prompt tuning has no LoRA factors: only LoRA mode fedit (plain averaging of the embeddings) applies. */
    @JsonIgnore
    @AssertTrue(message = "peft.method prompt_tuning requires strategy.loraMode fedit")
    public boolean isLoraModeCompatibleWithMethod() {
        if (peft == null || peft.method() != PeftMethod.PROMPT_TUNING || strategy == null) {
            return true;
        }
        return strategy.loraMode() == null || strategy.loraMode() == LoraMode.FEDIT;
    }

    /** Krum needs n > 2f + 2 clients in every round, so at least the minimum must allow that. */
    @JsonIgnore
    @AssertTrue(message = "krum and multi_krum need clients.minClients > 2 * strategy.byzantineClients + 2")
    public boolean isKrumFeasible() {
        if (strategy == null
                || clients == null
                || (strategy.name() != StrategyName.KRUM && strategy.name() != StrategyName.MULTI_KRUM)) {
            return true;
        }
        return clients.minClients() > 2 * strategy.byzantineClients() + 2;
    }
}
